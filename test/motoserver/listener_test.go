package motoserver

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestModifyListenerMovesTargetGroupAssociation proves the launcher's fix: a
// listener switched to another target group (as a port change, which
// replaces the group, does) makes the new group show the load balancer and
// the old one drop it, as AWS reports (moto 5.2.1 alone changes neither).
func TestModifyListenerMovesTargetGroupAssociation(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	cfg := env.AWSConfig(s.URL)
	net := env.Network(t, cfg, "us-east-1a", "us-east-1b")
	c := elb.NewFromConfig(cfg)
	lb, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("listener-fix"), Subnets: net.App})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	group := func(name string, port int32) string {
		out, err := c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(port), VpcId: aws.String(net.VPCID)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.TargetGroups[0].TargetGroupArn)
	}
	oldTG, newTG := group("listener-fix-8080", 8080), group("listener-fix-9090", 9090)
	forward := func(tg string) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}
	}
	l, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(80), DefaultActions: forward(oldTG)})
	if err != nil {
		t.Fatal(err)
	}
	served := func(tg string) bool {
		out, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(out.TargetGroups[0].LoadBalancerArns, lbARN)
	}
	if !served(oldTG) || served(newTG) {
		t.Fatalf("after CreateListener: old group served %v, new %v; want true, false", served(oldTG), served(newTG))
	}
	if _, err := c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.Listeners[0].ListenerArn, DefaultActions: forward(newTG)}); err != nil {
		t.Fatal(err)
	}
	if served(oldTG) || !served(newTG) {
		t.Fatalf("after ModifyListener: old group served %v, new %v; want false, true", served(oldTG), served(newTG))
	}
}
