package blueprint

import (
	"strings"
	"testing"
	"time"
)

func TestDeriveHealthTimings(t *testing.T) {
	cases := map[string]struct {
		detect int32
		given  HealthTimings
		want   HealthTimings
	}{
		// The provider's long-standing defaults come out of a 70 s goal.
		"DefaultGoal":  {detect: 70, want: HealthTimings{Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		"ThirtySecond": {detect: 30, want: HealthTimings{Interval: 8, Timeout: 6, HealthyThreshold: 3, UnhealthyThreshold: 3}},
		"Fastest":      {detect: MinTimeToDetect, want: HealthTimings{Interval: 5, Timeout: 2, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		"JustUnder30":  {detect: 29, want: HealthTimings{Interval: 10, Timeout: 9, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		// A slow goal is capped by the largest interval and timeout.
		"Slowest": {detect: MaxTimeToDetect, want: HealthTimings{Interval: 300, Timeout: 120, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		// Explicit values win; the rest fits around them.
		"ExplicitInterval":  {detect: 30, given: HealthTimings{Interval: 10}, want: HealthTimings{Interval: 10, Timeout: 9, HealthyThreshold: 3, UnhealthyThreshold: 2}},
		"ExplicitTimeout":   {detect: 60, given: HealthTimings{Timeout: 5}, want: HealthTimings{Interval: 13, Timeout: 5, HealthyThreshold: 3, UnhealthyThreshold: 4}},
		"ExplicitThreshold": {detect: 30, given: HealthTimings{UnhealthyThreshold: 5, HealthyThreshold: 2}, want: HealthTimings{Interval: 5, Timeout: 4, HealthyThreshold: 2, UnhealthyThreshold: 5}},
		"AllExplicit":       {detect: 100, given: HealthTimings{Interval: 20, Timeout: 10, HealthyThreshold: 5, UnhealthyThreshold: 4}, want: HealthTimings{Interval: 20, Timeout: 10, HealthyThreshold: 5, UnhealthyThreshold: 4}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := DeriveHealthTimings(tc.detect, tc.given)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("DeriveHealthTimings(%d, %+v) = %+v, want %+v", tc.detect, tc.given, got, tc.want)
			}
			if got.Detect() > tc.detect {
				t.Errorf("derived timings detect in %d s, goal %d s", got.Detect(), tc.detect)
			}
		})
	}
}

// TestDeriveHealthTimingsWithinAWSRanges checks every goal AWS's ranges allow:
// the timings are valid and meet the goal.
func TestDeriveHealthTimingsWithinAWSRanges(t *testing.T) {
	for d := int32(MinTimeToDetect); d <= MaxTimeToDetect; d++ {
		h, err := DeriveHealthTimings(d, HealthTimings{})
		if err != nil {
			t.Fatalf("goal %d s: %v", d, err)
		}
		if h.Interval < 5 || h.Interval > 300 || h.Timeout < 2 || h.Timeout > 120 || h.Timeout >= h.Interval ||
			h.UnhealthyThreshold < 2 || h.UnhealthyThreshold > 10 || h.Detect() > d {
			t.Fatalf("goal %d s: invalid timings %+v (detect %d s)", d, h, h.Detect())
		}
	}
}

func TestDeriveHealthTimingsImpossible(t *testing.T) {
	cases := map[string]struct {
		detect int32
		given  HealthTimings
		want   []string
	}{
		"IntervalTooLong": {detect: 30, given: HealthTimings{Interval: 30}, want: []string{"interval = 30", "at least 62", "2 × 30 + 2 = 62"}},
		"TimeoutTooLong":  {detect: 30, given: HealthTimings{Timeout: 10}, want: []string{"timeout = 10", "at least 32"}},
		"ThresholdHigh":   {detect: 30, given: HealthTimings{UnhealthyThreshold: 10}, want: []string{"unhealthy_threshold = 10", "at least 52"}},
		"BelowAWSRange":   {detect: 11, want: []string{"outside 12-3120 s"}},
		"AboveAWSRange":   {detect: 3121, want: []string{"outside 12-3120 s"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DeriveHealthTimings(tc.detect, tc.given)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestTimeToDetect(t *testing.T) {
	if got := TimeToDetect(15*time.Second, 10*time.Second, 4); got != 70*time.Second {
		t.Errorf("TimeToDetect(15 s, 10 s, 4) = %s, want 70s", got)
	}
	if got := (HealthTimings{Interval: 15, Timeout: 10, UnhealthyThreshold: 4}).Detect(); got != 70 {
		t.Errorf("Detect() = %d, want 70", got)
	}
}
