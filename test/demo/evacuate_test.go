package demo

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/scenario"
)

// TestStepsEvacuation: the evacuation phases come after the soak's report
// and before the plan that must be empty, impairment first, gray on demand.
func TestStepsEvacuation(t *testing.T) {
	names := func(o SoakOptions) []string {
		var out []string
		for _, s := range NewSoak(o).Steps() {
			out = append(out, s.Name)
		}
		return out
	}
	for _, tc := range []struct {
		opts SoakOptions
		want []string
	}{
		{SoakOptions{}, []string{StepReport, StepImpairment, StepPlanAfter}},
		{SoakOptions{Gray: true}, []string{StepReport, StepImpairment, StepGray, StepPlanAfter}},
		{SoakOptions{NoEvacuation: true}, []string{StepReport, StepPlanAfter}},
	} {
		got := names(tc.opts)
		i := slices.Index(got, StepReport)
		if i < 0 || !slices.Equal(got[i:i+len(tc.want)], tc.want) {
			t.Errorf("%+v: steps %q, want %q in a row", tc.opts, got, tc.want)
		}
	}
}

// TestWriteEvacuation: the figures the issue asks for are printed, and
// the verdict follows the broken requirements and the error.
func TestWriteEvacuation(t *testing.T) {
	res := &scenario.Result{Fault: "zone impairment", Zone: "us-east-1b", Rate: 200, Tried: "a launch refused +1.2s after the impairment",
		ToShiftCall: 2100 * time.Millisecond, ToShift: 2600 * time.Millisecond, EvacuationApply: 9 * time.Second, ReturnApply: 14 * time.Second,
		Sent: 5000, Failed: 40, FailedBefore: 40, SentAfter: 3000, LaunchesRefused: 3, Surviving: 4}
	var b strings.Builder
	writeEvacuation(&b, res, nil)
	for _, want := range []string{"to StartZonalShift 2.1s", "to the shift in effect 2.6s", "evacuation apply 9s", "return apply 14s",
		"40 before the shift", "0 after it (budget 0) of 3000", "launches    3 refused in us-east-1b", "verdict     PASS"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
	res.Failures = []string{"request 7 sent +1s after the shift failed"}
	b.Reset()
	writeEvacuation(&b, res, nil)
	if !strings.Contains(b.String(), "broken      request 7") || !strings.Contains(b.String(), "FAIL: 1 requirements broken") {
		t.Errorf("a broken requirement is not in the verdict:\n%s", b.String())
	}
	b.Reset()
	writeEvacuation(&b, &scenario.Result{Fault: "gray failure", Zone: "us-east-1b"}, errors.New("waiting: timed out"))
	if !strings.Contains(b.String(), "FAIL: waiting: timed out") || strings.Contains(b.String(), "measured") {
		t.Errorf("a run that stopped early:\n%s", b.String())
	}
}
