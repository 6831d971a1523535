package blueprint

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
)

// Build expands a spec into its parts, in a valid creation order.
func Build(s Spec) Blueprint {
	b := Blueprint{Stack: s.Name}
	add := func(kind Kind, key, name string, props any, deps ...string) {
		b.Parts = append(b.Parts, Part{Kind: kind, Key: key, Name: name, Props: props, DependsOn: deps, Tags: partTags(s, key)})
	}
	names := NamesFor(s)
	db := s.Database != nil
	ownProfile := s.Instances.InstanceProfileName != ""

	// The load balancer may send to the instance port anywhere in the VPC:
	// every CIDR block of it, secondary blocks included, since app subnets
	// may be carved from any of them. A rule naming the app group instead
	// would be tighter, but the two groups would then name each other: the
	// load balancer group's egress could only be authorized after the app
	// group exists and would have to be revoked before the app group is
	// deleted, a rule owned by neither group's part (a part kind of its own,
	// with its own drift and rollback). The VPC's blocks are resolved at plan
	// time and kept with the state, so a refresh costs no extra call.
	add(KindSecurityGroup, KeyALBSecurityGroup, names.ALBSecurityGroup, SecurityGroupProps{
		VPCID: s.VPCID, Description: "hawebapp " + s.Name + ": load balancer",
		Ingress: listenerIngress(s),
		Egress:  []Rule{{Protocol: "tcp", FromPort: s.Instances.Port, ToPort: s.Instances.Port, CIDRs: vpcCIDRs(s), Description: "to instances"}},
	})
	add(KindSecurityGroup, KeyAppSecurityGroup, names.AppSecurityGroup, SecurityGroupProps{
		VPCID: s.VPCID, Description: "hawebapp " + s.Name + ": instances",
		Ingress: []Rule{{Protocol: "tcp", FromPort: s.Instances.Port, ToPort: s.Instances.Port, SourceGroupKey: KeyALBSecurityGroup, Description: "from load balancer"}},
		// Instances reach the database, AWS APIs and package mirrors (through NAT).
		Egress: []Rule{{Protocol: "-1", CIDRs: []string{"0.0.0.0/0"}, Description: "outbound"}},
	}, KeyALBSecurityGroup)
	if db {
		add(KindSecurityGroup, KeyDBSecurityGroup, names.DBSecurityGroup, SecurityGroupProps{
			VPCID: s.VPCID, Description: "hawebapp " + s.Name + ": database",
			Ingress: []Rule{{Protocol: "tcp", FromPort: s.Database.Port, ToPort: s.Database.Port, SourceGroupKey: KeyAppSecurityGroup, Description: "from instances"}},
		}, KeyAppSecurityGroup)
		add(KindDBSubnetGroup, KeyDBSubnetGroup, names.DBSubnetGroup, DBSubnetGroupProps{
			Description: "hawebapp " + s.Name, SubnetIDs: subnetIDs(s.AppSubnets),
		})
		add(KindDBInstance, KeyDBInstance, names.DBInstance, DBInstanceProps{
			DatabaseSpec: withSnapshotID(*s.Database, names.FinalSnapshot), SubnetGroupKey: KeyDBSubnetGroup, SecurityGroupKey: KeyDBSecurityGroup,
			StorageEncrypted: true, ManageMasterPassword: true,
		}, KeyDBSubnetGroup, KeyDBSecurityGroup)
		if r := s.Database.SecretRotation; r != nil {
			add(KindSecretRotation, KeySecretRotation, names.DBInstance, SecretRotationProps{DBKey: KeyDBInstance, Rules: *r}, KeyDBInstance)
		}
	}
	if !ownProfile {
		add(KindInstanceRole, KeyInstanceRole, names.InstanceRole, InstanceRoleProps{
			AssumeService: "ec2.amazonaws.com", ManagedPolicyARNs: s.Instances.ManagedPolicyARNs,
		})
		if db {
			add(KindInstanceRolePolicy, KeyRolePolicy, names.RolePolicy, InstanceRolePolicyProps{
				RoleKey: KeyInstanceRole, DBKey: KeyDBInstance, PolicyName: names.RolePolicy,
			}, KeyInstanceRole, KeyDBInstance)
		}
	}
	add(KindLoadBalancer, KeyLoadBalancer, names.LoadBalancer, LoadBalancerProps{
		Internal: s.Internal, SubnetIDs: s.LBSubnetIDs, SecurityGroupKey: KeyALBSecurityGroup, DropInvalidHeaderFields: true,
		ZonalShift: s.EnableZonalShift, AccessLogs: s.AccessLogs,
	}, KeyALBSecurityGroup)
	tg := TargetGroupProps{VPCID: s.VPCID, Port: s.Instances.Port, Protocol: "HTTP", HealthCheck: s.HealthCheck, DeregistrationDelay: s.DeregistrationDelay}
	add(KindTargetGroup, KeyTargetGroup, names.TargetGroup, tg)
	addAutoshift(s, names, add)
	httpDeps := []string{KeyLoadBalancer, KeyTargetGroup}
	if s.Listener.CertificateARN != "" {
		add(KindListener, KeyHTTPSListener, names.HTTPSListener, ListenerProps{
			LoadBalancerKey: KeyLoadBalancer, TargetGroupKey: KeyTargetGroup, Port: s.Listener.HTTPSPort, Protocol: "HTTPS",
			Action: ActionForward, CertificateARN: s.Listener.CertificateARN, SSLPolicy: s.Listener.SSLPolicy,
		}, KeyLoadBalancer, KeyTargetGroup)
		// The HTTP listener redirects to the HTTPS one: it switches to the
		// redirect only once the HTTPS listener exists, so no request is
		// redirected to a port that does not answer yet (and on removal the
		// redirect goes before the HTTPS listener).
		httpDeps = append(httpDeps, KeyHTTPSListener)
	}
	add(KindListener, KeyHTTPListener, names.HTTPListener, httpListener(s), httpDeps...)

	lt := LaunchTemplateProps{
		ImageID: s.Instances.ImageID, InstanceType: s.Instances.TemplateType(), UserData: s.Instances.UserData,
		KeyName: s.Instances.KeyName, SecurityGroupKey: KeyAppSecurityGroup, InstanceProfileName: s.Instances.InstanceProfileName,
		RootVolumeSize: s.Instances.RootVolumeSize, RootVolumeEncrypted: true, RequireIMDSv2: true, Port: s.Instances.Port,
		MetadataHopLimit: cmp.Or(s.Instances.MetadataHopLimit, DefaultMetadataHopLimit),
	}
	// The template (and so the fleet) needs neither the database nor the
	// role policy that names it: the user data carries the database's
	// identifier, known before it exists, and the instances look the
	// endpoint up at boot. A multi-AZ database takes 10 to 20 minutes on
	// AWS; the fleet comes up beside it instead of after it.
	ltDeps := []string{KeyAppSecurityGroup}
	if !ownProfile {
		lt.RoleKey = KeyInstanceRole
		ltDeps = append(ltDeps, KeyInstanceRole)
	}
	if db {
		lt.DBInstance, lt.DBPort, lt.DBName = names.DBInstance, s.Database.Port, s.Database.DBName
	}
	add(KindLaunchTemplate, KeyLaunchTemplate, names.LaunchTemplate, lt, ltDeps...)

	capacity := PlanCapacity(s)
	// While a zone is evacuated its shift depends on the load balancer
	// alone, never on the evacuated zone's group (in a zone that is down it
	// never gets healthy), and it suspends that group's processes itself
	// before it starts. It comes before every group when it starts at once,
	// after the surviving groups when it waits for their raise
	// (shifttiming.go); the evacuated group always comes after it and is
	// never waited on. While a zone returns, the surviving groups shrink
	// only after its shift is cancelled and its targets are healthy.
	var evacuating, returning []string
	for _, sn := range s.AppSubnets {
		switch {
		case slices.Contains(s.EvacuateZones, sn.Zone):
			evacuating = append(evacuating, sn.Zone)
		case slices.Contains(s.ReturningZones, sn.Zone):
			returning = append(returning, sn.Zone)
		}
	}
	atOnce := DecideShiftTiming(s).AtOnce
	shiftDeps := []string{KeyLoadBalancer}
	for i, zp := range capacity.Zones {
		sn := s.AppSubnets[i]
		asgKey := KeyFor(KindAutoScalingGroup, sn.Zone)
		deps := []string{KeyLaunchTemplate, KeyTargetGroup}
		if !slices.Contains(returning, sn.Zone) {
			for _, z := range returning {
				deps = append(deps, KeyFor(KindZonalShift, z))
			}
		}
		switch {
		case zp.Evacuated || atOnce:
			for _, z := range evacuating {
				deps = append(deps, KeyFor(KindZonalShift, z))
			}
		case len(evacuating) > 0:
			shiftDeps = append(shiftDeps, asgKey)
		}
		add(KindAutoScalingGroup, asgKey, names.AutoScalingGroup(sn.Zone), AutoScalingGroupProps{
			Zone: sn.Zone, SubnetID: sn.ID, Min: zp.Planned.Min, Desired: zp.Planned.Desired, Max: zp.Planned.Max,
			LaunchTemplateKey: KeyLaunchTemplate, TargetGroupKey: KeyTargetGroup, HealthCheckType: "ELB",
			GracePeriod: s.HealthCheck.GracePeriod, DefaultWarmup: s.Scaling.Warmup,
			// An evacuated zone's targets get no traffic: only its surviving
			// peers' health gates the apply.
			WaitForHealthyTargets: s.WaitForHealthyTargets && !zp.Evacuated,
			CollectMetrics:        s.GroupMetrics, Evacuated: zp.Evacuated,
			ResetDesired: len(returning) > 0 && !slices.Contains(returning, sn.Zone),
			Maintenance:  s.Maintenance, Mix: groupMix(s.Instances.Mix, capacity, i),
		}, deps...)
		add(KindScalingPolicy, KeyFor(KindScalingPolicy, sn.Zone), names.ScalingPolicy(sn.Zone), ScalingPolicyProps{
			AutoScalingGroupKey: asgKey, LoadBalancerKey: KeyLoadBalancer, TargetGroupKey: KeyTargetGroup,
			Metric: s.Scaling.Metric, Target: s.Scaling.Target, Warmup: s.Scaling.Warmup, DisableScaleIn: s.Scaling.DisableScaleIn,
		}, asgKey, KeyLoadBalancer, KeyTargetGroup)
	}
	for _, z := range evacuating {
		add(KindZonalShift, KeyFor(KindZonalShift, z), names.ZonalShift(z), zonalShift(s, z, true), shiftDeps...)
	}
	// Returning parts are added before the groups that depend on them would
	// need them in creation order; Build's order is a valid order only for
	// dependencies on earlier parts, so they are moved in front below.
	for _, z := range returning {
		add(KindZonalShift, KeyFor(KindZonalShift, z), names.ZonalShift(z), zonalShift(s, z, false),
			KeyLoadBalancer, KeyTargetGroup, KeyFor(KindAutoScalingGroup, z))
	}
	b.Parts = inDependencyOrder(b.Parts)
	return b
}

// vpcCIDRs is every IPv4 block of the VPC, primary first.
func vpcCIDRs(s Spec) []string {
	out := []string{s.VPCCIDR}
	for _, c := range s.VPCSecondaryCIDRs {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func listenerIngress(s Spec) []Rule {
	ports := []int32{s.Listener.HTTPPort}
	if s.Listener.CertificateARN != "" {
		ports = append(ports, s.Listener.HTTPSPort)
	}
	var rules []Rule
	for _, p := range ports {
		rules = append(rules, Rule{Protocol: "tcp", FromPort: p, ToPort: p, CIDRs: s.AllowedCIDRs, Description: "listener " + strconv.Itoa(int(p))})
	}
	return rules
}

func httpListener(s Spec) ListenerProps {
	l := ListenerProps{LoadBalancerKey: KeyLoadBalancer, TargetGroupKey: KeyTargetGroup, Port: s.Listener.HTTPPort, Protocol: "HTTP", Action: ActionForward}
	if s.Listener.CertificateARN != "" {
		l.Action, l.RedirectPort = ActionRedirectHTTPS, s.Listener.HTTPSPort
	}
	return l
}

func withSnapshotID(d DatabaseSpec, derived string) DatabaseSpec {
	if d.FinalSnapshotID == "" && !d.SkipFinalSnapshot {
		d.FinalSnapshotID = derived
	}
	d.SecretRotation = nil // its own part: the database does not hold it
	return d
}

func subnetIDs(subnets []Subnet) []string {
	ids := make([]string, len(subnets))
	for i, s := range subnets {
		ids[i] = s.ID
	}
	return ids
}

// partTags merges user tags (which already include provider default tags)
// with the ownership tags, which always win.
func partTags(s Spec, key string) map[string]string {
	t := maps.Clone(s.Tags)
	if t == nil {
		t = map[string]string{}
	}
	t[TagStack] = s.Name
	t[TagPart] = key
	if key == KeyDBInstance && s.Database != nil {
		t[TagFinalSnapshot] = FinalSnapshotTag(*s.Database)
	}
	return t
}

// DefaultMetadataHopLimit is the instances' IMDS PUT response hop limit.
// With 1, IMDSv2's token answer dies one hop out, so a process in a
// container on the instance (one more hop through the bridge) cannot get
// a token and so no role credentials; 2 lets it through and still stops
// anything further away. Amazon Linux 2023's images default to 2 for that
// reason (EC2 User Guide, "Configure the instance metadata options":
// "In a container environment, we recommend setting the hop limit to 2").
const DefaultMetadataHopLimit = 2

// The values of TagFinalSnapshot besides a configured identifier. A DB
// snapshot identifier never holds a colon (RDS DeleteDBInstance
// FinalDBSnapshotIdentifier: letters, digits and hyphens), and RDS tag
// values may (RDS User Guide, "Tagging Amazon RDS resources": letters,
// digits, spaces and _ . : / = + - @), so the values cannot collide.
const (
	finalSnapshotSkip = ":skip"
	finalSnapshotAuto = ":auto"
)

// FinalSnapshotTag is the database's TagFinalSnapshot value: ":skip", the
// configured final snapshot identifier, or ":auto" (derived from the name).
func FinalSnapshotTag(d DatabaseSpec) string {
	switch {
	case d.SkipFinalSnapshot:
		return finalSnapshotSkip
	case d.FinalSnapshotID != "":
		return d.FinalSnapshotID
	}
	return finalSnapshotAuto
}

// ParseFinalSnapshotTag reads FinalSnapshotTag's value back: skip, and the
// configured identifier ("" when derived). An absent tag ("") reads as the
// defaults.
func ParseFinalSnapshotTag(v string) (skip bool, id string) {
	switch v {
	case finalSnapshotSkip:
		return true, ""
	case finalSnapshotAuto, "":
		return false, ""
	}
	return false, v
}

// shortHash is a stable 6-hex-digit digest of the given values.
func shortHash(values ...string) string {
	h := sha256.New()
	for _, v := range values {
		h.Write([]byte(v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:6]
}

// Zones returns the distinct zones of the app subnets, sorted.
func Zones(subnets []Subnet) []string {
	seen := map[string]bool{}
	var zones []string
	for _, s := range subnets {
		if !seen[s.Zone] {
			seen[s.Zone] = true
			zones = append(zones, s.Zone)
		}
	}
	sort.Strings(zones)
	return zones
}

// String helps error messages and golden files.
func (p Part) String() string { return fmt.Sprintf("%s %q", p.Key, p.Name) }
