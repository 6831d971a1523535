package ha

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
)

// autoshiftSuite is suite 11. Full size only (`make soak`): on a stack of
// its own it adds an apply, a recovery and a practice run of 30 emulated
// minutes, several minutes in all, beyond what `make test` affords.
var autoshiftSuite = suite{"zonal_autoshift", zonalAutoshift}

// zonalAutoshift (suite 11, full size only): the stack turns zonal_autoshift
// on; a zone loses power and AWS (the sandbox) shifts traffic away with no
// apply, the state names the autoshift, the recovery completes it with an
// empty plan; then a practice run on request ends SUCCEEDED with the
// stack's outcome alarm never in ALARM (scenario.Stack.Autoshift). Sandbox
// only: on AWS only AWS declares a zone impaired.
func zonalAutoshift(t *testing.T, s *stack) figures {
	if s.tg.Sandbox == nil {
		t.Skip("zonal autoshift: only AWS declares a zone impaired (no FIS action starts an autoshift); runs in the sandbox")
		return figures{}
	}
	// Kept in the stack's options: the scenario's plans must see it.
	s.opts.Vars["zonal_autoshift"] = map[string]any{"enabled": true}
	start := time.Now()
	if _, err := terraform.ApplyContextE(t, t.Context(), s.opts); err != nil {
		t.Fatalf("turning zonal_autoshift on: %v", err)
	}
	logf(t, "the apply turning zonal_autoshift on took %s", time.Since(start).Round(100*time.Millisecond))
	res, err := s.scenario(t).Autoshift(t.Context(), scenario.Options{Concurrency: concurrency, ClientTimeout: clientTimeout, Drain: drain,
		Settle: s.size.Settle, Tail: s.size.Tail, Recover: s.size.Recover})
	for _, msg := range res.Failures {
		t.Error(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return figures{Suite: "zonal_autoshift", Requests: res.Sent, Failed: res.Failed, Budget: -1, Note: res.Summary()}
}

// RefreshedStack refreshes the root's state (an apply -refresh-only) and
// returns its hawebapp_stack's attributes.
func (tf stackTerraform) RefreshedStack(ctx context.Context) (map[string]any, error) {
	args := terraform.FormatArgs(tf.opts, "apply", "-refresh-only", "-auto-approve", "-input=false")
	if _, err := terraform.RunTerraformCommandContextE(tf.t, ctx, tf.opts, args...); err != nil {
		return nil, fmt.Errorf("refreshing the state: %w", err)
	}
	out, err := terraform.ShowContextE(tf.t, ctx, tf.opts)
	if err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	var st struct {
		Values struct {
			RootModule stateModule `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("reading the state: %w", err)
	}
	if attrs := st.Values.RootModule.find("hawebapp_stack"); attrs != nil {
		return attrs, nil
	}
	return nil, fmt.Errorf("no hawebapp_stack in the state")
}

// stateModule is a module of `terraform show -json`'s state: its resources
// and its child modules.
type stateModule struct {
	Resources []struct {
		Type   string         `json:"type"`
		Values map[string]any `json:"values"`
	} `json:"resources"`
	ChildModules []stateModule `json:"child_modules"`
}

// find is the attributes of the module tree's first resource of type typ.
func (m stateModule) find(typ string) map[string]any {
	for _, r := range m.Resources {
		if r.Type == typ {
			return r.Values
		}
	}
	for _, c := range m.ChildModules {
		if v := c.find(typ); v != nil {
			return v
		}
	}
	return nil
}
