"""Run moto_server with the fixes hawebapp's tests rely on.

Fixes: UserData of CreateLaunchTemplateVersion, the launch template version of
Auto Scaling instances, the instance maintenance policy, a zero health check
grace period and the mixed instances policy of Auto Scaling groups, the load
balancers of target groups after ModifyListener, a secret's rotation
schedule, and a root device mapped without a size (each explained where it is made).

moto 5.2.1 stores the UserData of CreateLaunchTemplateVersion unparsed, so any
Auto Scaling launch from such a version fails with HTTP 500. CreateLaunchTemplate
already parses it; this wrapper makes the version call do the same, then hands
over to moto's own server entry point unchanged.
"""
import sys

from moto.ec2.responses import launch_templates
from moto.ec2.utils import parse_user_data
from moto.server import main

_original_get_param = launch_templates.LaunchTemplates._get_param


def _create_launch_template_version(self):
    raw = _original_get_param(self, "LaunchTemplateData.UserData")
    if raw is None:
        return _original_create_version(self)

    def get_param(name, *args, **kwargs):
        value = _original_get_param(self, name, *args, **kwargs)
        if name == "LaunchTemplateData" and isinstance(value, dict):
            value["UserData"] = parse_user_data(raw)
        return value

    self._get_param = get_param
    try:
        return _original_create_version(self)
    finally:
        del self._get_param


_original_create_version = launch_templates.LaunchTemplates.create_launch_template_version
launch_templates.LaunchTemplates.create_launch_template_version = _create_launch_template_version


# moto 5.2.1 reports every Auto Scaling instance's launch template version as
# the template's current default version, whatever version launched it. AWS
# reports the version the instance was launched from (DescribeAutoScalingGroups,
# Instance.LaunchTemplate), which is what tells an outdated instance apart
# after a rollout was interrupted. Record the group's pinned version, resolved,
# when the instance joins the group, and report that.
from moto.autoscaling import models as autoscaling_models

_original_instance_state_init = autoscaling_models.InstanceState.__init__
_original_instance_launch_template = autoscaling_models.InstanceState.launch_template


def _instance_state_init(self, *args, **kwargs):
    _original_instance_state_init(self, *args, **kwargs)
    self.launched_version = None
    group = self.auto_scaling_group
    template = getattr(group, "ec2_launch_template", None) if group is not None else None
    if template is not None:
        self.launched_version = template.get_version(group.launch_template_version).number


def _instance_launch_template(self):
    lt = _original_instance_launch_template.fget(self)
    if lt is not None and getattr(self, "launched_version", None) is not None:
        lt["Version"] = self.launched_version
    return lt


autoscaling_models.InstanceState.__init__ = _instance_state_init
autoscaling_models.InstanceState.launch_template = property(_instance_launch_template)


# moto 5.2.1 drops InstanceMaintenancePolicy on CreateAutoScalingGroup and
# UpdateAutoScalingGroup, so DescribeAutoScalingGroups never shows one. AWS
# keeps it, and -1 in both percentages clears it (API reference,
# InstanceMaintenancePolicy). Store it on the group, where moto's response
# serializer finds it.
from moto.autoscaling import responses as autoscaling_responses


def _keep_maintenance_policy(original):
    def call(self):
        result = original(self)
        policy = self._get_params().get("InstanceMaintenancePolicy")
        if policy:
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            low = int(policy.get("MinHealthyPercentage", -1))
            high = int(policy.get("MaxHealthyPercentage", -1))
            if low == -1 and high == -1:
                group.instance_maintenance_policy = None
            else:
                group.instance_maintenance_policy = {"MinHealthyPercentage": low, "MaxHealthyPercentage": high}
        return result

    return call


for _name in ("create_auto_scaling_group", "update_auto_scaling_group"):
    setattr(autoscaling_responses.AutoScalingResponse, _name,
            _keep_maintenance_policy(getattr(autoscaling_responses.AutoScalingResponse, _name)))


# moto 5.2.1 turns HealthCheckGracePeriod=0 on CreateAutoScalingGroup into 300
# (its "or 300" default). AWS keeps 0, which is also its default (API
# reference, CreateAutoScalingGroup: HealthCheckGracePeriod, "Default: 0
# seconds"); the provider's apply fails when a group reports another value
# than the one asked. Keep the value the call gave; an omitted one stays
# moto's.
def _keep_zero_grace_period(original):
    def call(self):
        result = original(self)
        period = self._get_int_param("HealthCheckGracePeriod")
        if period is not None:
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            group.health_check_grace_period = period
        return result

    return call


autoscaling_responses.AutoScalingResponse.create_auto_scaling_group = _keep_zero_grace_period(
    autoscaling_responses.AutoScalingResponse.create_auto_scaling_group)


# moto 5.2.1's ModifyListener leaves every target group's LoadBalancerArns as
# they were (CreateListener and CreateRule add to them), so a group a listener
# now forwards to never shows the load balancer, and one it no longer forwards
# to keeps it. AWS reports the load balancers whose listeners or rules forward
# to the group (ELBv2 API reference, TargetGroup.LoadBalancerArns). After the
# call, recompute them for the listener's load balancer.
from moto.elbv2 import responses as elbv2_responses


def _sync_target_group_load_balancers(original):
    def call(self):
        result = original(self)
        backend = self.elbv2_backend
        listener = backend.describe_listeners(None, [self._get_param("ListenerArn")])[0]
        lb_arn = listener.load_balancer_arn
        forwarded = set()
        for other in backend.load_balancers[lb_arn].listeners.values():
            for rule in other.rules.values():
                for action in rule.actions:
                    if action.type == "forward":
                        forwarded.update(backend._get_target_group_arns_from(action_data=action.data))
        for arn, group in backend.target_groups.items():
            if arn in forwarded and lb_arn not in group.load_balancer_arns:
                group.load_balancer_arns.append(lb_arn)
            elif arn not in forwarded and lb_arn in group.load_balancer_arns:
                group.load_balancer_arns.remove(lb_arn)
        return result

    return call


elbv2_responses.ELBV2Response.modify_listener = _sync_target_group_load_balancers(
    elbv2_responses.ELBV2Response.modify_listener)


# moto 5.2.1 and a group's mixed instances policy (MixedInstancesPolicy,
# CapacityRebalance), against the API reference of UpdateAutoScalingGroup
# ("any parameters that you don't specify are not changed"):
# - an update without MixedInstancesPolicy drops the policy (MaxSize alone
#   does), and CapacityRebalance is never updated: keep both unless given;
# - a group switched from a launch template to a policy still reports the
#   template: a group has one or the other, so report the policy alone;
# - with a Spot share, moto launches fewer instances than the desired
#   capacity (it truncates the on-demand and Spot shares separately); Auto
#   Scaling launches the desired capacity, whatever the split. moto launches
#   the launch template's type, the first override, as "prioritized" does when
#   that type is not short (the sandbox models a short type).
_original_group_update = autoscaling_models.FakeAutoScalingGroup.update
_original_group_launch_template = autoscaling_models.FakeAutoScalingGroup.launch_template
_original_set_desired = autoscaling_models.FakeAutoScalingGroup.set_desired_capacity


def _group_update(self, *args, **kwargs):
    before = self.mixed_instances_policy
    given = kwargs.get("mixed_instances_policy")
    _original_group_update(self, *args, **kwargs)
    if given is None and not kwargs.get("launch_template") and before is not None:
        self.mixed_instances_policy = before


def _group_launch_template(self):
    if self.mixed_instances_policy:
        return None
    return _original_group_launch_template.fget(self)


def _set_desired_capacity(self, new_capacity):
    policy = self.mixed_instances_policy
    self.mixed_instances_policy = None
    try:
        _original_set_desired(self, new_capacity)
    finally:
        self.mixed_instances_policy = policy


autoscaling_models.FakeAutoScalingGroup.update = _group_update
autoscaling_models.FakeAutoScalingGroup.launch_template = property(_group_launch_template)
autoscaling_models.FakeAutoScalingGroup.set_desired_capacity = _set_desired_capacity

_original_update_response = autoscaling_responses.AutoScalingResponse.update_auto_scaling_group


def _update_capacity_rebalance(self):
    result = _original_update_response(self)
    value = self._get_bool_param("CapacityRebalance", None)
    if value is not None:
        self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")].capacity_rebalance = value
    return result


autoscaling_responses.AutoScalingResponse.update_auto_scaling_group = _update_capacity_rebalance

# moto 5.2.1 copies an Auto Scaling instance's type when it joins the group;
# AWS reports the instance's own (DescribeAutoScalingGroups, Instance.
# InstanceType). The sandbox launches a mixed group's next type by changing
# the instance moto made (ModifyInstanceAttribute): report what it is now.
autoscaling_models.InstanceState.instance_type = property(
    lambda self: self.instance.instance_type, lambda self, value: None)

# moto 5.2.1 keeps only AutomaticallyAfterDays of RotateSecret's RotationRules:
# a ScheduleExpression or Duration is dropped, and rotation is reported off
# unless AutomaticallyAfterDays was given. AWS keeps all three and reports
# them in DescribeSecret's RotationRules (with AutomaticallyAfterDays
# computed for a "rate(N days)" expression), rotation on (Secrets Manager
# API reference, RotateSecret and RotationRulesType). Keep them on the
# secret and add them to the description.
import re

from moto.secretsmanager import models as secretsmanager_models

_rate_days = re.compile(r"^rate\((\d+) days?\)$")


def _keep_rotation_rules(original):
    def call(self, secret_id, *args, **kwargs):
        result = original(self, secret_id, *args, **kwargs)
        rules = kwargs.get("rotation_rules") or (args[2] if len(args) > 2 else None)
        if rules:
            secret = self.secrets[secret_id]
            secret.rotation_schedule = rules.get("ScheduleExpression")
            secret.rotation_duration = rules.get("Duration")
            if secret.rotation_schedule:
                m = _rate_days.match(secret.rotation_schedule)
                secret.auto_rotate_after_days = int(m.group(1)) if m else 0
                secret.rotation_enabled = True
        return result

    return call


def _describe_rotation_rules(original):
    def call(self):
        dct = original(self)
        rules = dct.get("RotationRules")
        if rules is not None:
            if getattr(self, "rotation_schedule", None):
                rules["ScheduleExpression"] = self.rotation_schedule
                if not rules.get("AutomaticallyAfterDays"):
                    rules.pop("AutomaticallyAfterDays", None)
            if getattr(self, "rotation_duration", None):
                rules["Duration"] = self.rotation_duration
        return dct

    return call


secretsmanager_models.SecretsManagerBackend.rotate_secret = _keep_rotation_rules(secretsmanager_models.SecretsManagerBackend.rotate_secret)
secretsmanager_models.FakeSecret.to_dict = _describe_rotation_rules(secretsmanager_models.FakeSecret.to_dict)


# moto 5.2.1 fails a launch whose block device mapping for the image's root
# device gives neither a size nor a snapshot (MissingParameter
# "size/snapshot"); EC2 takes the image's root snapshot for that device, and
# its size unless one is given (EC2 API reference, EbsBlockDevice:
# VolumeSize "the default is the snapshot size"). The load-runner module
# leaves the size to the image by default. Give the root device the image's
# snapshot when the mapping names none.
from moto.ec2.models import instances as ec2_instances

_original_add_block_device = ec2_instances.Instance.add_block_device


def _add_block_device(self, size, device_path, snapshot_id, *args, **kwargs):
    if size is None and snapshot_id is None and device_path == self.root_device_name:
        images = self.ec2_backend.describe_images(filters={"image-id": self.image_id})
        if images and getattr(images[0], "ebs_snapshot", None) is not None:
            snapshot_id = images[0].ebs_snapshot.id
    return _original_add_block_device(self, size, device_path, snapshot_id, *args, **kwargs)


ec2_instances.Instance.add_block_device = _add_block_device


if __name__ == "__main__":
    main(sys.argv[1:])
