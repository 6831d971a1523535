package cloud

import (
	"context"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// A create call whose answer is lost (the connection reset after AWS did
// the call) is sent again by the SDK: aws-sdk-go-v2's standard retryer
// retries "connection reset" on every operation, idempotent or not
// (aws/retry/retryable_error.go, RetryableConnectionError). The second
// attempt then meets the child the first one made, and the service answers
// with its "already exists" code. These are those codes, for the creates
// the provider makes:
var alreadyExistsCodes = []string{
	// EC2 API reference, "Error codes": CreateSecurityGroup with a name in
	// use in the VPC; CreateLaunchTemplate with a name in use.
	"InvalidGroup.Duplicate", "InvalidLaunchTemplateName.AlreadyExistsException",
	// ELBv2 API reference, CreateLoadBalancer / CreateTargetGroup /
	// CreateListener Errors (DuplicateLoadBalancerName ...); AWS answers a
	// repeat with identical settings with the existing one instead.
	"DuplicateLoadBalancerName", "DuplicateTargetGroupName", "DuplicateListener",
	// Auto Scaling API reference, CreateAutoScalingGroup Errors: AlreadyExists.
	"AlreadyExists",
	// IAM API reference, CreateRole / CreateInstanceProfile Errors: EntityAlreadyExists.
	"EntityAlreadyExists",
	// RDS API reference, CreateDBInstance / CreateDBSubnetGroup Errors.
	"DBInstanceAlreadyExists", "DBSubnetGroupAlreadyExists",
}

// alreadyExistsTimeout bounds how long a child AWS says exists may stay
// invisible to the create's own look-up (eventual consistency: a security
// group or role made a moment ago is not yet listed; hashicorp/aws waits up
// to 2 minutes for IAM propagation, internal/service/iam
// propagationTimeout). Past it, the "already exists" error stands.
const alreadyExistsTimeout = 2 * time.Minute

// createAdopting runs a kind's create and, when AWS answers that the child
// already exists, runs it again: each create looks for the child first and
// adopts it when it carries this stack's ownership tag, or refuses a
// foreign one (checkOwned), so a lost answer never fails the apply and
// never adopts what is not the stack's.
func createAdopting(ctx context.Context, k kindClient, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	obs, err := k.create(ctx, p, refs)
	if !isCode(err, alreadyExistsCodes...) {
		return obs, err
	}
	since := time.Now()
	last := err
	perr := retryWhile(ctx, p.Key+" ("+p.Name+"), which AWS says exists, to be found",
		func(err error) bool {
			return isCode(err, alreadyExistsCodes...) && time.Since(since) < alreadyExistsTimeout
		},
		func(ctx context.Context) error {
			obs, last = k.create(ctx, p, refs)
			return last
		})
	if last != nil {
		return obs, last // the create's own error says more than the wait's
	}
	return obs, perr
}
