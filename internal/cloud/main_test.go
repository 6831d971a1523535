package cloud

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
)

// endpoint is the one emulator every test in the package shares; tests
// keep apart by stack name and VPC.
var endpoint string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if code := prereq.Main("internal/cloud", motoserver.Check("python3")); code >= 0 {
		return code
	}
	s, err := motoserver.Start(context.Background(), motoserver.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	endpoint = s.URL
	return m.Run()
}

// callCounter counts API operations (not retries) by name.
type callCounter struct {
	mu  sync.Mutex
	ops []string
}

func (c *callCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

func (c *callCounter) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ops...)
}

func (c *callCounter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("hawebappCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.ops = append(c.ops, awsmiddleware.GetServiceID(ctx)+"."+awsmiddleware.GetOperationName(ctx))
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// testConfig is an SDK configuration for the shared emulator.
func testConfig(t *testing.T, counter *callCounter) aws.Config {
	t.Helper()
	cfg := env.AWSConfig(endpoint)
	if counter != nil {
		cfg.APIOptions = append(cfg.APIOptions, counter.middleware)
	}
	return cfg
}

// countedCloud is a Cloud on the shared emulator, with its configuration
// and the counter of the calls made with that configuration.
func countedCloud(t *testing.T) (*callCounter, aws.Config, *Cloud) {
	t.Helper()
	counter := &callCounter{}
	cfg := testConfig(t, counter)
	return counter, cfg, New(cfg, nil)
}

// testNetwork is the SDK configuration for the shared emulator and a new
// network in it.
func testNetwork(t *testing.T) (aws.Config, env.Net) {
	t.Helper()
	cfg := testConfig(t, nil)
	return cfg, env.Network(t, cfg)
}

// zones are the zones of the tests' networks.
var zones = env.Zones

// appSubnets are n's subnets as a spec takes them.
func appSubnets(n env.Net) []blueprint.Subnet {
	var out []blueprint.Subnet
	for i, id := range n.App {
		out = append(out, blueprint.Subnet{ID: id, Zone: n.Zones[i]})
	}
	return out
}

// testImage is an image the emulator knows.
const testImage = "ami-12c6146b"

// fullSpec is a three-zone stack with a database and every knob set, as the
// stack resource hands it over after applying defaults.
func fullSpec(name string, n env.Net) blueprint.Spec {
	var lbSubnets []string
	for _, s := range appSubnets(n) {
		lbSubnets = append(lbSubnets, s.ID)
	}
	return blueprint.Spec{
		Name: name, VPCID: n.VPCID, VPCCIDR: n.CIDR, AppSubnets: appSubnets(n), LBSubnetIDs: lbSubnets,
		AllowedCIDRs: []string{"0.0.0.0/0"},
		Listener:     blueprint.ListenerSpec{HTTPPort: 80, HTTPSPort: 443},
		HealthCheck: blueprint.HealthCheckSpec{Path: "/healthz", Matcher: "200", Interval: 15, Timeout: 5,
			HealthyThreshold: 2, UnhealthyThreshold: 3, GracePeriod: 60, FailOpenBelowPercent: 25},
		Maintenance:         blueprint.MaintenanceSpec{MinHealthyPercent: 100, MaxHealthyPercent: 200},
		DeregistrationDelay: 30,
		Instances: blueprint.InstancesSpec{ImageID: testImage, InstanceType: "t3.small", Port: 8080,
			UserData: "#!/bin/sh\necho hello\n", RootVolumeSize: 16},
		Capacity: blueprint.CapacitySpec{Min: 3, Desired: 3, Max: 6},
		Scaling:  blueprint.ScalingSpec{Metric: blueprint.MetricRequestCountPerTarget, Target: 500, Warmup: 60},
		Database: &blueprint.DatabaseSpec{Engine: "postgres", EngineVersion: "16.3", InstanceClass: "db.t3.micro",
			AllocatedStorage: 20, MaxAllocatedStorage: 100, MultiAZ: true, BackupRetentionDays: 7, Port: 5432,
			DBName: "app", Username: "app"},
		WaitForHealthyTargets: true,
		Tags:                  map[string]string{"team": "web"},
	}
}
