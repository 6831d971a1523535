package blueprint

// Zonal autoshift of the stack's load balancer (zonal_autoshift): ARC
// shifts traffic away from a zone AWS finds impaired, once the resource has
// a practice run configuration whose outcome alarm tells ARC whether the
// application bears a shift (ARC API reference,
// UpdateZonalAutoshiftConfiguration, CreatePracticeRunConfiguration). The
// outcome alarm is the stack's own CloudWatch alarm, a child like the
// others; the autoshift part holds both the practice run configuration and
// the autoshift status, since AWS refuses one without the other.

const (
	// KindOutcomeAlarm is the CloudWatch metric alarm ARC watches during a
	// practice run.
	KindOutcomeAlarm Kind = "outcome_alarm"
	// KindAutoshift is the load balancer's practice run configuration and
	// zonal autoshift status.
	KindAutoshift Kind = "zonal_autoshift"
)

// Keys of the autoshift parts.
const (
	KeyOutcomeAlarm = "outcome_alarm"
	KeyAutoshift    = "zonal_autoshift"
)

// AutoshiftSpec is zonal_autoshift as configured.
type AutoshiftSpec struct {
	// Enabled is the autoshift status; false keeps the practice run
	// configuration and its alarm with autoshift DISABLED.
	Enabled bool
	// BlockedWindows are DAY:HH:MM-DAY:HH:MM (UTC) when no practice run
	// starts; BlockedDates are YYYY-MM-DD.
	BlockedWindows []string `json:",omitempty"`
	BlockedDates   []string `json:",omitempty"`
	// BlockingAlarmARNs stop a practice run from starting while in ALARM.
	BlockingAlarmARNs []string `json:",omitempty"`
}

// OutcomeAlarmProps is the stack's outcome alarm: the load balancer's own
// 5xx answers (HTTPCode_ELB_5XX_Count, which the load balancer sends when
// no healthy target could answer: 502, 503, 504), summed per minute.
type OutcomeAlarmProps struct {
	LoadBalancerKey string
	// EvaluationPeriods minutes, every one of them with a 5xx answer, put
	// the alarm in ALARM (DatapointsToAlarm equals it).
	EvaluationPeriods int32
}

// OutcomeAlarmPeriod is the alarm's period in seconds: the load
// balancer's metrics are published per minute.
const OutcomeAlarmPeriod = 60

// AutoshiftProps is the practice run configuration and autoshift status of
// the load balancer LoadBalancerKey, with the outcome alarm AlarmKey.
type AutoshiftProps struct {
	LoadBalancerKey string
	AlarmKey        string
	AutoshiftSpec
}

// OutcomeEvaluationPeriods derives the outcome alarm's length from the
// health check: a failure lasting as long as the load balancer takes to
// mark a target unhealthy (unhealthy_threshold × interval seconds, rounded
// up to whole minutes, at least one) is one a shift caused or the health
// check could not hide; a shorter one is a target being replaced, which
// the health check already handles and which must not fail a practice run.
func OutcomeEvaluationPeriods(h HealthCheckSpec) int32 {
	secs := h.UnhealthyThreshold * h.Interval
	n := (secs + OutcomeAlarmPeriod - 1) / OutcomeAlarmPeriod
	return max(n, 1)
}

// addAutoshift adds the alarm and the autoshift parts after the load
// balancer.
func addAutoshift(s Spec, names Names, add func(Kind, string, string, any, ...string)) {
	if s.Autoshift == nil {
		return
	}
	add(KindOutcomeAlarm, KeyOutcomeAlarm, names.OutcomeAlarm, OutcomeAlarmProps{
		LoadBalancerKey: KeyLoadBalancer, EvaluationPeriods: OutcomeEvaluationPeriods(s.HealthCheck),
	}, KeyLoadBalancer)
	add(KindAutoshift, KeyAutoshift, names.LoadBalancer, AutoshiftProps{
		LoadBalancerKey: KeyLoadBalancer, AlarmKey: KeyOutcomeAlarm, AutoshiftSpec: *s.Autoshift,
	}, KeyLoadBalancer, KeyOutcomeAlarm)
}
