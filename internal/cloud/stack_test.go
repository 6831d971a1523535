package cloud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

// apply is a minimal reconcile, as the engine does it: create what is
// missing, update what drifted or whose dependency changed. It fails the
// test on any error.
func apply(t *testing.T, c *Cloud, bp blueprint.Blueprint) map[string]engine.Observation {
	t.Helper()
	out, err := applyE(t, c, bp)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// applyE is apply returning its error, for tests that expect one.
func applyE(t *testing.T, c *Cloud, bp blueprint.Blueprint) (map[string]engine.Observation, error) {
	t.Helper()
	ctx := t.Context()
	observed, err := c.Observe(ctx, bp)
	if err != nil {
		return nil, err
	}
	out := map[string]engine.Observation{}
	changed := map[string]bool{}
	for _, p := range bp.Parts {
		cur, found := observed[p.Key]
		depChanged := slices.ContainsFunc(p.DependsOn, func(d string) bool { return changed[d] })
		var o engine.Observation
		switch {
		case !found:
			o, err = c.Create(ctx, p, engine.Refs(out))
		case !cur.UpToDate() || depChanged:
			o, err = c.Update(ctx, p, cur, engine.Refs(out))
		default:
			o = cur
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", p.Key, err)
		}
		if o.Kind != p.Kind || o.Key != p.Key || o.Name != p.Name {
			return out, fmt.Errorf("%s: observation is %s %s %q, want %s %s %q", p.Key, o.Kind, o.Key, o.Name, p.Kind, p.Key, p.Name)
		}
		changed[p.Key] = !found || !cur.UpToDate() || depChanged
		out[p.Key] = o
	}
	return out, nil
}

// observeClean observes the stack and fails on any drift or absent part.
func observeClean(t *testing.T, c *Cloud, bp blueprint.Blueprint) map[string]engine.Observation {
	t.Helper()
	obs, err := c.Observe(t.Context(), bp)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bp.Parts {
		o, ok := obs[p.Key]
		switch {
		case !ok:
			t.Errorf("%s: not observed", p.Key)
		case !o.UpToDate():
			t.Errorf("%s: false drift %q", p.Key, o.Drift)
		case o.Name != p.Name:
			t.Errorf("%s: name %q, want %q", p.Key, o.Name, p.Name)
		}
	}
	if len(obs) != len(bp.Parts) {
		t.Errorf("observed %d children, want %d", len(obs), len(bp.Parts))
	}
	return obs
}

func TestStackLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	counter, cfg, c := countedCloud(t)
	spec := fullSpec("life", env.Network(t, cfg))
	bp := blueprint.Build(spec)
	asc, elbc := autoscaling.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	groupKey := func(i int) string { return blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[i]) }

	var created map[string]engine.Observation
	t.Run("create", func(t *testing.T) {
		created = apply(t, c, bp)
		for key, attrs := range map[string][]string{
			blueprint.KeyInstanceRole:   {"profile_name", "profile_arn"},
			blueprint.KeyLoadBalancer:   {"dns_name", "zone_id", "arn_suffix"},
			blueprint.KeyTargetGroup:    {"arn_suffix"},
			blueprint.KeyDBInstance:     {"endpoint", "port", "secret_arn", "status", "deletion_protection"},
			blueprint.KeyLaunchTemplate: {"version"},
			groupKey(0):                 {"min", "max", "desired", "lt_version", "zone"},
		} {
			for _, a := range attrs {
				if created[key].Attrs[a] == "" {
					t.Errorf("%s: attribute %s empty", key, a)
				}
			}
		}
		if got := created[blueprint.KeyLoadBalancer].Attrs["arn_suffix"]; !strings.HasPrefix(got, "app/life/") {
			t.Errorf("load balancer arn_suffix %q, want app/life/<id>", got)
		}
	})
	if t.Failed() {
		t.FailNow()
	}

	t.Run("observe is clean and batched", func(t *testing.T) {
		counter.reset()
		observeClean(t, c, bp)
		if calls := counter.calls(); len(calls) > RefreshCallBudget {
			t.Errorf("Observe made %d calls, want <= %d: %v", len(calls), RefreshCallBudget, calls)
		} else {
			t.Logf("Observe made %d calls: %v", len(calls), calls)
		}
	})

	t.Run("out-of-band changes are drift and are repaired", func(t *testing.T) {
		g0 := created[groupKey(0)].Name
		if _, err := asc.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(g0), MaxSize: aws.Int32(5)}); err != nil {
			t.Fatal(err)
		}
		// Autoscaling moving desired within [min, max] is not drift.
		if _, err := asc.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(g0), DesiredCapacity: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, bp.Parts[slices.IndexFunc(bp.Parts, func(p blueprint.Part) bool { return p.Key == groupKey(2) })], created[groupKey(2)]); err != nil {
			t.Fatal(err)
		}
		tg := created[blueprint.KeyTargetGroup]
		if _, err := elbc.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(tg.ARN), HealthCheckPath: aws.String("/")}); err != nil {
			t.Fatal(err)
		}
		if _, err := elbc.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(created[blueprint.KeyHTTPListener].ARN), Port: aws.Int32(8081)}); err != nil {
			t.Fatal(err)
		}
		obs, err := c.Observe(ctx, bp)
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{
			groupKey(0):               "max size 5, want 2",
			blueprint.KeyTargetGroup:  `health check path "/", want "/healthz"`,
			blueprint.KeyHTTPListener: "port 8081, want 80",
		} {
			if !slices.Contains(obs[key].Drift, want) {
				t.Errorf("%s: drift %q, want it to include %q", key, obs[key].Drift, want)
			}
		}
		if o, ok := obs[groupKey(2)]; ok {
			t.Errorf("deleted group still observed: %+v", o)
		}
		if d := obs[groupKey(0)].Drift; len(d) != 1 {
			t.Errorf("group drift %q, want only the max size (desired capacity is autoscaling's)", d)
		}
		apply(t, c, bp)
		obs = observeClean(t, c, bp)
		if got := obs[groupKey(0)].Attrs["desired"]; got != "2" {
			t.Errorf("desired capacity %s after update, want autoscaling's 2 kept", got)
		}
	})

	t.Run("new template version rolls out to every zone", func(t *testing.T) {
		before := map[string][]string{}
		for i := range zones {
			before[groupKey(i)] = groupInstances(t, asc, created[groupKey(i)].Name)
		}
		spec2 := spec
		spec2.Instances.UserData = "#!/bin/sh\necho version two\n"
		bp2 := blueprint.Build(spec2)
		obs, err := c.Observe(ctx, bp2)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(obs[blueprint.KeyLaunchTemplate].Drift, "user data differs") {
			t.Fatalf("launch template drift %q, want user data", obs[blueprint.KeyLaunchTemplate].Drift)
		}
		after := apply(t, c, bp2)
		version := after[blueprint.KeyLaunchTemplate].Attrs["version"]
		if version == created[blueprint.KeyLaunchTemplate].Attrs["version"] {
			t.Fatalf("launch template version %s unchanged", version)
		}
		for i := range zones {
			key := groupKey(i)
			if got := after[key].Attrs["lt_version"]; got != version {
				t.Errorf("%s pins version %s, want %s", key, got, version)
			}
			now := groupInstances(t, asc, after[key].Name)
			for _, id := range before[key] {
				if slices.Contains(now, id) {
					t.Errorf("%s: old instance %s still in the group after the rollout", key, id)
				}
			}
			if len(now) == 0 {
				t.Errorf("%s: no instances after the rollout", key)
			}
		}
		observeClean(t, c, bp2)
		bp = bp2
	})

	t.Run("create adopts what exists", func(t *testing.T) {
		obs := refsFrom(t, c, bp)
		for _, p := range bp.Parts {
			o, err := c.Create(ctx, p, obs)
			if err != nil {
				t.Fatalf("%s: %v", p.Key, err)
			}
			if want := obs[p.Key]; o.ID != want.ID || o.ARN != want.ARN || o.Name != want.Name {
				t.Errorf("%s: adopted %s %s, want %s %s", p.Key, o.ID, o.ARN, want.ID, want.ARN)
			}
			if !o.UpToDate() {
				t.Errorf("%s: adopted child reports drift %q", p.Key, o.Drift)
			}
		}
		if n := env.LoadBalancersNamed(ctx, t, elbc, "life"); n != 1 {
			t.Errorf("%d load balancers named life, want 1", n)
		}
	})

	t.Run("delete leaves nothing", func(t *testing.T) {
		obs, err := c.Observe(ctx, bp)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(bp.Parts) - 1; i >= 0; i-- {
			p := bp.Parts[i]
			if err := c.Delete(ctx, p, obs[p.Key]); err != nil {
				t.Fatalf("%s: %v", p.Key, err)
			}
			// Idempotent: deleting again is a no-op.
			if err := c.Delete(ctx, p, obs[p.Key]); err != nil {
				t.Fatalf("%s again: %v", p.Key, err)
			}
		}
		if left, _ := c.Observe(ctx, bp); len(left) > 0 {
			t.Errorf("Observe still finds %d children: %v", len(left), keys(left))
		}
		// The database's final snapshot outlives the stack on purpose (the
		// last backup of the data): it must be there, and it goes before
		// the leak check, which reports every snapshot.
		snapshot := blueprint.NamesFor(spec).FinalSnapshot
		if _, err := rds.NewFromConfig(cfg).DeleteDBSnapshot(ctx, &rds.DeleteDBSnapshotInput{DBSnapshotIdentifier: aws.String(snapshot)}); err != nil {
			t.Errorf("deleting the final snapshot %s the delete should have left: %v", snapshot, err)
		}
		leaks.NothingLeft(t, cfg, "life", 0)
	})
}

// refsFrom observes the stack to hand parts their dependencies.
func refsFrom(t *testing.T, c *Cloud, bp blueprint.Blueprint) engine.Refs {
	t.Helper()
	obs, err := c.Observe(t.Context(), bp)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Refs(obs)
}

func groupInstances(t *testing.T, asc *autoscaling.Client, name string) []string {
	t.Helper()
	out, err := asc.DescribeAutoScalingGroups(t.Context(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		t.Fatalf("describing group %s: %v", name, err)
	}
	var ids []string
	for _, i := range out.AutoScalingGroups[0].Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids
}

func keys(m map[string]engine.Observation) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}
