package stack_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/provider"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// The acceptance tests run against a private moto server started here,
// behind the strict layer (test/strict: answers like real AWS where moto is
// forgiving; HAWEBAPP_STRICT selects its rules, 0 turns it off), reached
// through a recorder that counts API calls. They run whenever
// TF_ACC is set; against real AWS set HAWEBAPP_ACC_REAL_AWS=1 instead of
// relying on the emulator (the tests then use the ambient credentials).
var (
	accEndpoint string
	accRecorder *recorder.Recorder
	accStrict   *strict.Server
	// accZonalShift serves the ARC zonal shift API (test/zonalshift).
	accZonalShift *zonalshift.Server
)

var protoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"hawebapp": providerserver.NewProtocol6WithError(provider.New("test")()),
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if os.Getenv("TF_ACC") != "" {
		if err := useClient(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if os.Getenv("TF_ACC") == "" || os.Getenv("HAWEBAPP_ACC_REAL_AWS") != "" {
		return m.Run()
	}
	moto, err := motoserver.Start(context.Background(), motoserver.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting moto:", err)
		return 1
	}
	defer moto.Stop()
	opts, err := strict.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if accStrict, err = strict.Start(moto.URL, opts); err != nil {
		fmt.Fprintln(os.Stderr, "starting strict layer:", err)
		return 1
	}
	defer accStrict.Stop()
	defer func() {
		fmt.Fprintf(os.Stderr, "strict rules %v fired: %s\n", accStrict.Layer.Enabled(), accStrict.Layer.Summary())
	}()
	// The ARC zonal shift API, which moto lacks, is answered in front of the
	// strict layer; the emulator reads load balancers from moto itself.
	if accZonalShift, err = zonalshift.Start(accStrict.URL, moto.URL, zonalshift.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "starting zonal shift emulator:", err)
		return 1
	}
	defer accZonalShift.Stop()
	accRecorder, err = recorder.Start(accZonalShift.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting recorder:", err)
		return 1
	}
	defer accRecorder.Stop()
	accEndpoint = accRecorder.URL
	for k, v := range motoserver.ClientEnv(accEndpoint) {
		os.Setenv(k, v)
	}
	return m.Run()
}

// clients are SDK clients for checking AWS state independently of the provider.
type clients struct {
	cfg aws.Config // for test/leaks
	ec2 *ec2.Client
	elb *elasticloadbalancingv2.Client
	asg *autoscaling.Client
	rds *rds.Client
	iam *iam.Client
}

func newClients(t *testing.T) clients {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (it starts its own moto), or TF_ACC=1 HAWEBAPP_ACC_REAL_AWS=1 for real AWS")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return clients{cfg: cfg, ec2: ec2.NewFromConfig(cfg), elb: elasticloadbalancingv2.NewFromConfig(cfg),
		asg: autoscaling.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg)}
}

func tagFilter(stack string) []ec2types.Filter {
	return []ec2types.Filter{{Name: aws.String("tag:hawebapp:stack"), Values: []string{stack}}}
}

func resetRecorder() {
	if accRecorder != nil {
		accRecorder.Reset()
	}
}

// countRefresh stores the AWS calls of the refresh just made in *got and,
// when want is not 0, requires that many, within cloud.RefreshCallBudget.
func countRefresh(t *testing.T, got *int, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if accRecorder == nil {
			return nil // real AWS: no recorder
		}
		// The calls served: one the strict layer throttled is sent again by
		// the SDK, which is AWS refusing, not the refresh's cost.
		*got = len(accRecorder.Served())
		t.Logf("refresh: %d calls served, %d refused and sent again: %s", *got, len(accRecorder.Calls())-*got, accRecorder.Summary())
		if *got == 0 || *got > cloud.RefreshCallBudget || (want != 0 && *got != want) {
			return fmt.Errorf("refresh made %d AWS calls (without the policy %d, budget %d): %s", *got, want, cloud.RefreshCallBudget, accRecorder.Summary())
		}
		return nil
	}
}

// retype changes one instance of group to instanceType out of band (as if
// launched when the first type was short) and returns its ID.
func retype(t *testing.T, c clients, group, instanceType string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 || len(out.AutoScalingGroups[0].Instances) == 0 {
		t.Fatalf("describing %s: %v", group, err)
	}
	id := aws.ToString(out.AutoScalingGroups[0].Instances[0].InstanceId)
	if _, err := c.ec2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		InstanceType: &ec2types.AttributeValue{Value: aws.String(instanceType)}}); err != nil {
		t.Fatal(err)
	}
	return id
}

// breakMix reorders one zonal group's instance types and turns capacity
// rebalancing off, out of band.
func breakMix(t *testing.T, c clients, group string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing %s: %v", group, err)
	}
	p := out.AutoScalingGroups[0].MixedInstancesPolicy
	o := p.LaunchTemplate.Overrides
	o[0], o[1] = o[1], o[0]
	spec := p.LaunchTemplate.LaunchTemplateSpecification
	spec.LaunchTemplateName = nil // the API takes the ID or the name, not both
	if _, err := c.asg.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), CapacityRebalance: aws.Bool(false),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: spec, Overrides: o},
			InstancesDistribution: p.InstancesDistribution}}); err != nil {
		t.Fatal(err)
	}
}
