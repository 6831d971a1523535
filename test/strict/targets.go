package strict

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// invalidTargetRule answers DescribeTargetHealth that names targets
// (Targets.member.N.Id) as AWS does when one of them is an instance that
// no longer exists or is terminated: InvalidTarget (HTTP 400), "The specified
// target does not exist, is not in the same VPC as the target group, or has
// an unsupported instance type" (ELBv2 API reference, DescribeTargetHealth,
// Errors). moto answers "healthy" for a terminated instance it keeps
// registered. A caller that asks for exactly the instances it just listed
// loses its wait to an instance terminated between the two calls;
// hashicorp/aws asks for the whole group and filters (autoscaling/group.go,
// statusGroupCapacity and findELBV2InstanceStates).
func invalidTargetRule() *rule {
	return &rule{name: InvalidTarget,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("elasticloadbalancing", "DescribeTargetHealth") {
				return nil
			}
			var ids []string
			for _, id := range c.list("Targets.member", "Id") {
				if strings.HasPrefix(id, "i-") {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				return nil
			}
			ctx, cancel := sideCtx()
			defer cancel()
			out, err := l.side.region(c.region).ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
			if err != nil {
				if strings.Contains(err.Error(), "InvalidInstanceID") {
					return invalidTarget()
				}
				return nil
			}
			alive := map[string]bool{}
			for _, r := range out.Reservations {
				for _, in := range r.Instances {
					if in.State != nil && in.State.Name != ec2types.InstanceStateNameTerminated {
						alive[aws.ToString(in.InstanceId)] = true
					}
				}
			}
			for _, id := range ids {
				if !alive[id] {
					return invalidTarget()
				}
			}
			return nil
		}}
}

func invalidTarget() *apiError {
	return errorf(400, "InvalidTarget",
		"The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.")
}
