package strict

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// A create sent again with the same settings (as the SDK does when the
// first answer was lost) answers the object the first one made, and the API
// still shows one; other settings for the same name or port answer the
// Duplicate error and change nothing.
func TestIdempotentCreate(t *testing.T) {
	c := through(t, Options{}, IdempotentCreate)
	n := twoZones(t, c)
	ctx := t.Context()
	group := newGroup(t, c, n.VPCID, "strict-idem")

	var lbARN string
	t.Run("load balancer", func(t *testing.T) {
		in := &elb.CreateLoadBalancerInput{Name: aws.String("strict-idem"), Subnets: n.App, SecurityGroups: []string{group}}
		first, err := c.elb.CreateLoadBalancer(ctx, in)
		must(t, err)
		lbARN = aws.ToString(first.LoadBalancers[0].LoadBalancerArn)
		again, err := c.elb.CreateLoadBalancer(ctx, in)
		must(t, err)
		if got := aws.ToString(again.LoadBalancers[0].LoadBalancerArn); got != lbARN {
			t.Fatalf("repeat answered %s, want the first load balancer %s", got, lbARN)
		}
		other := *in
		other.Scheme = elbtypes.LoadBalancerSchemeEnumInternal
		_, err = c.elb.CreateLoadBalancer(ctx, &other)
		wantCode(t, err, "DuplicateLoadBalancerName", 400)
		if named := env.LoadBalancersNamed(ctx, t, c.elb, "strict-idem"); named != 1 {
			t.Fatalf("%d load balancers named strict-idem, want 1", named)
		}
	})

	tgIn := &elb.CreateTargetGroupInput{Name: aws.String("strict-idem"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String(n.VPCID), TargetType: elbtypes.TargetTypeEnumInstance}
	var tgARN string
	t.Run("target group", func(t *testing.T) {
		first, err := c.elb.CreateTargetGroup(ctx, tgIn)
		must(t, err)
		tgARN = aws.ToString(first.TargetGroups[0].TargetGroupArn)
		again, err := c.elb.CreateTargetGroup(ctx, tgIn) // moto: DuplicateTargetGroupName
		must(t, err)
		if got := aws.ToString(again.TargetGroups[0].TargetGroupArn); got != tgARN {
			t.Fatalf("repeat answered %s, want the first target group %s", got, tgARN)
		}
		other := *tgIn
		other.Port = aws.Int32(9090)
		_, err = c.elb.CreateTargetGroup(ctx, &other)
		wantCode(t, err, "DuplicateTargetGroupName", 400)
		got, err := c.elb.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"strict-idem"}})
		must(t, err)
		if len(got.TargetGroups) != 1 || aws.ToInt32(got.TargetGroups[0].Port) != 8080 {
			t.Fatalf("target groups named strict-idem: %+v, want one on port 8080", got.TargetGroups)
		}
	})

	t.Run("listener", func(t *testing.T) {
		if lbARN == "" || tgARN == "" {
			t.Fatal("needs the load balancer and target group of the subtests above")
		}
		otherTG, err := c.elb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("strict-idem-other"),
			Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(n.VPCID)})
		must(t, err)
		forward := func(tg string) []elbtypes.Action {
			return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
		}
		in := &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Port: aws.Int32(80),
			Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: forward(tgARN)}
		first, err := c.elb.CreateListener(ctx, in)
		must(t, err)
		arn := aws.ToString(first.Listeners[0].ListenerArn)
		again, err := c.elb.CreateListener(ctx, in)
		must(t, err)
		if got := aws.ToString(again.Listeners[0].ListenerArn); got != arn || aws.ToInt32(again.Listeners[0].Port) != 80 {
			t.Fatalf("repeat answered %s port %d, want the first listener %s", got, aws.ToInt32(again.Listeners[0].Port), arn)
		}
		other := *in
		other.DefaultActions = forward(aws.ToString(otherTG.TargetGroups[0].TargetGroupArn))
		_, err = c.elb.CreateListener(ctx, &other)
		wantCode(t, err, "DuplicateListener", 400)
		got, err := c.elb.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
		must(t, err)
		if len(got.Listeners) != 1 || aws.ToString(got.Listeners[0].DefaultActions[0].TargetGroupArn) != tgARN {
			t.Fatalf("listeners of the load balancer: %+v, want one forwarding to %s", got.Listeners, tgARN)
		}
	})
	wantFired(t, c, IdempotentCreate, 6)
}
