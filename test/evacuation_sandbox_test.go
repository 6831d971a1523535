package test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/soak"
)

// evacuationConfig is a three-zone stack with one instance per zone whose
// evacuated zones are a variable.
const evacuationConfig = e2e.RootHeader + `variable "evacuate_zones" {
  type    = list(string)
  default = []
}

` + e2e.StackOpen + `  instances = {
    image_id  = "ami-12c6146b"
    port      = 8080
    user_data = "#!/bin/sh\necho evacuation\n"
  }
  capacity       = { min = 3, desired = 3, max = 6 }
  health_check   = { path = "/health" }
  evacuate_zones = var.evacuate_zones
}

output "load_balancer_arn" { value = hawebapp_stack.app.load_balancer_arn }
`

// stackNeeds is the capacity the stack above needs in service: its desired.
const stackNeeds = 3

// TestEvacuateZoneUnderLoadSandbox evacuates a zone of a stack under steady
// load and returns it, in the sandbox (real health checks, HAProxy, one app
// process per instance, the ARC zonal shift enforced in the data plane,
// compressed time). Both applies must cost zero failed requests, and the
// instances the load balancer sends new requests to must never be fewer
// than the stack needs.
func TestEvacuateZoneUnderLoadSandbox(t *testing.T) {
	sbt := newSandboxTarget(t)
	ctx := t.Context()
	name := stackName("evac")
	net := env.StackNetwork(t, sbt.aws)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(evacuationConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := terraform.WithDefaultRetryableErrors(t, &terraform.Options{
		TerraformDir: dir, EnvVars: sbt.env, NoColor: true,
		Vars: map[string]any{"name": name, "vpc_id": net.VPCID, "app_subnet_ids": net.App, "lb_subnet_ids": net.LB,
			"evacuate_zones": []string{}},
	})
	defer terraform.DestroyContext(t, background(), opts)
	terraform.InitAndApplyContext(t, ctx, opts)

	lbARN := terraform.OutputContext(t, ctx, opts, "load_balancer_arn")
	state, err := sbt.sb.Client().State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	url := ""
	for _, l := range state.LoadBalancers {
		if l.ARN == lbARN {
			url = l.URL + "/health"
		}
	}
	if url == "" {
		t.Fatalf("the sandbox serves no load balancer %s: %+v", lbARN, state.LoadBalancers)
	}
	serving := func(zone string) int {
		st, err := sbt.sb.Client().State(ctx)
		if err != nil {
			return -1
		}
		n := 0
		for _, in := range st.Instances {
			if in.Serving && (zone == "" || in.AZ == zone) {
				n++
			}
		}
		return n
	}
	env.Until(t, "the stack serving", 2*time.Minute, func() (bool, string) { n := serving(""); return n >= stackNeeds, fmt.Sprintf("%d in service", n) })

	// Watch the instances in service for the whole test.
	watch := watchServing(t, sbt.sb, 100*time.Millisecond)
	load, err := soak.Start(ctx, soak.Options{Name: "evacuation", URL: url, Concurrency: 2, Rate: 20, Drain: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	env.Until(t, "100 successful requests", time.Minute, func() (bool, string) { pr := load.Progress(); return pr.OK >= 100, fmt.Sprintf("%+v", pr) })

	opts.Vars["evacuate_zones"] = []string{"us-east-1b"}
	start := time.Now()
	terraform.ApplyContext(t, ctx, opts)
	t.Logf("evacuation apply took %s", time.Since(start).Round(time.Second))
	// The shift is in the data plane within a reconcile tick.
	env.Until(t, "us-east-1b evacuated", time.Minute, func() (bool, string) {
		n := serving("us-east-1b")
		return n == 0, fmt.Sprintf("%d in service there", n)
	})
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the evacuation exited %d, want 0 (no changes)", code)
	}
	before := load.Progress().OK
	env.Until(t, "100 more successful requests", time.Minute, func() (bool, string) { pr := load.Progress(); return pr.OK >= before+100, fmt.Sprintf("%+v", pr) })

	opts.Vars["evacuate_zones"] = []string{}
	start = time.Now()
	terraform.ApplyContext(t, ctx, opts)
	t.Logf("return apply took %s", time.Since(start).Round(time.Second))
	// The cancelled shift leaves the data plane within a reconcile tick, as
	// it came into it (on AWS the load balancer resumes routing to the zone
	// shortly after CancelZonalShift, not at the call).
	env.Until(t, "us-east-1b serving again", time.Minute, func() (bool, string) {
		n := serving("us-east-1b")
		return n >= 1, fmt.Sprintf("%d in service there", n)
	})
	res, err := load.Stop()
	if err != nil {
		t.Fatal(err)
	}
	lowest, samples := watch()
	t.Logf("during the evacuation and return: %s; fewest instances serving: %d (%d samples)", res.Summary(), lowest, samples)
	if res.Sent == 0 || res.Failed > 0 {
		t.Errorf("want every request answered 2xx: %s (%s)", res.Summary(), soak.FormatReasons(res.Reasons))
	}
	if samples == 0 || lowest < stackNeeds {
		t.Errorf("fewest instances serving %d (%d samples), want never below the stack's %d", lowest, samples, stackNeeds)
	}
	if code := terraform.PlanExitCodeContext(t, ctx, opts); code != 0 {
		t.Errorf("plan after the return exited %d, want 0 (no changes)", code)
	}
}

// watchServing samples how many instances the load balancers send new
// requests to until the returned function is called, which reports the
// fewest seen and how many samples were taken.
func watchServing(t *testing.T, sb *sandbox.Sandbox, every time.Duration) func() (int, int) {
	t.Helper()
	var (
		mu      sync.Mutex
		lowest  = -1
		samples int
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
			st, err := sb.Client().State(t.Context())
			if err != nil {
				continue
			}
			n := 0
			for _, in := range st.Instances {
				if in.Serving {
					n++
				}
			}
			mu.Lock()
			if lowest < 0 || n < lowest {
				lowest = n
			}
			samples++
			mu.Unlock()
		}
	}()
	return func() (int, int) {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return lowest, samples
	}
}
