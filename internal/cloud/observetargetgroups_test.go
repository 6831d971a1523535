package cloud

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	awsrecorder "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// TestObserveFindsTargetGroupsWithoutListing refreshes a stack's target
// group without listing every target group of the region: by its name,
// and, for one being replaced, by the ARN the state recorded.
func TestObserveFindsTargetGroupsWithoutListing(t *testing.T) {
	c, rec := recordedCloudTo(t, endpoint)
	var unfiltered atomic.Int32
	rec.Before = func(call awsrecorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if call.Action != "DescribeTargetGroups" {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Names.member.1") == "" && form.Get("TargetGroupArns.member.1") == "" && form.Get("LoadBalancerArn") == "" {
			unfiltered.Add(1)
		}
		return false
	}
	ctx := t.Context()
	n := env.Network(t, testConfig(t, nil))
	spec := fullSpec("tg-find", n)
	bp := blueprint.Build(spec)
	p, _ := bp.Part(blueprint.KeyTargetGroup)
	tg, err := c.Create(ctx, p, engine.Refs{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.elb.DeleteTargetGroup(context.Background(), &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg.ARN)})
	})

	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	if got := obs[blueprint.KeyTargetGroup].ARN; got != tg.ARN {
		t.Errorf("refresh found target group %q, want %s", got, tg.ARN)
	}

	// A new port means a new name: the group in use is found by the ARN the
	// state recorded, so the engine sees a replacement (and deletes it last).
	spec.Instances.Port = 9090
	replaced := blueprint.Build(spec)
	replaced.Known = map[string]string{blueprint.KeyTargetGroup: tg.ARN}
	if obs, err = c.Observe(ctx, replaced); err != nil {
		t.Fatal(err)
	}
	np, _ := replaced.Part(blueprint.KeyTargetGroup)
	if got := obs[blueprint.KeyTargetGroup]; got.ARN != tg.ARN || got.Name == np.Name {
		t.Errorf("refresh after a port change found %+v, want the recorded group %s under its old name", got, tg.ARN)
	}
	if n := unfiltered.Load(); n > 0 {
		t.Errorf("refresh listed every target group of the region %d times", n)
	}
}
