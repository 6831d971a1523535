package cloud

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestSecurityGroupDeleteOutlastsInUse: EC2 refuses to delete a group
// still in use by another group with InvalidGroup.InUse for a while; the
// delete retries it as it does DependencyViolation, and the group goes.
func TestSecurityGroupDeleteOutlastsInUse(t *testing.T) {
	cfg, plain, c, rec, _, p := securityGroupUnderTest(t, "inuse", 14)
	o, err := plain.Create(t.Context(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = plain.Delete(context.Background(), p, o) })
	var refused atomic.Int32
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if call.Action == "DeleteSecurityGroup" && refused.Add(1) <= 2 {
			answer(w, http.StatusBadRequest, "ec2", errCodeInvalidGroupInUse, "There are active instances using security group "+o.ID)
			return true
		}
		return false
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := c.Delete(ctx, p, o); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if refused.Load() <= 2 {
		t.Fatalf("the delete was refused %d times, want 2 refusals and a retry", refused.Load())
	}
	out, err := ec2.NewFromConfig(cfg).DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{o.ID}})
	if err == nil && len(out.SecurityGroups) > 0 {
		t.Errorf("security group %s still exists after the delete", o.ID)
	}
}

// TestDeleteWithNothingToFindItBySendsNoCall: a part with no name and an
// empty observation was never created; AWS answers a delete naming nothing
// with MissingParameter, so no call is sent and the delete succeeds.
func TestDeleteWithNothingToFindItBySendsNoCall(t *testing.T) {
	c, rec := recordedCloud(t)
	rec.Before = func(call proxy.Call, w http.ResponseWriter, _ *http.Request) bool {
		if len(call.Action) > 6 && call.Action[:6] == "Delete" {
			answer(w, http.StatusBadRequest, call.Service, "MissingParameter", "The request must contain a parameter naming the resource")
			return true
		}
		return false
	}
	for _, kind := range []blueprint.Kind{blueprint.KindLaunchTemplate, blueprint.KindDBSubnetGroup, blueprint.KindTargetGroup} {
		p := blueprint.Part{Kind: kind, Key: string(kind)}
		if err := c.Delete(t.Context(), p, engine.Observation{}); err != nil {
			t.Errorf("%s: delete of a child never created: %v", kind, err)
		}
	}
	for _, call := range rec.Calls() {
		if len(call.Action) > 6 && call.Action[:6] == "Delete" {
			t.Errorf("%s sent for a child with neither ID nor name", call)
		}
	}
}

// TestCreateCallOutlivesCancellation: the apply's context is cancelled
// (a sibling failed) while a create call is in flight. The call still runs
// to its end, and Create returns the child from its answer, so the engine
// journals it and the rollback deletes it.
func TestCreateCallOutlivesCancellation(t *testing.T) {
	cfg, plain, bp := plainBlueprint(t, "cut")
	ec2c, elbc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg)
	for _, tc := range []struct {
		key, create string
		exists      func(o engine.Observation) bool
	}{
		{blueprint.KeyALBSecurityGroup, "CreateSecurityGroup", func(o engine.Observation) bool {
			out, err := ec2c.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{o.ID}})
			return err == nil && len(out.SecurityGroups) == 1
		}},
		{blueprint.KeyTargetGroup, "CreateTargetGroup", func(o engine.Observation) bool {
			out, err := elbc.DescribeTargetGroups(t.Context(), &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{o.ARN}})
			return err == nil && len(out.TargetGroups) == 1
		}},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c, rec := recordedCloud(t)
			p := partOf(t, bp, tc.key)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// The sibling fails while the call is on its way: the caller's
			// context is cancelled before AWS (moto) has answered.
			rec.Before = func(call proxy.Call, _ http.ResponseWriter, r *http.Request) bool {
				if call.Action == tc.create {
					cancel()
					select { // let the client see the cancellation first
					case <-r.Context().Done():
					case <-time.After(200 * time.Millisecond):
					}
				}
				return false
			}
			o, err := c.Create(ctx, p, nil)
			if err == nil {
				t.Fatal("create succeeded though its context was cancelled")
			}
			if o.ID == "" && o.ARN == "" {
				t.Fatalf("create cancelled mid-call returned no child (%v): the child AWS made is lost to the rollback", err)
			}
			t.Cleanup(func() {
				if err := plain.Delete(context.Background(), p, o); err != nil {
					t.Errorf("deleting %s: %v", p.Key, err)
				}
			})
			if !tc.exists(o) {
				t.Errorf("the returned child %s (%s) is not in AWS", aws.ToString(&o.ID), o.ARN)
			}
		})
	}
}
