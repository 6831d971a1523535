package soak

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Settings are the numbers of a stack that decide how long a failure can
// hurt: its target group's health check and deregistration delay, and its
// load balancer's timeouts. Durations are AWS time; TimeScale turns them
// into real time where time is compressed (the sandbox).
type Settings struct {
	HealthCheckInterval time.Duration // HealthCheckIntervalSeconds
	HealthCheckTimeout  time.Duration // HealthCheckTimeoutSeconds
	HealthyThreshold    int           // HealthyThresholdCount
	UnhealthyThreshold  int           // UnhealthyThresholdCount
	DeregistrationDelay time.Duration // deregistration_delay.timeout_seconds
	// IdleTimeout is the load balancer's idle_timeout.timeout_seconds: how
	// long it waits on a connection that sends nothing, a request in flight
	// to a dead target included, before answering 504.
	IdleTimeout time.Duration
	// ConnectTimeout is how long the load balancer tries to connect to a
	// target before answering 504. An ALB's is 10 s and cannot be changed
	// (AWS, "Troubleshoot your Application Load Balancers", HTTP 504).
	ConnectTimeout time.Duration
	// TimeScale is real seconds per AWS second: 1 on AWS (0 means 1); the
	// sandbox's MinuteSeconds/60.
	TimeScale float64
	// Floors are the real-time lower bounds an environment with compressed
	// time keeps (zero on AWS): each figure lasts max(TimeScale × its AWS
	// value, its floor) in real time. The sandbox's come from
	// Sandbox.Timing.
	Floors Floors
}

// Floors are real-time lower bounds on the settings' figures.
type Floors struct {
	HealthCheckInterval, HealthCheckTimeout, ConnectTimeout, IdleTimeout time.Duration
}

// ALBDefaults are an ALB's and an HTTP target group's defaults (AWS,
// CreateTargetGroup and "Health checks for Application Load Balancer target
// groups": interval 30 s, timeout 5 s, healthy 5, unhealthy 2; "Edit target
// group attributes": deregistration delay 300 s; "Edit load balancer
// attributes": idle timeout 60 s; the 10 s connect timeout from the HTTP 504
// troubleshooting entry).
func ALBDefaults() Settings {
	return Settings{HealthCheckInterval: 30 * time.Second, HealthCheckTimeout: 5 * time.Second, HealthyThreshold: 5, UnhealthyThreshold: 2,
		DeregistrationDelay: 300 * time.Second, IdleTimeout: 60 * time.Second, ConnectTimeout: 10 * time.Second, TimeScale: 1}
}

// Load is the load a budget is for.
type Load struct {
	Rate        float64 // requests a second, the cap of the soak (Options.Rate)
	Concurrency int     // requests outstanding at most (Options.Concurrency)
}

// Budget is what a failure may cost at most, in real time from the moment
// it happens. Budgets are computed before a run from the stack's settings
// and the load, and never adjusted after one.
type Budget struct {
	What string
	// Detect is the longest the load balancer keeps sending new requests
	// to the lost targets.
	Detect time.Duration
	// Window is the longest from the failure until the last request it
	// failed has ended.
	Window time.Duration
	// MaxFailed is the most requests the failure may fail.
	MaxFailed int
	// Recover is the longest from a target answering health checks again
	// until the load balancer sends it requests.
	Recover time.Duration
	// Why derives each figure.
	Why []string
}

func (s Settings) real(d time.Duration) time.Duration {
	if s.TimeScale <= 0 {
		return d
	}
	return time.Duration(math.Round(float64(d) * s.TimeScale))
}

// Real-time figures: the AWS value scaled, or its floor when higher.
func (s Settings) interval() time.Duration {
	return max(s.real(s.HealthCheckInterval), s.Floors.HealthCheckInterval)
}
func (s Settings) timeout() time.Duration {
	return max(s.real(s.HealthCheckTimeout), s.Floors.HealthCheckTimeout)
}
func (s Settings) connect() time.Duration {
	return max(s.real(s.ConnectTimeout), s.Floors.ConnectTimeout)
}
func (s Settings) idle() time.Duration { return max(s.real(s.IdleTimeout), s.Floors.IdleTimeout) }

func (s Settings) validate() error {
	var errs []error
	if s.HealthCheckInterval <= 0 || s.HealthCheckTimeout <= 0 {
		errs = append(errs, errors.New("the health check interval and timeout must be set"))
	}
	if s.HealthyThreshold <= 0 || s.UnhealthyThreshold <= 0 {
		errs = append(errs, errors.New("the healthy and unhealthy thresholds must be set"))
	}
	if s.IdleTimeout <= 0 || s.ConnectTimeout <= 0 {
		errs = append(errs, errors.New("the load balancer's idle and connect timeouts must be set (ALBDefaults has AWS's)"))
	}
	return errors.Join(errs...)
}

// LossBudget is the budget for losing lost of the targets in service at
// once, without warning (an instance or a zone stops answering: a crash, a
// power loss). It assumes AWS's documented routing: every load balancer
// node sends requests only to targets its health checks find healthy, round
// robin across the targets (cross-zone load balancing on, the ALB default).
//
//   - Detect: the load balancer sends a check every interval, whether or
//     not the one before has answered (ELB user guide, "Health checks for
//     Application Load Balancer target groups"). The target dies just
//     after passing a check; the UnhealthyThreshold-th failed check starts
//     UnhealthyThreshold intervals later and fails at the latest after the
//     check's timeout: UnhealthyThreshold × HealthCheckInterval +
//     HealthCheckTimeout (blueprint.TimeToDetect, the formula hawebapp_stack
//     derives its health_check timings from, so a stack's time_to_detect is
//     this Detect; in real time, each figure at least its floor).
//   - Window: a request sent to a dead target before detection fails at
//     once if refused (502), after the connect timeout if the target
//     cannot be reached (504), or after the idle timeout if the target
//     accepts the connection and never answers (504: a hung process, a
//     zone whose network still accepts); one in flight on it when it died
//     waits out the idle timeout: Detect + max(ConnectTimeout, IdleTimeout).
//   - MaxFailed: the lost targets' share of the requests during Detect, at
//     the load's rate cap, plus the requests in flight when they died (at
//     most the load's concurrency): ⌈Rate × lost/targets × Detect⌉ + Concurrency.
//   - Recover: a target that answers again needs HealthyThreshold passed
//     checks: HealthyThreshold × HealthCheckInterval.
//
// Losing every target has no budget: the load balancer then fails open and
// nothing is left to serve (an error).
func LossBudget(s Settings, l Load, lost, targets int) (Budget, error) {
	if err := s.validate(); err != nil {
		return Budget{}, fmt.Errorf("failure budget: %w", err)
	}
	if l.Rate <= 0 || l.Concurrency <= 0 {
		return Budget{}, errors.New("failure budget: the load needs a rate cap and a concurrency (an uncapped load can fail any number of requests)")
	}
	if lost <= 0 || targets <= 0 || lost > targets {
		return Budget{}, fmt.Errorf("failure budget: %d lost of %d targets is not a loss", lost, targets)
	}
	if lost == targets {
		return Budget{}, fmt.Errorf("failure budget: losing all %d targets leaves nothing to serve: no budget", targets)
	}
	// A check goes out every interval whether or not the one before has
	// answered; the provider derives health_check timings from
	// time_to_detect with the same formula.
	detect := blueprint.TimeToDetect(s.interval(), s.timeout(), s.UnhealthyThreshold)
	window := detect + max(s.connect(), s.idle())
	share := float64(lost) / float64(targets)
	maxFailed := int(math.Ceil(l.Rate*share*detect.Seconds())) + l.Concurrency
	b := Budget{
		What: fmt.Sprintf("loss of %d of %d targets", lost, targets), Detect: detect, Window: window, MaxFailed: maxFailed,
		Recover: time.Duration(s.HealthyThreshold) * s.interval(),
	}
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	b.Why = []string{
		fmt.Sprintf("detect = unhealthy threshold %d × interval %s + timeout %s = %s real%s",
			s.UnhealthyThreshold, ms(s.interval()), ms(s.timeout()), ms(detect), s.floorNote()),
		fmt.Sprintf("window = detect + max(connect timeout %s, idle timeout %s) = %s real", ms(s.connect()), ms(s.idle()), ms(window)),
		fmt.Sprintf("max failed = ⌈%.0f/s × %d/%d × %s⌉ + concurrency %d (requests in flight when the targets died) = %d",
			l.Rate, lost, targets, ms(detect), l.Concurrency, maxFailed),
		fmt.Sprintf("recover = healthy threshold %d × interval %s = %s real", s.HealthyThreshold, ms(s.interval()), ms(b.Recover)),
	}
	return b, nil
}

// floorNote says how the AWS settings became real time.
func (s Settings) floorNote() string {
	note := fmt.Sprintf(" (AWS: interval %s, timeout %s", s.HealthCheckInterval, s.HealthCheckTimeout)
	if s.TimeScale > 0 && s.TimeScale != 1 {
		note += fmt.Sprintf(", time × %g", s.TimeScale)
	}
	if s.Floors != (Floors{}) {
		note += fmt.Sprintf("; real-time floors: interval %s, timeout %s", s.Floors.HealthCheckInterval, s.Floors.HealthCheckTimeout)
	}
	return note + ")"
}

// DrainBudget is the budget for taking targets out on purpose (scale-in, a
// rolling deploy, a replacement): the load balancer stops sending new
// requests to a deregistering target at once and lets those in flight
// finish for up to the deregistration delay (AWS, DeregisterTargets). So
// nothing may fail, unless a request lasts longer than the delay: the
// longest request is the caller's knowledge (e.g. a steady phase's max).
func DrainBudget(s Settings, l Load, longest time.Duration) Budget {
	b := Budget{What: "planned removal (deregistration)"}
	delay := s.real(s.DeregistrationDelay)
	if longest < delay {
		b.Why = []string{fmt.Sprintf("no failures: requests (longest %s) finish within the deregistration delay %s real", longest.Round(time.Millisecond), delay.Round(time.Millisecond))}
		return b
	}
	b.MaxFailed, b.Window = l.Concurrency, delay
	b.Why = []string{fmt.Sprintf("requests as long as %s outlast the deregistration delay %s: up to the concurrency %d may be cut",
		longest.Round(time.Millisecond), delay.Round(time.Millisecond), l.Concurrency)}
	return b
}

// OutageBudget is the budget for a dependency that is away for outage (AWS
// time), such as a database failover (AWS, "Failing over a Multi-AZ DB
// instance": usually 60 to 120 s): every request during it may fail, and one that waits on
// it may wait until the load balancer's idle timeout.
func OutageBudget(what string, outage time.Duration, s Settings, l Load) Budget {
	d := s.real(outage)
	b := Budget{What: what, Detect: d, Window: d + s.idle()}
	b.MaxFailed = int(math.Ceil(l.Rate*d.Seconds())) + l.Concurrency
	b.Why = []string{fmt.Sprintf("max failed = ⌈%.0f/s × outage %s⌉ + concurrency %d = %d; window = outage + idle timeout = %s",
		l.Rate, d.Round(time.Millisecond), l.Concurrency, b.MaxFailed, b.Window.Round(time.Millisecond))}
	return b
}

// Check holds r's failures to b for a failure that took effect at at (for
// an injected failure, when it had taken effect, such as the sandbox's
// event log records): at most MaxFailed; none ended before at (it failed
// for another reason); none ended after at + Window (a request still in
// flight ends with the phase). A request sent before at and still in
// flight then may fail: its target died under it, and MaxFailed counts
// such requests (at most the load's concurrency).
func (b Budget) Check(r *Result, at time.Time) error {
	var errs []error
	early, late := 0, 0
	for _, q := range r.Requests {
		if q.Outcome == OK {
			continue
		}
		end := q.Ended
		if end.IsZero() {
			end = r.End
		}
		if end.Before(at) {
			early++
		}
		if end.After(at.Add(b.Window)) {
			late++
		}
	}
	if r.Failed > b.MaxFailed {
		errs = append(errs, fmt.Errorf("%d requests failed, budget %d (%s)", r.Failed, b.MaxFailed, FormatReasons(r.Reasons)))
	}
	if early > 0 {
		errs = append(errs, fmt.Errorf("%d requests failed before the failure", early))
	}
	if late > 0 {
		errs = append(errs, fmt.Errorf("%d failed requests ended more than %s after the failure", late, b.Window.Round(time.Millisecond)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: over budget: %w", b.What, errors.Join(errs...))
	}
	return nil
}

// InFlightAt counts r's requests sent before at and not ended by then: the
// ones a failure at at catches in flight.
func InFlightAt(r *Result, at time.Time) int {
	n := 0
	for _, q := range r.Requests {
		if q.Sent.Before(at) && (q.Ended.IsZero() || !q.Ended.Before(at)) {
			n++
		}
	}
	return n
}
