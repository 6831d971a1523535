// Package cloud implements engine.Cloud against AWS with aws-sdk-go-v2. It is
// the only package that talks to AWS service clients: one file per part kind,
// each ordered finders → create/update/delete → status and waits, plus the
// batched Observe, the plan-time lookups and the shared wait and error helpers.
//
// Every Create looks first: a child that exists and carries this stack's
// hawebapp:stack tag is adopted (and brought to the desired state), a child
// that exists without it is refused with engine.ErrNotOwned, and nothing is
// ever created twice. Every call is idempotent.
package cloud

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// Cloud holds one client per AWS service a stack uses.
type Cloud struct {
	acm    *acm.Client // plan-time certificate checks only
	arc    *arczonalshift.Client
	ec2    *ec2.Client
	elb    *elb.Client
	asg    *autoscaling.Client
	cw     *cloudwatch.Client // zonal_autoshift's outcome alarm
	iam    *iam.Client
	rds    *rds.Client
	sm     *secretsmanager.Client // the database secret's rotation schedule
	sts    *sts.Client            // the caller's account (account.go)
	region string

	// CapacityWait bounds how long a group's wait tolerates launches
	// refused for want of capacity, which Auto Scaling retries by itself;
	// 0 means DefaultCapacityWait.
	CapacityWait time.Duration
}

// DefaultCapacityWait is how long a create or update waits on launches
// AWS refuses for want of capacity (InsufficientInstanceCapacity and its
// kin) before it fails naming them: long enough for Auto Scaling's own
// retries to find capacity that frees up, short enough that a zone without
// any fails the apply well inside its timeout.
const DefaultCapacityWait = 10 * time.Minute

func (c *Cloud) capacityWait() time.Duration {
	if c.CapacityWait > 0 {
		return c.CapacityWait
	}
	return DefaultCapacityWait
}

var _ engine.Cloud = (*Cloud)(nil)

// Services are the AWS APIs a stack's clients call, as named in New's
// endpoints (and the provider's `endpoints` block). "sts" is the provider's.
var Services = []string{"acm", "arczonalshift", "autoscaling", "cloudwatch", "ec2", "elbv2", "iam", "rds", "secretsmanager", "sts"}

// New builds the service clients from the provider's configuration (region,
// credentials and retryer are already set there). endpoints maps a name of
// Services to a URL, which wins over cfg.BaseEndpoint and AWS_ENDPOINT_URL
// for that service's client; a nil map keeps the SDK's resolution.
func New(cfg aws.Config, endpoints map[string]string) *Cloud {
	return &Cloud{
		acm: acm.NewFromConfig(cfg, func(o *acm.Options) { setEndpoint(&o.BaseEndpoint, endpoints["acm"]) }),
		arc: arczonalshift.NewFromConfig(cfg, func(o *arczonalshift.Options) { setEndpoint(&o.BaseEndpoint, endpoints["arczonalshift"]) }),
		ec2: ec2.NewFromConfig(cfg, func(o *ec2.Options) { setEndpoint(&o.BaseEndpoint, endpoints["ec2"]) }),
		elb: elb.NewFromConfig(cfg, func(o *elb.Options) { setEndpoint(&o.BaseEndpoint, endpoints["elbv2"]) }),
		asg: autoscaling.NewFromConfig(cfg, func(o *autoscaling.Options) { setEndpoint(&o.BaseEndpoint, endpoints["autoscaling"]) }),
		cw: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			setEndpoint(&o.BaseEndpoint, endpoints["cloudwatch"])
			// CloudWatch answers awsQuery as well as the SDK's default
			// rpcv2Cbor (its service model lists both); awsQuery is the one
			// every CloudWatch endpoint and emulator speaks, the same for
			// real AWS and tests.
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}),
		iam:    iam.NewFromConfig(cfg, func(o *iam.Options) { setEndpoint(&o.BaseEndpoint, endpoints["iam"]) }),
		rds:    rds.NewFromConfig(cfg, func(o *rds.Options) { setEndpoint(&o.BaseEndpoint, endpoints["rds"]) }),
		sm:     secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { setEndpoint(&o.BaseEndpoint, endpoints["secretsmanager"]) }),
		sts:    sts.NewFromConfig(cfg, func(o *sts.Options) { setEndpoint(&o.BaseEndpoint, endpoints["sts"]) }),
		region: cfg.Region,
	}
}

// setEndpoint sets a client's BaseEndpoint option to url, if there is one.
// Client options apply after the configuration's endpoint resolution, so
// url wins over cfg.BaseEndpoint and the AWS_ENDPOINT_URL variables.
func setEndpoint(base **string, url string) {
	if url != "" {
		*base = aws.String(url)
	}
}

// Region is the region the clients talk to.
func (c *Cloud) Region() string { return c.region }

// kindClient is what each part kind implements; Cloud dispatches to it.
type kindClient interface {
	// create looks first and adopts an owned child, so it never duplicates.
	create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error)
	update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error)
	// delete treats "not found" as success; p.Props is nil for an orphan.
	delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error
}

func (c *Cloud) kind(k blueprint.Kind) (kindClient, error) {
	switch k {
	case blueprint.KindSecurityGroup:
		return securityGroups{c}, nil
	case blueprint.KindInstanceRole:
		return instanceRoles{c}, nil
	case blueprint.KindInstanceRolePolicy:
		return rolePolicies{c}, nil
	case blueprint.KindLoadBalancer:
		return loadBalancers{c}, nil
	case blueprint.KindTargetGroup:
		return targetGroups{c}, nil
	case blueprint.KindListener:
		return listeners{c}, nil
	case blueprint.KindDBSubnetGroup:
		return dbSubnetGroups{c}, nil
	case blueprint.KindDBInstance:
		return dbInstances{c}, nil
	case blueprint.KindLaunchTemplate:
		return launchTemplates{c}, nil
	case blueprint.KindAutoScalingGroup:
		return autoScalingGroups{c}, nil
	case blueprint.KindScalingPolicy:
		return scalingPolicies{c}, nil
	case blueprint.KindZonalShift:
		return zonalShifts{c}, nil
	case blueprint.KindSecretRotation:
		return secretRotations{c}, nil
	case blueprint.KindOutcomeAlarm:
		return outcomeAlarms{c}, nil
	case blueprint.KindAutoshift:
		return autoshifts{c}, nil
	}
	return nil, fmt.Errorf("unknown part kind %q", k)
}

// Create makes the part's child, or adopts the one this stack already owns
// (also when a lost answer made AWS say it exists: lostanswer.go), and
// waits until it is ready for its dependents.
func (c *Cloud) Create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	k, err := c.kind(p.Kind)
	if err != nil {
		return engine.Observation{}, err
	}
	return createAdopting(ctx, k, p, refs)
}

// Update brings an existing child to the desired properties in place.
func (c *Cloud) Update(ctx context.Context, p blueprint.Part, cur engine.Observation, refs engine.Refs) (engine.Observation, error) {
	k, err := c.kind(p.Kind)
	if err != nil {
		return engine.Observation{}, err
	}
	return k.update(ctx, p, cur, refs)
}

// Delete removes the child and waits until it is gone.
func (c *Cloud) Delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	k, err := c.kind(p.Kind)
	if err != nil {
		return err
	}
	if cur.ID == "" && cur.ARN == "" && cur.Name == "" && p.Name == "" {
		// Nothing to find the child by, so it was never created. A call
		// naming nothing is one AWS refuses (DeleteLaunchTemplate: "You
		// must specify either the launch template ID or the launch
		// template name", MissingParameter), not a "not found".
		return nil
	}
	return k.delete(ctx, p, cur)
}

// props returns the part's desired properties of type T, or an error naming
// the part when the blueprint handed over something else.
func props[T any](p blueprint.Part) (T, error) {
	v, ok := p.Props.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("part %s: properties are %T, want %T", p.Key, p.Props, zero)
	}
	return v, nil
}

// ref returns a dependency's observation, or an error saying which one is
// missing: the engine hands over every dependency, so this is a wiring bug.
func ref(refs engine.Refs, key string) (engine.Observation, error) {
	o, ok := refs[key]
	if !ok {
		return engine.Observation{}, fmt.Errorf("dependency %s is not available", key)
	}
	return o, nil
}

// newObservation starts an observation of p's child.
func newObservation(p blueprint.Part, name, id, arn string, tags map[string]string) engine.Observation {
	return engine.Observation{Kind: p.Kind, Key: p.Key, Name: name, ID: id, ARN: arn, Tags: tags, Attrs: map[string]string{}}
}

// createdObservation is what Create returns beside an error once the
// child's create call has succeeded: the child exists and is this stack's
// (it was tagged on create), so the engine must record it for rollback,
// adoption and true error messages even though it could not be read back
// or finished. It carries what the create call's own answer gave.
func createdObservation(p blueprint.Part, name, id, arn string) engine.Observation {
	return newObservation(p, name, id, arn, p.Tags)
}
