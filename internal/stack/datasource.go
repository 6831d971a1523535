package stack

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

var _ datasource.DataSourceWithConfigure = (*stackDataSource)(nil)

// NewDataSource is the hawebapp_stack data source, registered by the
// provider: another root reads a stack by its name, as the resource's
// import finds it (children by name and the hawebapp:stack tag).
func NewDataSource() datasource.DataSource { return &stackDataSource{} }

type stackDataSource struct{ client *Client }

// stackDataModel is what the data source reports: where the stack is, and
// the computed attributes users wire (the resource's, of the same names).
type stackDataModel struct {
	Name                  types.String `tfsdk:"name"`
	Region                types.String `tfsdk:"region"`
	ID                    types.String `tfsdk:"id"`
	AccountID             types.String `tfsdk:"account_id"`
	VPCID                 types.String `tfsdk:"vpc_id"`
	URL                   types.String `tfsdk:"url"`
	DNSName               types.String `tfsdk:"dns_name"`
	ZoneID                types.String `tfsdk:"zone_id"`
	LoadBalancerARN       types.String `tfsdk:"load_balancer_arn"`
	HTTPListenerARN       types.String `tfsdk:"http_listener_arn"`
	HTTPSListenerARN      types.String `tfsdk:"https_listener_arn"`
	TargetGroupARN        types.String `tfsdk:"target_group_arn"`
	SecurityGroupIDs      types.Map    `tfsdk:"security_group_ids"`
	LaunchTemplateID      types.String `tfsdk:"launch_template_id"`
	AutoScalingGroupNames types.Map    `tfsdk:"autoscaling_group_names"`
	Zones                 types.List   `tfsdk:"zones"`
	InstanceRoleARN       types.String `tfsdk:"instance_role_arn"`
	InstanceProfile       types.String `tfsdk:"instance_profile"`
	DBInstanceIdentifier  types.String `tfsdk:"db_instance_identifier"`
	DBEndpoint            types.String `tfsdk:"db_endpoint"`
	DBPort                types.Int64  `tfsdk:"db_port"`
	DBSecretARN           types.String `tfsdk:"db_secret_arn"`
	Tags                  types.Map    `tfsdk:"tags"`
	wiringModel
}

// dataSourceAttributes are the resource's attributes the data source
// reports besides name, region and account_id: stackDataModel's fields.
var dataSourceAttributes = []string{"id", "vpc_id", "url", "dns_name", "zone_id", "load_balancer_arn", "http_listener_arn",
	"https_listener_arn", "target_group_arn", "security_group_ids", "launch_template_id", "autoscaling_group_names", "zones",
	"instance_role_arn", "instance_profile", "db_instance_identifier", "db_endpoint", "db_port", "db_secret_arn", "tags",
	"load_balancer_arn_suffix", "target_group_arn_suffix", "autoscaling_group_arns", "scaling_policy_arns", "launch_template_arn",
	"db_instance_arn", "instance_role_name"}

func (d *stackDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_stack"
}

func (d *stackDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	c, ok := req.ProviderData.(*Client)
	if !ok {
		resp.Diagnostics.AddError("Unexpected Data Source Configure Type",
			"Expected *stack.Client. Please report this issue to the provider developers.")
		return
	}
	d.client = c
}

func (d *stackDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	// The descriptions are the resource's, so the two never disagree.
	var rs resource.SchemaResponse
	(&stackResource{}).Schema(ctx, resource.SchemaRequest{}, &rs)
	attrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{Required: true, Validators: []validator.String{nameValidator{}},
			MarkdownDescription: "Name of the stack to read (the resource's `name`)."},
		"region": schema.StringAttribute{Optional: true, Computed: true,
			MarkdownDescription: "Region of the stack. Defaults to the provider's; another region is refused (read it through a provider configured for that region)."},
		"account_id": schema.StringAttribute{Computed: true, MarkdownDescription: "AWS account the stack is in."},
	}
	// The resource's attributes the data source reports, by name: a list,
	// so an attribute the resource gains is not reported without a field
	// in stackDataModel.
	for _, name := range dataSourceAttributes {
		a := rs.Schema.Attributes[name]
		desc := a.GetMarkdownDescription()
		switch a.GetType().(type) {
		case types.MapType:
			attrs[name] = schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
		case types.ListType:
			attrs[name] = schema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
		case basetypes.Int64Type:
			attrs[name] = schema.Int64Attribute{Computed: true, MarkdownDescription: desc}
		default:
			attrs[name] = schema.StringAttribute{Computed: true, MarkdownDescription: desc}
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a stack made by `hawebapp_stack` in another root (or outside Terraform) by its name: " +
			"its load balancer, target group, groups, launch template, role and database, to wire into DNS records, alarms and policies. " +
			"The stack is found as an import finds it, by its children's names and `hawebapp:stack` tag.",
		Attributes: attrs,
	}
}

func (d *stackDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg stackDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	region := d.client.Lookup.Region()
	if !cfg.Region.IsNull() && !cfg.Region.IsUnknown() && cfg.Region.ValueString() != region {
		resp.Diagnostics.AddAttributeError(path.Root("region"), "Stack in another region",
			"region is "+cfg.Region.ValueString()+" but this provider reads region "+region+
				". Read the stack through a provider configured for "+cfg.Region.ValueString()+" (a provider alias), or drop region.")
		return
	}
	name := cfg.Name.ValueString()
	r := &stackResource{client: d.client}
	probe := blueprint.Build(blueprint.Spec{Name: name, Database: &blueprint.DatabaseSpec{}})
	probe.ReadAll = true
	obs, err := r.engine(ctx).Observe(ctx, probe)
	if err != nil {
		resp.Diagnostics.Append(observeError(name, err))
		return
	}
	if len(obs) == 0 {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Stack not found",
			"No child named for stack "+name+" and tagged hawebapp:stack="+name+" exists in region "+region+". Check the name and the provider's region and account.")
		return
	}
	var rs resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &rs)
	m, diags := modelFromObserved(ctx, name, obs, d.client.DefaultTags, d.client.IgnoreTags, rs)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// As Read after an import: the network from AWS, then the children
	// observed against the stack's own blueprint.
	env, err := r.lookupEnvironment(ctx, m)
	if err != nil {
		resp.Diagnostics.Append(lookupError(err))
		return
	}
	spec, diags := toSpec(ctx, m, env, d.client.DefaultTags)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	bp := blueprint.Build(spec)
	if obs, err = r.engine(ctx).Observe(ctx, bp); err != nil {
		resp.Diagnostics.Append(observeError(name, err))
		return
	}
	resp.Diagnostics.Append(setComputed(ctx, &m, spec, bp, obs)...)
	account := accountOfARN(m.LoadBalancerARN.ValueString())
	if account == "" {
		if account, err = d.client.Lookup.CallerAccount(ctx); err != nil {
			resp.Diagnostics.AddError("Cannot read the AWS account", err.Error())
			return
		}
	}
	out := stackDataModel{Name: m.Name, Region: types.StringValue(region), ID: m.ID, AccountID: types.StringValue(account), VPCID: m.VPCID,
		URL: m.URL, DNSName: m.DNSName, ZoneID: m.ZoneID, LoadBalancerARN: m.LoadBalancerARN, HTTPListenerARN: m.HTTPListenerARN,
		HTTPSListenerARN: m.HTTPSListenerARN, TargetGroupARN: m.TargetGroupARN, SecurityGroupIDs: m.SecurityGroupIDs,
		LaunchTemplateID: m.LaunchTemplateID, AutoScalingGroupNames: m.AutoScalingGroupNames, Zones: m.Zones,
		InstanceRoleARN: m.InstanceRoleARN, InstanceProfile: m.InstanceProfile, DBInstanceIdentifier: m.DBInstanceIdentifier,
		DBEndpoint: m.DBEndpoint, DBPort: m.DBPort, DBSecretARN: m.DBSecretARN, Tags: m.Tags, wiringModel: m.wiringModel}
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}
