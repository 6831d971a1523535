package cloud

import (
	"context"
	"strings"
)

// Auto Scaling answers a mutation with one of these while the group is busy:
// ResourceContention (HTTP 500) for "a pending update to an Amazon EC2 Auto
// Scaling resource", ScalingActivityInProgress (HTTP 400) while a launch or
// termination runs. Which call may answer which is listed in the Errors
// section of each call in the Amazon EC2 Auto Scaling API reference (the
// service model aws-sdk-go-v2 is generated from):
//
//	CreateAutoScalingGroup, AttachLoadBalancerTargetGroups,
//	DetachLoadBalancerTargetGroups, PutScalingPolicy, DeletePolicy,
//	EnableMetricsCollection, DisableMetricsCollection,
//	CreateOrUpdateTags, DeleteTags(*)            ResourceContention
//	UpdateAutoScalingGroup, SetDesiredCapacity,
//	TerminateInstanceInAutoScalingGroup           ResourceContention, ScalingActivityInProgress
//	SuspendProcesses, ResumeProcesses             ResourceContention, ResourceInUse
//	DeleteAutoScalingGroup                        ResourceContention, ResourceInUse, ScalingActivityInProgress
//
// (*) DeleteTags lists ResourceContention and ResourceInUse.
// The SDK's standard retryer retries ResourceContention (an HTTP 500) a few
// times within one call; an activity lasts longer than that, so every
// mutation also goes through retryBusy, bounded by the caller's deadline (the
// resource's timeouts block), as hashicorp/aws bounds its retry of
// DeleteAutoScalingGroup by the delete timeout (autoscaling/group.go,
// resourceGroupDelete: RetryWhenAWSErrCodeEquals ResourceInUse,
// ScalingActivityInProgress).
const (
	errCodeResourceContention = "ResourceContention"
)

// isASGBusy reports the answers every Auto Scaling mutation retries.
func isASGBusy(err error) bool {
	return isCode(err, errCodeResourceContention, errCodeScalingActivityInProgress)
}

// retryBusy calls fn until it stops answering "busy", backing off like poll,
// for as long as ctx allows (defaultWaitTimeout without a deadline).
func retryBusy(ctx context.Context, what string, fn func(context.Context) error) error {
	return retryWhile(ctx, what, isASGBusy, fn)
}

// retryBusyOrInUse is retryBusy for the calls that also answer ResourceInUse
// while the group is changing (SuspendProcesses, ResumeProcesses,
// DeleteAutoScalingGroup).
func retryBusyOrInUse(ctx context.Context, what string, fn func(context.Context) error) error {
	return retryWhile(ctx, what, func(err error) bool {
		return isASGBusy(err) || isCode(err, errCodeResourceInUse)
	}, fn)
}

// isInstanceGone reports TerminateInstanceInAutoScalingGroup's answer for an
// instance the group no longer manages: ValidationError "Instance Id not
// found - No managed instance found for instance ID: i-…". The instance is
// gone already (scaled in, replaced, terminated), which is what the caller
// wanted. Matched on the stable part of AWS's message, as hashicorp/aws
// matches "not found" ValidationErrors (autoscaling/group.go, findGroups and
// resourceGroupDelete: ErrMessageContains(err, ValidationError, "not found")).
func isInstanceGone(err error) bool {
	return errCode(err) == errCodeValidationError && strings.Contains(errMessage(err), "Instance Id not found")
}
