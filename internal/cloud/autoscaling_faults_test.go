package cloud

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	callrecorder "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// faultEnv is the shared emulator behind a recorder whose Before hook
// answers chosen Auto Scaling calls with AWS's error answers.
type faultEnv struct {
	rec *callrecorder.Recorder
	cfg aws.Config // through the recorder

	mu     sync.Mutex
	faults map[string][]fault // action -> answers still to give, in order
	hook   func(call callrecorder.Call, r *http.Request) bool
}

// fault is one answer in AWS's query-protocol error format.
type fault struct {
	status      int
	code, msg   string
	respondWith func(w http.ResponseWriter, r *http.Request) // instead of an error, when set
}

// busy is Auto Scaling's answer while the group is busy (HTTP codes from the
// API reference's error shapes: ResourceContention 500, the others 400).
func busy(code string) fault {
	status := http.StatusBadRequest
	if code == errCodeResourceContention {
		status = http.StatusInternalServerError
	}
	return fault{status: status, code: code, msg: "injected: " + code}
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	cfg, rec := recordedConfig(t)
	e := &faultEnv{rec: rec, cfg: cfg, faults: map[string][]fault{}}
	rec.Before = e.before
	return e
}

func (e *faultEnv) before(call callrecorder.Call, w http.ResponseWriter, r *http.Request) bool {
	if call.Service != "autoscaling" {
		return false
	}
	e.mu.Lock()
	hook := e.hook
	queue := e.faults[call.Action]
	var f *fault
	if len(queue) > 0 {
		f = &queue[0]
		e.faults[call.Action] = queue[1:]
	}
	e.mu.Unlock()
	if hook != nil && hook(call, r) {
		return false
	}
	if f == nil {
		return false
	}
	if f.respondWith != nil {
		f.respondWith(w, r)
		return true
	}
	writeASGError(w, f.status, f.code, f.msg)
	return true
}

// inject queues n answers of f for action.
func (e *faultEnv) inject(action string, n int, f fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults[action] = append(e.faults[action], f)
	}
}

// left reports the queued answers no call has consumed.
func (e *faultEnv) left() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for a, q := range e.faults {
		if len(q) > 0 {
			out[a] = len(q)
		}
	}
	return out
}

func writeASGError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>injected</RequestId></ErrorResponse>`, code, msg)
}

// failedActivityAnswer answers DescribeScalingActivities with one finished,
// failed activity that started now, with AWS's message msg.
func failedActivityAnswer(group, msg string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<DescribeScalingActivitiesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeScalingActivitiesResult><Activities><member>`+
			`<ActivityId>injected-1</ActivityId><AutoScalingGroupName>%s</AutoScalingGroupName><Cause>At %s an instance was started in response to a difference between desired and actual capacity.</Cause>`+
			`<StartTime>%s</StartTime><EndTime>%s</EndTime><StatusCode>Failed</StatusCode><StatusMessage>%s</StatusMessage><Progress>100</Progress>`+
			`</member></Activities></DescribeScalingActivitiesResult><ResponseMetadata><RequestId>injected</RequestId></ResponseMetadata></DescribeScalingActivitiesResponse>`,
			group, now, now, now, msg)
	}
}

// groupSpec is a three-zone stack without a database (the Auto Scaling
// tests need the fleet, not the database), one instance per zone.
func groupSpec(name string, n env.Net) blueprint.Spec {
	s := fullSpec(name, n)
	s.Database = nil
	return s
}

// partByKey returns the blueprint's part with key.
func partByKey(t *testing.T, bp blueprint.Blueprint, key string) blueprint.Part {
	t.Helper()
	for _, p := range bp.Parts {
		if p.Key == key {
			return p
		}
	}
	t.Fatalf("no part %s", key)
	return blueprint.Part{}
}

// withDeadline bounds a test phase (waits take the deadline as their budget).
func withDeadline(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
