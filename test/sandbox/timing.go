package sandbox

import "time"

// Emulated time compresses what AWS waits for (intervals, grace periods,
// delays), but not what the data plane takes: the app, PostgreSQL, HAProxy
// and the machine's scheduler run in real time. A wait that bounds how long a
// real process may take to answer therefore keeps a real-time floor, or a
// loaded machine is misread as a failed target.
const (
	// checkTimeoutFloor bounds one health check in real time. A target
	// group's default 5 s timeout compresses to 250 ms at the default
	// three-second minute; on a loaded two-core machine the app's /health
	// (which then pinged PostgreSQL; now it waits 0.5 s for it at most)
	// sometimes answered later than that twice in a row, so a healthy target went unhealthy, its ELB-checked group
	// replaced it, and its successor showed up "initial" mid-soak. Only a
	// target that has not answered for this long fails a check.
	checkTimeoutFloor = 2 * time.Second
	// checkIntervalFloor keeps the checks from spinning when an interval
	// compresses to almost nothing.
	checkIntervalFloor = 100 * time.Millisecond
	// appStartFloor is how long an app process gets, in real time, to start
	// answering before a failed health check may have its instance
	// replaced (see instance.inGrace).
	appStartFloor = 10 * time.Second
	// connectFloor and idleFloor keep the load balancer's timeouts above
	// what a loaded machine takes to connect to and hear from a live app.
	connectFloor = 250 * time.Millisecond
	idleFloor    = time.Second
)

// An ALB's timeouts in AWS time: it gives up connecting to a target after
// 10 s (ELB user guide, "Troubleshoot your Application Load Balancers",
// HTTP 504) and the idle timeout defaults to 60 s ("Edit load balancer
// attributes", idle_timeout.timeout_seconds).
const (
	albConnectTimeout = 10 * time.Second
	albIdleTimeout    = 60 * time.Second
)

// HealthCheckTiming is the real interval and timeout the sandbox uses for a
// target group's emulated HealthCheckIntervalSeconds and
// HealthCheckTimeoutSeconds. A check is sent every interval whether or not
// the one before has answered (as on AWS), so a target that stops answering
// just after passing a check is marked unhealthy at most
// UnhealthyThresholdCount × interval + timeout later: a failure budget
// computed for the sandbox must use these (Floors gives them to soak's
// Settings), not the compressed settings alone.
func (s *Sandbox) HealthCheckTiming(interval, timeout time.Duration) (time.Duration, time.Duration) {
	return max(s.emu(interval), checkIntervalFloor), max(s.emu(timeout), checkTimeoutFloor)
}

// LoadBalancerTimeouts is the real time the sandbox's ALB waits to connect
// to a target and for a target to answer (the idle timeout) before it
// answers 504.
func (s *Sandbox) LoadBalancerTimeouts() (connect, idle time.Duration) {
	return max(s.emu(albConnectTimeout), connectFloor), max(s.emu(albIdleTimeout), idleFloor)
}

// Timing is how the sandbox turns AWS time into real time: Scale real
// seconds per AWS second, except where a real-time floor is higher.
type Timing struct {
	Scale float64
	// The floors: a health check's interval and timeout, and the load
	// balancer's connect and idle timeouts, never last less than these in
	// real time, whatever the settings compress to.
	HealthCheckInterval, HealthCheckTimeout, ConnectTimeout, IdleTimeout time.Duration
}

// Timing returns the sandbox's time scale and floors, for failure budgets
// computed before a run (soak.Settings.TimeScale and Floors).
func (s *Sandbox) Timing() Timing {
	return Timing{Scale: s.opts.MinuteSeconds / 60, HealthCheckInterval: checkIntervalFloor, HealthCheckTimeout: checkTimeoutFloor,
		ConnectTimeout: connectFloor, IdleTimeout: idleFloor}
}

func (s *Sandbox) checkInterval(hc healthCheck) time.Duration {
	i, _ := s.HealthCheckTiming(hc.interval, hc.timeout)
	return i
}

func (s *Sandbox) checkTimeout(hc healthCheck) time.Duration {
	_, t := s.HealthCheckTiming(hc.interval, hc.timeout)
	return t
}
