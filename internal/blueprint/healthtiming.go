package blueprint

import (
	"fmt"
	"strings"
	"time"
)

// The ranges an Application Load Balancer's target group accepts (ELBv2 API
// reference, CreateTargetGroup: HealthCheckIntervalSeconds 5-300,
// HealthCheckTimeoutSeconds 2-120, HealthyThresholdCount and
// UnhealthyThresholdCount 2-10; the timeout must be less than the interval).
const (
	MinHealthCheckInterval = 5
	MaxHealthCheckInterval = 300
	MinHealthCheckTimeout  = 2
	MaxHealthCheckTimeout  = 120
	MinHealthThreshold     = 2
	MaxHealthThreshold     = 10
)

// MinTimeToDetect and MaxTimeToDetect bound the time-to-detect goal: the
// fastest AWS's ranges allow (2 failed checks 5 s apart, each timing out
// after 2 s), and the slowest (10 failed checks 300 s apart, the last
// timing out after 120 s).
const (
	MinTimeToDetect = MinHealthThreshold*MinHealthCheckInterval + MinHealthCheckTimeout
	MaxTimeToDetect = MaxHealthThreshold*MaxHealthCheckInterval + MaxHealthCheckTimeout
)

// HealthTimings are a target group's health check timings, in seconds. In a
// goal passed to DeriveHealthTimings, 0 means "derive it".
type HealthTimings struct {
	Interval           int32
	Timeout            int32
	HealthyThreshold   int32
	UnhealthyThreshold int32
}

// TimeToDetect is the longest a target that stops answering keeps receiving
// new requests: it dies just after passing a check, and the load balancer
// takes it out when the unhealthyThreshold-th failed check in a row ends,
// unhealthyThreshold intervals later plus that check's timeout. The
// provider derives timings from it and the soak library's failure budgets
// use it (test/soak LossBudget), so the two always agree.
func TimeToDetect(interval, timeout time.Duration, unhealthyThreshold int) time.Duration {
	return time.Duration(unhealthyThreshold)*interval + timeout
}

// Detect is TimeToDetect in whole seconds.
func (h HealthTimings) Detect() int32 {
	return int32(TimeToDetect(time.Duration(h.Interval)*time.Second, time.Duration(h.Timeout)*time.Second, int(h.UnhealthyThreshold)) / time.Second)
}

// DefaultHealthyThreshold is the healthy threshold a derivation picks when
// none is given: a target serves again after 3 good checks in a row.
const DefaultHealthyThreshold = 3

// preferredUnhealthyThreshold is how many failed checks in a row take a
// target out, by goal: the slower the goal allows, the more consecutive
// failures it tolerates before acting on a slow answer or a lost packet
// (2 below 30 s, 3 below 60 s, else 4: with 70 s that gives the provider's
// long-standing 15 s interval and 10 s timeout).
func preferredUnhealthyThreshold(detect int32) int32 {
	switch {
	case detect < 30:
		return 2
	case detect < 60:
		return 3
	}
	return 4
}

// DeriveHealthTimings chooses the timings that take a dead target out of
// service within detect seconds: UnhealthyThreshold × Interval + Timeout ≤
// detect, every value within AWS's ranges and Timeout < Interval. Values
// set in given (non-zero) are kept; the others are derived, preferring
// more failed checks in a row and the longest timeout that still fits, so
// a slow but living target is not taken out. It returns an error naming
// what cannot be met and what to change.
func DeriveHealthTimings(detect int32, given HealthTimings) (HealthTimings, error) {
	if detect < MinTimeToDetect || detect > MaxTimeToDetect {
		return HealthTimings{}, fmt.Errorf("time_to_detect %d s is outside %d-%d s, what the health check's ranges allow", detect, MinTimeToDetect, MaxTimeToDetect)
	}
	thresholds := []int32{given.UnhealthyThreshold}
	if given.UnhealthyThreshold == 0 {
		thresholds = nil
		for u := preferredUnhealthyThreshold(detect); u >= MinHealthThreshold; u-- {
			thresholds = append(thresholds, u)
		}
	}
	for _, u := range thresholds {
		if h, ok := fit(detect, u, given); ok {
			return h, nil
		}
	}
	return HealthTimings{}, impossible(detect, given)
}

// fit derives the interval and timeout for unhealthy threshold u.
func fit(detect, u int32, given HealthTimings) (HealthTimings, bool) {
	h := given
	h.UnhealthyThreshold = u
	if h.HealthyThreshold == 0 {
		h.HealthyThreshold = DefaultHealthyThreshold
	}
	if h.Interval == 0 {
		if h.Timeout != 0 {
			h.Interval = (detect - h.Timeout) / u
		} else {
			// Leave about two thirds of an interval for the timeout.
			h.Interval = detect * 3 / (3*u + 2)
		}
		h.Interval = min(max(h.Interval, MinHealthCheckInterval), MaxHealthCheckInterval)
	}
	if h.Timeout == 0 {
		h.Timeout = min(detect-u*h.Interval, h.Interval-1, MaxHealthCheckTimeout)
	}
	ok := h.Interval >= MinHealthCheckInterval && h.Interval <= MaxHealthCheckInterval &&
		h.Timeout >= MinHealthCheckTimeout && h.Timeout <= MaxHealthCheckTimeout && h.Timeout < h.Interval &&
		h.Detect() <= detect
	return h, ok
}

// impossible explains why no timings meet detect with the given values:
// the fastest the given values allow is their detection time with every
// other value at its smallest.
func impossible(detect int32, given HealthTimings) error {
	fastest := HealthTimings{Interval: given.Interval, Timeout: given.Timeout, UnhealthyThreshold: given.UnhealthyThreshold}
	var set, names []string
	if fastest.UnhealthyThreshold == 0 {
		fastest.UnhealthyThreshold = MinHealthThreshold
	} else {
		set, names = append(set, fmt.Sprintf("unhealthy_threshold = %d", given.UnhealthyThreshold)), append(names, "unhealthy_threshold")
	}
	if fastest.Interval == 0 {
		fastest.Interval = max(MinHealthCheckInterval, fastest.Timeout+1)
	} else {
		set, names = append(set, fmt.Sprintf("interval = %d", given.Interval)), append(names, "interval")
	}
	if fastest.Timeout == 0 {
		fastest.Timeout = MinHealthCheckTimeout
	} else {
		set, names = append(set, fmt.Sprintf("timeout = %d", given.Timeout)), append(names, "timeout")
	}
	return fmt.Errorf("time_to_detect %d s cannot be met with %s: a dead instance is taken out after unhealthy_threshold × interval + timeout, at least %d × %d + %d = %d s with those values. "+
		"Raise time_to_detect to at least %d, or remove %s to let it be derived",
		detect, strings.Join(set, ", "), fastest.UnhealthyThreshold, fastest.Interval, fastest.Timeout, fastest.Detect(), fastest.Detect(), strings.Join(names, " or "))
}
