package stack_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// TestAccStack_settingNotTaken: an emulator (or a region) that accepts
// CreateAutoScalingGroup and drops its InstanceMaintenancePolicy. The
// create fails with an error naming the zonal group and the setting, as
// found and as asked, instead of Terraform's "Provider produced inconsistent
// result after apply: .drift: new element 0 has appeared"; it is rolled back
// like any failed create, so nothing is left.
func TestAccStack_settingNotTaken(t *testing.T) {
	if accRecorder == nil {
		t.Skip("rewrites calls through the emulator's recorder: not run against real AWS (HAWEBAPP_ACC_REAL_AWS)")
	}
	c, args := appOnly(t)
	var dropped atomic.Int32
	accRecorder.Before = func(call recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if call.Action != "CreateAutoScalingGroup" {
			return false
		}
		form := readForm(r)
		if !strings.HasSuffix(form.Get("AutoScalingGroupName"), "-us-east-1b") {
			return false
		}
		kept := url.Values{}
		for k, v := range form {
			if !strings.HasPrefix(k, "InstanceMaintenancePolicy.") {
				kept[k] = v
			}
		}
		body := kept.Encode()
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		r.Header.Del("Content-Length")
		dropped.Add(1)
		return false
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	stackTest(t, c, args.name, []resource.TestStep{
		{Config: args.config(), ExpectError: regexp.MustCompile(`(?s)AWS\s+accepted\s+the\s+calls\s+but\s+did\s+not\s+keep.*` +
			`Nothing\s+this\s+apply\s+created\s+is\s+left.*` +
			`autoscaling_group/us-east-1b\s+\(` + args.name + `-us-east-1b\):\s+instance\s+maintenance\s+policy\s+none,\s+want\s+100-200%\s+healthy`)},
		{
			PreConfig: func() { accRecorder.Before = nil },
			Config:    `provider "hawebapp" {}`,
			Check:     checkNothingTagged(c, args.name),
		},
	})
	if dropped.Load() == 0 {
		t.Fatal("no CreateAutoScalingGroup of the us-east-1b group was seen")
	}
}
