package strict

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Rule names one switchable behaviour (see README.md for what AWS does and
// the source of each).
type Rule string

// The rules.
const (
	SGNotFound     Rule = "sg-not-found"    // a new security group is invisible for a window
	RoleNotFound   Rule = "role-not-found"  // a new role is unknown to AddRoleToInstanceProfile for a window
	ProfileLaunch  Rule = "profile-launch"  // a new instance profile makes the first launches fail
	CertNotFound   Rule = "cert-not-found"  // a new certificate is unknown to listeners for a window
	LBProvisioning Rule = "lb-provisioning" // a load balancer is provisioning before active
	DBStates       Rule = "db-states"       // creating / backing-up / modifying / deleting
	ENILinger      Rule = "eni-linger"      // a group's network interfaces outlive its load balancer and instances
	SGInUse        Rule = "sg-in-use"       // a group still referenced or attached cannot be deleted
	Validation     Rule = "validation"      // names and values AWS refuses
	Throttle       Rule = "throttle"        // token bucket per service
	GoneInstance   Rule = "gone-instance"   // terminating an instance the group no longer has
	// IdempotentCreate: a repeated ELBv2 create with the same settings answers the existing object.
	IdempotentCreate Rule = "idempotent-create"
	// InvalidTarget: DescribeTargetHealth naming a gone or terminated instance is refused.
	InvalidTarget Rule = "invalid-target"
	// LBAttributes: load balancer attributes the partition or the type lacks are refused.
	LBAttributes Rule = "lb-attributes"
	// DBLag: a new DB instance is not found, and a modification shows late.
	DBLag Rule = "db-lag"
	// DBSubnetInUse: a subnet a database runs in cannot leave its DB subnet group.
	DBSubnetInUse Rule = "db-subnet-in-use"
	// RootVolume: a launch whose root volume is smaller than the image's root snapshot is refused.
	RootVolume Rule = "root-volume"
	// AccessLogsBucket: access logs to a bucket the load balancer cannot write to are refused.
	AccessLogsBucket Rule = "access-logs-bucket"
)

// All is every rule, in the order they apply.
var All = []Rule{Throttle, Validation, SGNotFound, RoleNotFound, CertNotFound, GoneInstance, InvalidTarget, LBAttributes, RootVolume, AccessLogsBucket, SGInUse, DBSubnetInUse,
	ENILinger, IdempotentCreate, ProfileLaunch, LBProvisioning, DBLag, DBStates}

// Default is every rule: the provider outlasts each of them (its acceptance
// and end-to-end tests run with this set), so a regression fails make test.
var Default = All

// EnvVar switches the layer: unset or "1" means Default, "0" none, "all"
// every rule; a comma list adds rules ("name") and removes them ("-name"),
// e.g. "all,-profile-launch" or "1,db-states".
const EnvVar = "HAWEBAPP_STRICT"

// Options tune a Layer. The zero value means every rule off and the default
// durations.
type Options struct {
	Rules map[Rule]bool

	// Consistency is how long a new security group, role, instance profile
	// or certificate stays invisible; default 2s.
	Consistency time.Duration
	// LBProvisioning is how long a new load balancer is provisioning; default 2s.
	LBProvisioning time.Duration
	// DBCreating, DBBackingUp, DBModifying and DBDeleting are the database
	// states' durations; default 2s each.
	DBCreating, DBBackingUp, DBModifying, DBDeleting time.Duration
	// DBLag is how long a new database is not found by its identifier, and
	// how long a modification shows as "available" before "modifying";
	// default 1s.
	DBLag time.Duration
	// ENILinger is how long a deleted load balancer's or a terminated
	// instance's network interfaces keep their security groups; default 2s.
	ENILinger time.Duration
	// Bucket and Refill size each service's token bucket; default 100 tokens
	// and 20 a second (EC2's documented bucket for non-mutating actions).
	Bucket int
	Refill float64
	// UnknownLBAttributes are load balancer attribute keys the partition
	// under test does not have (the lb-attributes rule answers them "not
	// recognized"); partitions differ, so a test names them. Default none.
	UnknownLBAttributes []string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Consistency, 2*time.Second)
	def(&o.LBProvisioning, 2*time.Second)
	def(&o.DBCreating, 2*time.Second)
	def(&o.DBBackingUp, 2*time.Second)
	def(&o.DBModifying, 2*time.Second)
	def(&o.DBDeleting, 2*time.Second)
	def(&o.DBLag, time.Second)
	def(&o.ENILinger, 2*time.Second)
	if o.Bucket <= 0 {
		o.Bucket = 100
	}
	if o.Refill <= 0 {
		o.Refill = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rules == nil {
		o.Rules = map[Rule]bool{}
	}
	return o
}

// Emulated stretches the state machines to emulated AWS time, for the
// sandbox, where one AWS minute lasts minuteSeconds real seconds: a load
// balancer provisions for 3 minutes, a database creates for 10, backs up
// for 2, modifies for 5 and deletes for 5; network interfaces linger for 1;
// a new database or a modification shows half a minute late.
// The consistency window stays 2 real seconds (AWS documents seconds).
func (o Options) Emulated(minuteSeconds float64) Options {
	m := func(minutes float64) time.Duration {
		return max(time.Duration(minutes*minuteSeconds*float64(time.Second)), 2*time.Second)
	}
	o.LBProvisioning, o.DBCreating, o.DBBackingUp, o.DBModifying, o.DBDeleting, o.ENILinger = m(3), m(10), m(2), m(5), m(5), m(1)
	o.DBLag = m(0.5)
	return o
}

// FromEnv is Options with the rules HAWEBAPP_STRICT selects.
func FromEnv() (Options, error) {
	rules, err := Parse(os.Getenv(EnvVar))
	if err != nil {
		return Options{}, err
	}
	return Options{Rules: rules}, nil
}

// Parse reads a HAWEBAPP_STRICT value (see EnvVar).
func Parse(v string) (map[Rule]bool, error) {
	set := map[Rule]bool{}
	add := func(rs []Rule) {
		for _, r := range rs {
			set[r] = true
		}
	}
	add(Default)
	for _, tok := range strings.Split(v, ",") {
		tok = strings.TrimSpace(tok)
		switch tok {
		case "", "1", "on", "default":
			set = map[Rule]bool{}
			add(Default)
			continue
		case "0", "off", "none":
			set = map[Rule]bool{}
			continue
		case "all":
			add(All)
			continue
		}
		name, on := strings.TrimPrefix(tok, "-"), !strings.HasPrefix(tok, "-")
		if !known(Rule(name)) {
			return nil, fmt.Errorf("%s: unknown rule %q (known: %v)", EnvVar, name, All)
		}
		set[Rule(name)] = on
	}
	return set, nil
}

func known(r Rule) bool {
	for _, k := range All {
		if k == r {
			return true
		}
	}
	return false
}
