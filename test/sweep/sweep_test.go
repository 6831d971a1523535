package sweep

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// TestSweepRemovesLeftoverStacksByPrefix leaves two whole stacks behind, as
// killed test runs would, plus one with another prefix; the sweep removes
// exactly the two.
func TestSweepRemovesLeftoverStacksByPrefix(t *testing.T) {
	ctx := context.Background()
	moto, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	cfg := env.AWSConfig(moto.URL)
	spec := stackSpec(t, cfg)
	for _, name := range []string{"acc-one", "acc-two", "keep-me"} {
		spec.Name = name
		e := &engine.Engine{Cloud: cloud.New(cfg, nil)}
		if _, err := e.Apply(ctx, blueprint.Build(spec), engine.Options{}); err != nil {
			t.Fatalf("creating %s: %v", name, err)
		}
	}

	swept, err := All(ctx, cfg, "acc-")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(swept) != "[acc-one acc-two]" {
		t.Errorf("swept %v, want [acc-one acc-two]", swept)
	}
	left, err := Stacks(ctx, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(left) != "[keep-me]" {
		t.Errorf("stacks left %v, want [keep-me]", left)
	}
	lbs, err := elasticloadbalancingv2.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lb := range lbs.LoadBalancers {
		if n := aws.ToString(lb.LoadBalancerName); n != "keep-me" {
			t.Errorf("load balancer %s survived the sweep", n)
		}
	}
	if _, err := All(ctx, cfg, ""); err == nil {
		t.Error("a sweep without a prefix must be refused")
	}
}

// stackSpec makes a network (env.Network) and returns a
// stack spec (without a database, to keep the test short) placed on it.
func stackSpec(t *testing.T, cfg aws.Config) blueprint.Spec {
	t.Helper()
	net := env.Network(t, cfg)
	spec := blueprint.Spec{
		VPCID: net.VPCID, VPCCIDR: net.CIDR, AllowedCIDRs: []string{"0.0.0.0/0"},
		Listener:    blueprint.ListenerSpec{HTTPPort: 80, HTTPSPort: 443},
		HealthCheck: blueprint.HealthCheckSpec{Path: "/health", Matcher: "200", Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4},
		Instances:   blueprint.InstancesSpec{ImageID: "ami-12c6146b", InstanceType: "t3.small", Port: 8080, RootVolumeSize: 20},
		Capacity:    blueprint.CapacitySpec{Min: 3, Desired: 3, Max: 6},
		Scaling:     blueprint.ScalingSpec{Metric: blueprint.MetricCPU, Target: 50},
	}
	for i, id := range net.App {
		spec.AppSubnets = append(spec.AppSubnets, blueprint.Subnet{ID: id, Zone: net.Zones[i]})
	}
	spec.LBSubnetIDs = net.App
	return spec
}
