// Package blueprint turns a stack specification into the list of AWS parts
// that make it up: their kinds, keys, AWS names, desired properties,
// dependencies and tags. It is pure: no AWS SDK, no I/O, so every naming,
// capacity-split and default decision is unit-tested without a cloud.
package blueprint

// Spec is everything the user asked for, with defaults already applied and
// the facts that need AWS (subnet zones, VPC CIDR) already resolved.
type Spec struct {
	Name  string
	VPCID string
	// VPCCIDR and VPCSecondaryCIDRs are the VPC's primary IPv4 CIDR block and
	// its associated secondary blocks: the load balancer's egress reaches
	// instances in any of them, and nothing outside the VPC.
	VPCCIDR           string
	VPCSecondaryCIDRs []string
	// AppSubnets are the instance subnets, one zonal Auto Scaling group each.
	AppSubnets  []Subnet
	LBSubnetIDs []string

	Internal     bool
	AllowedCIDRs []string

	Listener    ListenerSpec
	HealthCheck HealthCheckSpec
	// DeregistrationDelay is seconds a draining target keeps in-flight requests.
	DeregistrationDelay int32

	Instances InstancesSpec
	Capacity  CapacitySpec
	Scaling   ScalingSpec
	// Maintenance is every zonal group's instance maintenance policy.
	Maintenance MaintenanceSpec
	// Database is nil when the stack has none.
	Database *DatabaseSpec

	// GroupMetrics turns on CloudWatch group metrics for every zonal group.
	GroupMetrics bool

	// WaitForHealthyTargets makes apply wait until every zone's targets are healthy.
	WaitForHealthyTargets bool

	// EnableZonalShift turns on the load balancer's ARC zonal shift integration.
	EnableZonalShift bool
	// AccessLogs, when set, has the load balancer write its access logs to
	// an S3 bucket (nil: off).
	AccessLogs *AccessLogsSpec `json:",omitempty"`
	// Autoshift, when set, gives the load balancer a practice run
	// configuration on the stack's outcome alarm and sets its zonal
	// autoshift (nil: neither is managed).
	Autoshift *AutoshiftSpec `json:",omitempty"`
	// EvacuateZones are zones taken out of service by a zonal shift (zone
	// names of AppSubnets; ARC shifts a load balancer away from one zone at a time).
	EvacuateZones []string
	// ReturningZones were evacuated before this apply and no longer are:
	// their shift is cancelled and their targets healthy before the
	// surviving groups go back to their normal capacity.
	ReturningZones []string
	// ShiftTiming says when the zonal shift starts: ShiftTimingAuto (""
	// too), ShiftTimingImmediate or ShiftTimingAfterCapacity (shifttiming.go).
	ShiftTiming string
	// ZoneReadings are the zonal groups as the apply found them, by zone
	// (nil before they exist): ShiftTimingAuto decides from them.
	ZoneReadings map[string]ZoneReading

	// Tags are the user's tags merged with the provider's default tags.
	Tags map[string]string
}

// AccessLogsSpec is where the load balancer writes its access logs: the
// objects go to <bucket>/<prefix>/AWSLogs/<account>/elasticloadbalancing/...
type AccessLogsSpec struct {
	Bucket string
	// Prefix is empty for the bucket's root.
	Prefix string
}

// Subnet is an instance subnet and the availability zone it lives in.
type Subnet struct {
	ID   string
	Zone string
}

type ListenerSpec struct {
	HTTPPort  int32
	HTTPSPort int32
	// CertificateARN turns on the HTTPS listener and the HTTP -> HTTPS redirect.
	CertificateARN string
	SSLPolicy      string
}

type HealthCheckSpec struct {
	Path               string
	Matcher            string
	Interval           int32
	Timeout            int32
	HealthyThreshold   int32
	UnhealthyThreshold int32
	// GracePeriod is seconds a new instance may fail checks before it is replaced.
	GracePeriod int32
	// FailOpenBelowPercent is the target group's unhealthy-state routing
	// threshold: below this share of healthy targets the load balancer
	// sends to every target, unhealthy ones too. 0 is AWS's "off".
	FailOpenBelowPercent int32
}

// MaintenanceSpec is every zonal group's instance maintenance policy: the
// share of desired capacity kept in service (min) and allowed in service or
// pending (max) while instances are replaced. A zero Max means no policy.
type MaintenanceSpec struct {
	MinHealthyPercent int32
	MaxHealthyPercent int32
}

type InstancesSpec struct {
	ImageID      string
	InstanceType string
	Port         int32
	UserData     string
	KeyName      string
	// InstanceProfileName, when set, is the user's own profile: no role is created.
	InstanceProfileName string
	ManagedPolicyARNs   []string
	RootVolumeSize      int32
	// MetadataHopLimit is the IMDS PUT response hop limit (0: DefaultMetadataHopLimit).
	MetadataHopLimit int32
	// Mix, when set, gives every zonal group a mixed instances policy.
	Mix *MixSpec
}

// MixSpec is the stack's instance-type flexibility: the types in priority
// order (the first is the launch template's) and the purchase split. The
// on-demand base is the stack's total, split across the zones as capacity is.
type MixSpec struct {
	Types []string
	// OnDemandBase instances of the stack are on-demand whatever the
	// percentage; above it, OnDemandPercentAboveBase percent are (100: no Spot).
	OnDemandBase             int32
	OnDemandPercentAboveBase int32
	// SpotStrategy is the Spot allocation strategy, e.g. price-capacity-optimized.
	SpotStrategy string
}

// UsesSpot reports whether any capacity may be Spot.
func (m *MixSpec) UsesSpot() bool { return m != nil && m.OnDemandPercentAboveBase < 100 }

// CapacitySpec is the stack's total capacity, split across zones.
type CapacitySpec struct {
	Min     int32
	Desired int32
	Max     int32
}

const (
	MetricRequestCountPerTarget = "request_count_per_target"
	MetricCPU                   = "cpu"
)

type ScalingSpec struct {
	Metric         string
	Target         float64
	Warmup         int32
	DisableScaleIn bool
}

type DatabaseSpec struct {
	Engine              string
	EngineVersion       string
	InstanceClass       string
	AllocatedStorage    int32
	MaxAllocatedStorage int32
	MultiAZ             bool
	BackupRetentionDays int32
	DeletionProtection  bool
	SkipFinalSnapshot   bool
	// FinalSnapshotID is derived from the stack name when empty.
	FinalSnapshotID string
	Port            int32
	DBName          string
	Username        string
	// SecretRotation, when set, is the rotation schedule of the master
	// user secret RDS manages (nil: RDS's own, every 7 days).
	SecretRotation *SecretRotationSpec `json:",omitempty"`
}

// SecretRotationSpec is Secrets Manager's RotationRules: either
// AutomaticallyAfterDays or ScheduleExpression (with an optional Duration,
// the rotation window), never both.
type SecretRotationSpec struct {
	AutomaticallyAfterDays int32
	ScheduleExpression     string
	Duration               string
}
