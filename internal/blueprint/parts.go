package blueprint

// Kind names a type of AWS child. The cloud package has one file per kind.
type Kind string

const (
	KindSecurityGroup      Kind = "security_group"
	KindInstanceRole       Kind = "instance_role"
	KindInstanceRolePolicy Kind = "instance_role_policy"
	KindLoadBalancer       Kind = "load_balancer"
	KindTargetGroup        Kind = "target_group"
	KindListener           Kind = "listener"
	KindDBSubnetGroup      Kind = "db_subnet_group"
	KindDBInstance         Kind = "db_instance"
	KindLaunchTemplate     Kind = "launch_template"
	KindAutoScalingGroup   Kind = "autoscaling_group"
	KindScalingPolicy      Kind = "scaling_policy"
)

// Tag keys by which the provider finds its children.
const (
	TagStack = "hawebapp:stack"
	TagPart  = "hawebapp:part"
	// TagFinalSnapshot, on the database only, keeps what a destroy does
	// with it (FinalSnapshotTag), which RDS holds nowhere else, so that an
	// import reads back skip_final_snapshot and final_snapshot_identifier.
	TagFinalSnapshot = "hawebapp:final-snapshot"
)

// Part is one AWS child as it should be.
type Part struct {
	Kind Kind
	// Key is unique in a stack and stable across applies: "security_group/alb",
	// "autoscaling_group/us-east-1a". It is the value of the hawebapp:part tag.
	Key string
	// Name is the AWS name. Where AWS cannot change a property in place the
	// name carries a hash of it, so a replacement never collides with the old child.
	Name string
	// Props holds the desired properties: one of the *Props types below.
	Props any
	// DependsOn lists the keys of the parts this one needs to exist first.
	DependsOn []string
	// Tags are the user's, the provider's default and the ownership tags.
	Tags map[string]string
}

// Blueprint is the whole stack, parts in a valid creation order.
type Blueprint struct {
	Stack string
	Parts []Part
	// ReadAll asks Observe to also read the properties a refresh skips to
	// save calls (target group attributes): import needs every one.
	ReadAll bool
	// Known maps a part's key to the ARN of the child the last apply
	// recorded (the resource's state). Observe finds a stack's target group
	// by its desired name, and the recorded one by its ARN when they
	// differ: a group being replaced, whose deletion an interrupted apply
	// never reached. Nil: by name only.
	Known map[string]string `json:",omitempty"`
}

// Part returns the part with the given key.
func (b Blueprint) Part(key string) (Part, bool) {
	for _, p := range b.Parts {
		if p.Key == key {
			return p, true
		}
	}
	return Part{}, false
}

// Keys of the singleton parts. Zonal parts are KeyFor(kind, zone).
const (
	KeyALBSecurityGroup = "security_group/alb"
	KeyAppSecurityGroup = "security_group/app"
	KeyDBSecurityGroup  = "security_group/db"
	KeyInstanceRole     = "instance_role"
	KeyRolePolicy       = "instance_role_policy"
	KeyLoadBalancer     = "load_balancer"
	KeyTargetGroup      = "target_group"
	KeyHTTPListener     = "listener/http"
	KeyHTTPSListener    = "listener/https"
	KeyDBSubnetGroup    = "db_subnet_group"
	KeyDBInstance       = "db_instance"
	KeyLaunchTemplate   = "launch_template"
)

// KeyFor is the key of a zonal part.
func KeyFor(kind Kind, zone string) string { return string(kind) + "/" + zone }

// Rule is one security group rule: from CIDRs or from another part's group.
type Rule struct {
	Protocol string // "tcp" or "-1" for all
	FromPort int32
	ToPort   int32
	CIDRs    []string
	// SourceGroupKey is the key of the security_group part allowed in (or out to).
	SourceGroupKey string
	Description    string
}

type SecurityGroupProps struct {
	VPCID       string
	Description string
	Ingress     []Rule
	// Egress replaces AWS's default allow-all egress.
	Egress []Rule
}

type InstanceRoleProps struct {
	// AssumeService is the principal allowed to assume the role.
	AssumeService     string
	ManagedPolicyARNs []string
}

// InstanceRolePolicyProps lets the instances describe exactly the stack's
// database and read exactly its secret.
type InstanceRolePolicyProps struct {
	RoleKey    string
	DBKey      string
	PolicyName string
}

type LoadBalancerProps struct {
	Internal                bool
	SubnetIDs               []string
	SecurityGroupKey        string
	DropInvalidHeaderFields bool
	// ZonalShift is the attribute zonal_shift.config.enabled: the load
	// balancer is a managed resource of ARC's zonal shift.
	ZonalShift bool
	// AccessLogs are the attributes access_logs.s3.*: nil is off.
	AccessLogs *AccessLogsSpec `json:",omitempty"`
}

type TargetGroupProps struct {
	VPCID               string
	Port                int32
	Protocol            string
	HealthCheck         HealthCheckSpec
	DeregistrationDelay int32
}

// Listener actions.
const (
	ActionForward       = "forward"
	ActionRedirectHTTPS = "redirect-https"
)

type ListenerProps struct {
	LoadBalancerKey string
	TargetGroupKey  string
	Port            int32
	Protocol        string // HTTP or HTTPS
	Action          string
	RedirectPort    int32
	CertificateARN  string
	SSLPolicy       string
}

type DBSubnetGroupProps struct {
	Description string
	SubnetIDs   []string
}

type DBInstanceProps struct {
	DatabaseSpec
	SubnetGroupKey   string
	SecurityGroupKey string
	StorageEncrypted bool
	// ManageMasterPassword: AWS generates the password and keeps it in Secrets Manager.
	ManageMasterPassword bool
	PubliclyAccessible   bool
}

type LaunchTemplateProps struct {
	ImageID      string
	InstanceType string
	// UserData is the user's script; the cloud renders it with RenderUserData.
	UserData         string
	KeyName          string
	SecurityGroupKey string
	// InstanceProfileName is the user's own profile; empty means use RoleKey's.
	InstanceProfileName string
	RoleKey             string
	// DBInstance, DBPort and DBName name the stack's database (none when
	// empty): the user data tells the instances, which look its endpoint
	// and secret up at boot through their role.
	DBInstance          string
	DBPort              int32
	DBName              string
	RootVolumeSize      int32
	RootVolumeEncrypted bool
	RequireIMDSv2       bool
	MetadataHopLimit    int32
	AssociatePublicIP   bool
	Port                int32
}

type AutoScalingGroupProps struct {
	Zone              string
	SubnetID          string
	Min               int32
	Desired           int32
	Max               int32
	LaunchTemplateKey string
	TargetGroupKey    string
	HealthCheckType   string
	GracePeriod       int32
	DefaultWarmup     int32
	// WaitForHealthyTargets: Create and Update return only when the group's
	// instances are healthy in the target group.
	WaitForHealthyTargets bool
	// CollectMetrics publishes the group's size metrics to CloudWatch every
	// minute (dashboards and capacity alarms need them).
	CollectMetrics bool
	// Evacuated: the zone is shifted away; the group keeps its instances and
	// suspends the processes that would scale it in or replace them.
	Evacuated bool
	// ResetDesired sets the desired capacity back to Desired: the zone that
	// was evacuated returns, and the instances the evacuation added go.
	ResetDesired bool
	// Maintenance is the group's instance maintenance policy (none when Max is 0).
	Maintenance MaintenanceSpec
	// Mix is the group's mixed instances policy; nil: the launch template alone.
	Mix *GroupMix `json:",omitempty"`
}

// OnDemandPrioritized is the on-demand allocation strategy of every mixed
// group: launch the types in the order given, the next when one is short.
const OnDemandPrioritized = "prioritized"

// GroupMix is one zonal group's mixed instances policy: the launch template
// with its instance types in priority order (overrides), and how many
// instances are on-demand. CapacityRebalance is on whenever Spot is used, so
// a Spot instance at elevated risk of interruption is replaced beforehand.
type GroupMix struct {
	Types                    []string
	OnDemandBase             int32
	OnDemandPercentAboveBase int32
	SpotStrategy             string
	CapacityRebalance        bool
}

type ScalingPolicyProps struct {
	AutoScalingGroupKey string
	LoadBalancerKey     string
	TargetGroupKey      string
	Metric              string
	Target              float64
	Warmup              int32
	DisableScaleIn      bool
}
