// Package stack is the hawebapp_stack resource: its schema, the conversion
// between Terraform values and the blueprint's spec, plan-time validation,
// and create, read, update, delete and import, all of which hand the work
// to the engine.
package stack

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

var (
	_ resource.Resource                   = (*stackResource)(nil)
	_ resource.ResourceWithConfigure      = (*stackResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*stackResource)(nil)
	_ resource.ResourceWithImportState    = (*stackResource)(nil)
	_ resource.ResourceWithValidateConfig = (*stackResource)(nil)
)

// Default timeouts, from what the database needs: hashicorp/aws gives
// aws_db_instance 40 minutes to create, 80 to update and 60 to delete
// (internal/service/rds/instance.go, ResourceInstance Timeouts). A
// modification such as a class change on a multi-AZ database (standby
// first, then a failover) is the slowest step an update can take; the
// zone-by-zone rollout of a new template version runs beside it under the
// same deadline, so the update gets the database's whole 80 minutes. The
// create's database (10 to 20 minutes for multi-AZ) builds beside the
// fleet: 45 minutes covers its 40 and a fleet that boots after the load
// balancer. A failed create's rollback has the delete's budget.
const (
	defaultCreateTimeout = 45 * time.Minute
	defaultUpdateTimeout = 80 * time.Minute
	defaultDeleteTimeout = engine.DefaultRollbackTimeout
)

// Subnet is an existing subnet as the plan-time checks need it.
type Subnet struct{ ID, VPCID, Zone string }

// Certificate is an ACM certificate as the plan-time check needs it.
type Certificate struct{ Status string }

// ImageFacts are an image's architecture and root snapshot, and the
// architectures each instance type supports; ImageFound is false for an
// image AWS does not know, a type's list is empty for an unknown type, and
// RootGiB is 0 when the image has no EBS root snapshot.
type ImageFacts struct {
	ImageFound    bool
	Image         string
	InstanceTypes map[string][]string
	RootSnapshot  string
	RootGiB       int64
}

// DatabasePlacement is where a database runs: the zones of its primary and
// standby, and the subnets of its DB subnet group by zone.
type DatabasePlacement struct {
	Zones         []string
	SubnetsByZone map[string][]string
}

// Lookup answers the read-only questions about the network, the image and
// the certificate the resource asks at plan time and before a create.
type Lookup interface {
	Subnets(ctx context.Context, ids []string) ([]Subnet, error)
	VPCCIDRs(ctx context.Context, vpcID string) ([]string, error)
	// Offerings reports, by instance type then zone, where each type is offered.
	Offerings(ctx context.Context, instanceTypes, zones []string) (map[string]map[string]bool, error)
	// Certificate describes an ACM certificate of the provider's region;
	// found is false when there is none with that ARN.
	Certificate(ctx context.Context, arn string) (cert Certificate, found bool, err error)
	Image(ctx context.Context, imageID string, instanceTypes []string) (ImageFacts, error)
	// KeyPairExists and InstanceProfileExists look up what the instances
	// are given by name.
	KeyPairExists(ctx context.Context, name string) (bool, error)
	InstanceProfileExists(ctx context.Context, name string) (bool, error)
	// DatabasePlacement reads where the stack's database runs; found is
	// false when there is no instance of that identifier.
	DatabasePlacement(ctx context.Context, identifier string) (p DatabasePlacement, found bool, err error)
	// Region is the provider's region.
	Region() string
	// CallerAccount is the AWS account of the provider's credentials.
	CallerAccount(ctx context.Context) (string, error)
}

// Client is what the provider hands the resource.
type Client struct {
	Cloud       engine.Cloud
	Lookup      Lookup
	DefaultTags map[string]string
	// IgnoreTags are the tags another system manages (the provider's
	// ignore_tags): see tags.go.
	IgnoreTags IgnoreTags
}

// NewResource is registered by the provider.
func NewResource() resource.Resource { return &stackResource{} }

type stackResource struct {
	client *Client
}

func (r *stackResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stack"
}

func (r *stackResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	c, ok := req.ProviderData.(*Client)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Resource Configure Type",
			"Expected *stack.Client. Please report this issue to the provider developers.")
		return
	}
	r.client = c
}

func (r *stackResource) engine(ctx context.Context) *engine.Engine {
	return &engine.Engine{Cloud: r.client.Cloud, Logf: func(format string, args ...any) {
		tflog.Info(ctx, "hawebapp: "+sprintf(format, args...))
	}}
}

func (r *stackResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan stackModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	env, err := r.lookupEnvironment(ctx, plan)
	if err != nil {
		resp.Diagnostics.Append(lookupError(err))
		return
	}
	spec, diags := toSpec(ctx, plan, env, r.client.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	bp := blueprint.Build(spec)
	// Create is a reconcile from whatever exists: children a killed apply
	// left behind are adopted by their tags; on failure everything this apply
	// created is deleted again (but a protected database and what it needs),
	// so nothing leaks and nothing is half in state. The rollback has the
	// delete timeout as its own budget: by then the create's may be spent.
	rollbackTimeout, diags := plan.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	res, err := r.engine(ctx).Apply(ctx, bp, engine.Options{RollbackOnFailure: true, RollbackTimeout: rollbackTimeout})
	if err != nil {
		resp.Diagnostics.Append(applyError("create", spec.Name, err, true))
		return
	}
	resp.Diagnostics.Append(r.writeState(ctx, &plan, spec, bp, res.Observed, env, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, plan.Name, &plan, resp.Identity)...)
}

func (r *stackResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state stackModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	env, diags := environmentFromState(ctx, state, req.Private)
	resp.Diagnostics.Append(diags...)
	if appIDs, _ := stringsOf(ctx, state.AppSubnetIDs); !env.complete(len(appIDs)) {
		// State written by an import or an older version: ask AWS once.
		var err error
		if env, err = r.lookupEnvironment(ctx, state); err != nil {
			resp.Diagnostics.Append(lookupError(err))
			return
		}
		resp.Diagnostics.Append(savePrivate(ctx, resp.Private, env)...)
	}
	spec, diags := toSpec(ctx, state, env, r.client.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec.Tags = r.client.IgnoreTags.managed(spec.Tags) // ignored tags are no drift
	bp := blueprint.Build(spec)
	bp.Known = knownChildren(state)
	obs, err := r.engine(ctx).Observe(ctx, bp)
	if err != nil {
		resp.Diagnostics.Append(observeError(spec.Name, err))
		return
	}
	if len(obs) == 0 {
		tflog.Warn(ctx, "hawebapp: no child of the stack exists any more; removing it from state", map[string]any{"stack": spec.Name})
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(setComputed(ctx, &state, spec, bp, obs)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	// State written before the resource had an identity gets one here.
	resp.Diagnostics.Append(r.setIdentity(ctx, state.Name, &state, resp.Identity)...)
}

func (r *stackResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior stackModelV0
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	env, err := r.lookupEnvironment(ctx, plan)
	if err != nil {
		resp.Diagnostics.Append(lookupError(err))
		return
	}
	spec, diags := toSpec(ctx, plan, env, r.client.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	spec.Tags = r.client.IgnoreTags.managed(spec.Tags) // another system's tags are not rewritten
	spec.ReturningZones = returningZones(ctx, prior, plan)
	bp := blueprint.Build(spec)
	bp.Known = knownChildren(prior)
	opts := engine.Options{}
	if len(spec.EvacuateZones) > 0 {
		// When the shift starts depends on the zones as they are now.
		opts.Reshape = func(observed map[string]engine.Observation) blueprint.Blueprint {
			spec.ZoneReadings = zoneReadings(spec, observed)
			d := blueprint.DecideShiftTiming(spec)
			tflog.Info(ctx, "evacuation: "+d.Reason)
			reshaped := blueprint.Build(spec)
			reshaped.Known = bp.Known
			return reshaped
		}
	}
	res, err := r.engine(ctx).Apply(ctx, bp, opts)
	if err != nil {
		resp.Diagnostics.Append(applyError("update", spec.Name, err, false))
		// Never persist the planned values after a failed update: keep the
		// prior configuration, with the children as they now are, so the
		// next plan shows what is still to do.
		if res.Observed != nil {
			priorSpec, d := toSpec(ctx, prior, env, r.client.DefaultTags)
			priorSpec.Tags = r.client.IgnoreTags.managed(priorSpec.Tags)
			if !d.HasError() {
				_ = setComputed(ctx, &prior, priorSpec, blueprint.Build(priorSpec), res.Observed)
			}
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &prior)...)
		return
	}
	resp.Diagnostics.Append(r.writeState(ctx, &plan, spec, bp, res.Observed, env, resp.Private)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(r.setIdentity(ctx, plan.Name, &plan, resp.Identity)...)
}

func (r *stackResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state stackModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env, diags := environmentFromState(ctx, state, req.Private)
	resp.Diagnostics.Append(diags...)
	spec, diags := toSpec(ctx, state, env, r.client.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	bp := blueprint.Build(spec)
	bp.Known = knownChildren(state)
	if _, err := r.engine(ctx).Destroy(ctx, bp); err != nil {
		resp.Diagnostics.Append(destroyError(spec.Name, err))
	}
}

// ImportState adopts a stack by its name: the ID (`terraform import`, an
// import block's id, every client) or the identity's name (an import
// block's identity, Terraform 1.12+).
func (r *stackResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	name, diags := r.importName(ctx, req)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := blueprint.ValidateName(name); err != nil {
		resp.Diagnostics.AddError("Invalid import ID", "Import a stack by its name, for example `terraform import hawebapp_stack.app fruit-api`, "+
			"or by an import block's identity = { name = \"fruit-api\" }. The name "+err.Error()+".")
		return
	}
	r.importByName(ctx, name, resp)
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.setIdentity(ctx, types.StringValue(name), nil, resp.Identity)...)
	}
}

// writeState records the computed attributes and the private facts Read needs.
func (r *stackResource) writeState(ctx context.Context, m *stackModelV0, spec blueprint.Spec, bp blueprint.Blueprint,
	obs map[string]engine.Observation, env environment, private privateSetter) diagnostics {
	diags := setComputed(ctx, m, spec, bp, obs)
	setDatabaseComputed(m, spec, obs)
	setInstanceTypeComputed(m, spec)
	diags.Append(savePrivate(ctx, private, env)...)
	return diags
}

// stringList builds a types.List of strings.
func stringList(values []string) types.List {
	elems := make([]attrValue, len(values))
	for i, v := range values {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}
