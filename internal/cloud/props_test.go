package cloud

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/google/go-cmp/cmp"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

func TestUserDataVars(t *testing.T) {
	script := "#!/bin/sh\necho hi\n"
	vars := map[string]string{blueprint.VarPort: "8080", blueprint.VarStack: "shop", blueprint.VarDBInstance: "shop"}
	if got := userDataVars(blueprint.RenderUserData(script, vars)); !reflect.DeepEqual(got, vars) {
		t.Errorf("userDataVars = %v, want %v", got, vars)
	}
	for _, s := range []string{script, "#cloud-config\n", ""} {
		if got := userDataVars(s); got != nil {
			t.Errorf("userDataVars(%q) = %v, want nil", s, got)
		}
	}
}

func TestAssumeService(t *testing.T) {
	for doc, want := range map[string]string{
		assumeRolePolicy("ec2.amazonaws.com"): "ec2.amazonaws.com",
		`%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%7D`: "ecs-tasks.amazonaws.com",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"sts:AssumeRole"}]}`:                                                                                                      "",
		"not JSON": "",
	} {
		if got := assumeService(doc); got != want {
			t.Errorf("assumeService(%s) = %q, want %q", doc, got, want)
		}
	}
}

func TestRulesOf(t *testing.T) {
	atoms := map[string]sgRule{}
	for _, r := range []sgRule{
		{proto: "tcp", from: 443, to: 443, cidr: "10.0.0.0/8", description: "listener 443"},
		{proto: "tcp", from: 80, to: 80, cidr: "10.0.0.0/8", description: "listener 80"},
		{proto: "tcp", from: 80, to: 80, cidr: "0.0.0.0/0", description: "listener 80"},
		{proto: "tcp", from: 8080, to: 8080, group: "sg-alb", description: "from load balancer"},
		{proto: "tcp", from: 8080, to: 8080, group: "sg-elsewhere"},
		{egress: true, proto: "-1", cidr: "0.0.0.0/0", description: "outbound"},
	} {
		atoms[r.key()] = r
	}
	keyOf := func(id string) string { return map[string]string{"sg-alb": blueprint.KeyALBSecurityGroup}[id] }
	want := []blueprint.Rule{
		{Protocol: "tcp", FromPort: 80, ToPort: 80, CIDRs: []string{"0.0.0.0/0", "10.0.0.0/8"}, Description: "listener 80"},
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"10.0.0.0/8"}, Description: "listener 443"},
		{Protocol: "tcp", FromPort: 8080, ToPort: 8080, SourceGroupKey: blueprint.KeyALBSecurityGroup, Description: "from load balancer"},
	}
	if diff := cmp.Diff(want, rulesOf(atoms, false, keyOf)); diff != "" {
		t.Errorf("ingress (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]blueprint.Rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}, Description: "outbound"}}, rulesOf(atoms, true, keyOf)); diff != "" {
		t.Errorf("egress (-want +got):\n%s", diff)
	}
}

// propsSpec is fullSpec with HTTPS, so both listeners exist.
func propsSpec(name string, n env.Net, certificateARN string) blueprint.Spec {
	spec := fullSpec(name, n)
	spec.Listener.CertificateARN = certificateARN
	spec.Listener.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	return spec
}

// wantProps is the part's desired properties as AWS reports them back:
// keys where AWS keeps none, defaults AWS fills, what it does not store.
func wantProps(p blueprint.Part, obs map[string]engine.Observation) any {
	switch want := p.Props.(type) {
	case blueprint.SecurityGroupProps:
		// An allow-all egress rule is AWS's default one, kept as it is: without a description.
		want.Egress = slices.Clone(want.Egress)
		for i, r := range want.Egress {
			if r.Protocol == "-1" && slices.Equal(r.CIDRs, []string{"0.0.0.0/0"}) {
				want.Egress[i].Description = ""
			}
		}
		return want
	case blueprint.TargetGroupProps:
		want.HealthCheck.GracePeriod = 0 // the Auto Scaling groups'
		return want
	case blueprint.ListenerProps:
		if want.Action == blueprint.ActionRedirectHTTPS {
			want.TargetGroupKey = "" // a redirect names no target group
		}
		return want
	case blueprint.DBInstanceProps:
		want.FinalSnapshotID, want.SkipFinalSnapshot = "", false // the provider's, at delete
		return want
	case blueprint.LaunchTemplateProps:
		if want.InstanceProfileName == "" {
			want.InstanceProfileName = obs[want.RoleKey].Attrs["profile_name"]
		}
		return want
	case blueprint.AutoScalingGroupProps:
		want.WaitForHealthyTargets = false // the provider's, at create and update
		if got, _ := obs[p.Key].Props.(blueprint.AutoScalingGroupProps); got.DefaultWarmup == 0 {
			want.DefaultWarmup = 0 // the emulator does not report it (AWS does)
		}
		return want
	}
	return p.Props
}

// gotProps is the observation's properties, the user data stripped of the
// rendered variables (which the stack strips on import).
func gotProps(o engine.Observation) any {
	if lt, ok := o.Props.(blueprint.LaunchTemplateProps); ok {
		lt.UserData = blueprint.StripUserData(lt.UserData)
		return lt
	}
	return o.Props
}

// checkProps compares every part's observed properties with the desired ones.
func checkProps(t *testing.T, bp blueprint.Blueprint, obs map[string]engine.Observation) {
	t.Helper()
	for _, p := range bp.Parts {
		o, ok := obs[p.Key]
		if !ok {
			t.Errorf("%s: not observed", p.Key)
			continue
		}
		if reflect.TypeOf(o.Props) != reflect.TypeOf(p.Props) {
			t.Errorf("%s: props are %T, want %T", p.Key, o.Props, p.Props)
			continue
		}
		if diff := cmp.Diff(wantProps(p, obs), gotProps(o)); diff != "" {
			t.Errorf("%s: props (-want +got):\n%s", p.Key, diff)
		}
	}
}

func TestObservedProps(t *testing.T) {
	counter, cfg, c := countedCloud(t)
	bp := blueprint.Build(propsSpec("props", env.Network(t, cfg), env.ServerCertificate(t, cfg, "props")))
	created := apply(t, c, bp)
	t.Cleanup(func() { deleteAll(t, c, bp) })
	t.Run("create", func(t *testing.T) { checkProps(t, bp, created) })
	t.Run("observe", func(t *testing.T) {
		obs, err := c.Observe(t.Context(), bp)
		if err != nil {
			t.Fatal(err)
		}
		checkProps(t, bp, obs)
		if lt, _ := obs[blueprint.KeyLaunchTemplate].Props.(blueprint.LaunchTemplateProps); !strings.Contains(lt.UserData, blueprint.VarDBInstance+"=") {
			t.Errorf("launch template user data %q, want it as stored (rendered)", lt.UserData)
		}
	})
	t.Run("import probe reads every child", func(t *testing.T) {
		// The blueprint the stack resource imports with: names only, no
		// zones, no HTTPS listener, zero properties.
		probe := blueprint.Build(blueprint.Spec{Name: "props", Database: &blueprint.DatabaseSpec{}})
		probe.ReadAll = true
		counter.reset()
		obs, err := c.Observe(t.Context(), probe)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("import probe made %d calls: %v", len(counter.calls()), counter.calls())
		checkProps(t, bp, obs)
		if len(obs) != len(bp.Parts) {
			t.Errorf("observed %v, want exactly the keys of the stack's %d parts", keys(obs), len(bp.Parts))
		}
		for _, p := range bp.Parts {
			if o := obs[p.Key]; o.Kind != p.Kind || o.Name != p.Name {
				t.Errorf("%s: observed %s %q, want %s %q", p.Key, o.Kind, o.Name, p.Kind, p.Name)
			}
		}
	})
	t.Run("import probe finds an untagged listener by what it does", func(t *testing.T) {
		elbc := elb.NewFromConfig(cfg)
		arn := created[blueprint.KeyHTTPListener].ARN
		tagKeys := []string{blueprint.TagStack, blueprint.TagPart}
		if _, err := elbc.RemoveTags(t.Context(), &elb.RemoveTagsInput{ResourceArns: []string{arn}, TagKeys: tagKeys}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := elbc.AddTags(context.Background(), &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: elbTags(created[blueprint.KeyHTTPListener].Tags)}); err != nil {
				t.Error(err)
			}
		}()
		probe := blueprint.Build(blueprint.Spec{Name: "props", Database: &blueprint.DatabaseSpec{}})
		probe.ReadAll = true
		obs, err := c.Observe(t.Context(), probe)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := obs[blueprint.KeyHTTPListener]
		if !ok || got.ARN != arn {
			t.Fatalf("untagged HTTP listener not found: %+v", got)
		}
		if l, _ := got.Props.(blueprint.ListenerProps); l.Action != blueprint.ActionRedirectHTTPS || l.RedirectPort != 443 {
			t.Errorf("listener props %+v, want the redirect to 443", got.Props)
		}
		if obs[blueprint.KeyHTTPSListener].ARN != created[blueprint.KeyHTTPSListener].ARN {
			t.Errorf("HTTPS listener %+v, want %s", obs[blueprint.KeyHTTPSListener], created[blueprint.KeyHTTPSListener].ARN)
		}
	})
	t.Run("refresh stays batched", func(t *testing.T) {
		counter.reset()
		if _, err := c.Observe(t.Context(), bp); err != nil {
			t.Fatal(err)
		}
		if calls := counter.calls(); len(calls) > RefreshCallBudget {
			t.Errorf("Observe made %d calls, want <= %d: %v", len(calls), RefreshCallBudget, calls)
		} else {
			t.Logf("refresh made %d calls", len(calls))
		}
	})
}

// deleteAll deletes the stack's children in reverse order (as a cleanup:
// the test's context is done by then).
func deleteAll(t *testing.T, c *Cloud, bp blueprint.Blueprint) {
	ctx := context.Background()
	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Error(err)
		return
	}
	for i := len(bp.Parts) - 1; i >= 0; i-- {
		if o, ok := obs[bp.Parts[i].Key]; ok {
			if err := c.Delete(ctx, bp.Parts[i], o); err != nil {
				t.Errorf("deleting %s: %v", bp.Parts[i].Key, err)
			}
		}
	}
}

func TestImportProbeOfMissingStack(t *testing.T) {
	probe := blueprint.Build(blueprint.Spec{Name: "nothing-here", Database: &blueprint.DatabaseSpec{}})
	probe.ReadAll = true
	obs, err := New(testConfig(t, nil), nil).Observe(t.Context(), probe)
	if err != nil || len(obs) > 0 {
		t.Errorf("Observe = %v, %v; want nothing found", keys(obs), err)
	}
}
