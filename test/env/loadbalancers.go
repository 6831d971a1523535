package env

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// LoadBalancersNamed counts the load balancers named name that elbc lists,
// for the tests that check a repeated create made no second one. It reads
// one page, all an emulator answers for a test's few load balancers; an
// error reading fails t at once.
func LoadBalancersNamed(ctx context.Context, t testing.TB, elbc *elb.Client, name string) int {
	t.Helper()
	out, err := elbc.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatalf("describing load balancers: %v", err)
	}
	n := 0
	for _, lb := range out.LoadBalancers {
		if aws.ToString(lb.LoadBalancerName) == name {
			n++
		}
	}
	return n
}
