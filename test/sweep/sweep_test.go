package sweep

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
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
	spec := network(t, ctx, cfg)
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

// network makes a VPC with one subnet in each of three zones and returns a
// stack spec (without a database, to keep the test short) placed on it.
func network(t *testing.T, ctx context.Context, cfg aws.Config) blueprint.Spec {
	t.Helper()
	c := ec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	spec := blueprint.Spec{
		VPCID: *vpc.Vpc.VpcId, VPCCIDR: "10.0.0.0/16", AllowedCIDRs: []string{"0.0.0.0/0"},
		Listener:    blueprint.ListenerSpec{HTTPPort: 80, HTTPSPort: 443},
		HealthCheck: blueprint.HealthCheckSpec{Path: "/health", Matcher: "200", Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4},
		Instances:   blueprint.InstancesSpec{ImageID: "ami-12c6146b", InstanceType: "t3.small", Port: 8080, RootVolumeSize: 20},
		Capacity:    blueprint.CapacitySpec{Min: 3, Desired: 3, Max: 6},
		Scaling:     blueprint.ScalingSpec{Metric: blueprint.MetricCPU, Target: 50},
	}
	for i, zone := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(zone),
			CidrBlock: aws.String(fmt.Sprintf("10.0.%d.0/24", i))})
		if err != nil {
			t.Fatal(err)
		}
		spec.AppSubnets = append(spec.AppSubnets, blueprint.Subnet{ID: *sn.Subnet.SubnetId, Zone: zone})
		spec.LBSubnetIDs = append(spec.LBSubnetIDs, *sn.Subnet.SubnetId)
	}
	return spec
}
