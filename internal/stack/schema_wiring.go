package stack

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// wiringModel holds the computed attributes users wire into alarms,
// policies and other roots: the CloudWatch dimensions of the load balancer
// and target group (AWS/ApplicationELB's LoadBalancer and TargetGroup
// dimensions are the ARN suffixes, as hashicorp/aws's arn_suffix
// attributes), and the ARNs and names IAM policies and other resources
// take. It is embedded in stackModelV0; the data source reads the same.
type wiringModel struct {
	LoadBalancerARNSuffix types.String `tfsdk:"load_balancer_arn_suffix"`
	TargetGroupARNSuffix  types.String `tfsdk:"target_group_arn_suffix"`
	AutoScalingGroupARNs  types.Map    `tfsdk:"autoscaling_group_arns"`
	ScalingPolicyARNs     types.Map    `tfsdk:"scaling_policy_arns"`
	LaunchTemplateARN     types.String `tfsdk:"launch_template_arn"`
	DBInstanceARN         types.String `tfsdk:"db_instance_arn"`
	InstanceRoleName      types.String `tfsdk:"instance_role_name"`
}

// wiringDescriptions are the attributes' descriptions, shared with the data
// source.
var wiringDescriptions = map[string]string{
	"load_balancer_arn_suffix": "ARN suffix of the load balancer (`app/<name>/<id>`): the `LoadBalancer` dimension of its CloudWatch metrics (`AWS/ApplicationELB`).",
	"target_group_arn_suffix":  "ARN suffix of the target group (`targetgroup/<name>/<id>`): the `TargetGroup` dimension of its CloudWatch metrics.",
	"autoscaling_group_arns":   "ARN of each Auto Scaling group, by availability zone.",
	"scaling_policy_arns":      "ARN of each group's target-tracking scaling policy, by availability zone.",
	"launch_template_arn":      "ARN of the launch template.",
	"db_instance_arn":          "ARN of the database instance; null without a database.",
	"instance_role_name":       "Name of the instance role the stack created, for `aws_iam_role_policy_attachment`; null with `instances.instance_profile_name`.",
}

func wiringAttributes() map[string]schema.Attribute {
	out := map[string]schema.Attribute{}
	for name, desc := range wiringDescriptions {
		if strings.HasSuffix(name, "_arns") {
			out[name] = schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: desc}
		} else {
			out[name] = schema.StringAttribute{Computed: true, MarkdownDescription: desc}
		}
	}
	return out
}

func nullWiring() wiringModel {
	return wiringModel{AutoScalingGroupARNs: types.MapNull(types.StringType), ScalingPolicyARNs: types.MapNull(types.StringType)}
}

// setWiringComputed fills the wiring attributes from the children found; a
// missing child leaves its attribute null (or its map entry out).
func setWiringComputed(m *stackModelV0, spec blueprint.Spec, obs map[string]engine.Observation) {
	str := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	w := nullWiring()
	lb := obs[blueprint.KeyLoadBalancer]
	w.LoadBalancerARNSuffix = str(lb.Attrs["arn_suffix"])
	w.TargetGroupARNSuffix = str(obs[blueprint.KeyTargetGroup].Attrs["arn_suffix"])
	groups, policies := map[string]attr.Value{}, map[string]attr.Value{}
	for _, sn := range spec.AppSubnets {
		if o, ok := obs[blueprint.KeyFor(blueprint.KindAutoScalingGroup, sn.Zone)]; ok && o.ARN != "" {
			groups[sn.Zone] = types.StringValue(o.ARN)
		}
		if o, ok := obs[blueprint.KeyFor(blueprint.KindScalingPolicy, sn.Zone)]; ok && o.ARN != "" {
			policies[sn.Zone] = types.StringValue(o.ARN)
		}
	}
	w.AutoScalingGroupARNs = types.MapValueMust(types.StringType, groups)
	w.ScalingPolicyARNs = types.MapValueMust(types.StringType, policies)
	// EC2 reports no launch template ARN; it is
	// arn:<partition>:ec2:<region>:<account>:launch-template/<id> (EC2 API
	// reference, resource types; hashicorp/aws's aws_launch_template builds
	// its arn the same way), in the load balancer's partition, region and
	// account.
	if lt, ok := obs[blueprint.KeyLaunchTemplate]; ok && lt.ID != "" {
		if f := strings.SplitN(lb.ARN, ":", 6); len(f) == 6 {
			w.LaunchTemplateARN = types.StringValue("arn:" + f[1] + ":ec2:" + f[3] + ":" + f[4] + ":launch-template/" + lt.ID)
		}
	}
	w.DBInstanceARN = str(obs[blueprint.KeyDBInstance].ARN)
	if role, ok := obs[blueprint.KeyInstanceRole]; ok {
		w.InstanceRoleName = str(role.Name)
	}
	m.wiringModel = w
}

// planWiring plans the wiring attributes: the state's value while the child
// it names stays (the attribute it follows is planned unchanged), unknown
// when the child may be replaced, null for a database the plan removes.
func planWiring(plan *stackModelV0, state *stackModelV0) {
	if state == nil || len(state.Drift.Elements()) > 0 {
		// A create, or an apply that repairs children: every identifier may be new.
		plan.wiringModel = wiringModel{
			LoadBalancerARNSuffix: types.StringUnknown(), TargetGroupARNSuffix: types.StringUnknown(),
			AutoScalingGroupARNs: types.MapUnknown(types.StringType), ScalingPolicyARNs: types.MapUnknown(types.StringType),
			LaunchTemplateARN: types.StringUnknown(), DBInstanceARN: types.StringUnknown(), InstanceRoleName: types.StringUnknown(),
		}
	} else {
		s := state.wiringModel
		plan.wiringModel = wiringModel{
			LoadBalancerARNSuffix: keepIf(s.LoadBalancerARNSuffix, plan.LoadBalancerARN, state.LoadBalancerARN),
			TargetGroupARNSuffix:  keepIf(s.TargetGroupARNSuffix, plan.TargetGroupARN, state.TargetGroupARN),
			LaunchTemplateARN:     keepIf(s.LaunchTemplateARN, plan.LaunchTemplateID, state.LaunchTemplateID),
			DBInstanceARN:         keepIf(s.DBInstanceARN, plan.DBInstanceIdentifier, state.DBInstanceIdentifier),
			InstanceRoleName:      keepIf(s.InstanceRoleName, plan.InstanceRoleARN, state.InstanceRoleARN),
			AutoScalingGroupARNs:  types.MapUnknown(types.StringType),
			ScalingPolicyARNs:     types.MapUnknown(types.StringType),
		}
		// A group keeps its ARN while its name stays; a policy is put again
		// (and may get a new ARN) when scaling changes.
		groupsStay := !plan.AutoScalingGroupNames.IsUnknown() && plan.AutoScalingGroupNames.Equal(state.AutoScalingGroupNames) && !s.AutoScalingGroupARNs.IsNull()
		if groupsStay {
			plan.AutoScalingGroupARNs = s.AutoScalingGroupARNs
			if plan.Scaling.Equal(state.Scaling) && !s.ScalingPolicyARNs.IsNull() {
				plan.ScalingPolicyARNs = s.ScalingPolicyARNs
			}
		}
	}
	if !plan.DBInstanceIdentifier.IsUnknown() && plan.DBInstanceIdentifier.IsNull() {
		plan.DBInstanceARN = types.StringNull()
	}
}

// keepIf is the state's value v when the attribute it follows is planned
// as it is in the state, and unknown otherwise. A null v is kept only when
// the attribute it follows is null too (no such child): a state written
// before the attribute existed holds null for a child that exists, and the
// apply will fill it in.
func keepIf(v, planned, prior types.String) types.String {
	if !planned.IsUnknown() && planned.Equal(prior) && (!v.IsNull() || prior.IsNull()) {
		return v
	}
	return types.StringUnknown()
}
