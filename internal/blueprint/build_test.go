package blueprint

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func goldenSpec() Spec {
	return Spec{
		Name: "fruit-api", VPCID: "vpc-0a1b", VPCCIDR: "10.0.0.0/16", VPCSecondaryCIDRs: []string{"100.64.0.0/16"},
		AppSubnets:            []Subnet{{ID: "subnet-a", Zone: "us-east-1a"}, {ID: "subnet-b", Zone: "us-east-1b"}, {ID: "subnet-c", Zone: "us-east-1c"}},
		LBSubnetIDs:           []string{"subnet-pa", "subnet-pb", "subnet-pc"},
		AllowedCIDRs:          []string{"0.0.0.0/0"},
		Listener:              ListenerSpec{HTTPPort: 80, HTTPSPort: 443, SSLPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06"},
		HealthCheck:           HealthCheckSpec{Path: "/health", Matcher: "200-399", Interval: 15, Timeout: 10, HealthyThreshold: 3, UnhealthyThreshold: 4, GracePeriod: 300, FailOpenBelowPercent: 25},
		Maintenance:           MaintenanceSpec{MinHealthyPercent: 100, MaxHealthyPercent: 200},
		DeregistrationDelay:   30,
		Instances:             InstancesSpec{ImageID: "ami-1", InstanceType: "t3.small", Port: 8080, UserData: "#!/bin/bash\necho hi\n", RootVolumeSize: 20},
		Capacity:              CapacitySpec{Min: 4, Desired: 4, Max: 12},
		Scaling:               ScalingSpec{Metric: MetricRequestCountPerTarget, Target: 500, Warmup: 300},
		Database:              &DatabaseSpec{Engine: "postgres", InstanceClass: "db.t3.micro", AllocatedStorage: 20, MaxAllocatedStorage: 100, MultiAZ: true, BackupRetentionDays: 7, Port: 5432, DBName: "app", Username: "app"},
		WaitForHealthyTargets: true,
		Tags:                  map[string]string{"team": "shop"},
	}
}

// TestBuildGolden pins the whole expansion of representative specs. Run
// `go test ./internal/blueprint -update` after an intended change and review the diff.
func TestBuildGolden(t *testing.T) {
	https := goldenSpec()
	https.Listener.CertificateARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	noDB := goldenSpec()
	noDB.Database = nil
	noDB.Instances.InstanceProfileName = "my-profile"
	noDB.AppSubnets = noDB.AppSubnets[:2]
	noDB.Capacity = CapacitySpec{Min: 2, Desired: 3, Max: 5}
	autoshift := goldenSpec()
	autoshift.EnableZonalShift = true
	autoshift.Autoshift = &AutoshiftSpec{Enabled: true, BlockedWindows: []string{"Mon:09:00-Mon:17:00"}, BlockedDates: []string{"2026-12-24"},
		BlockingAlarmARNs: []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:deploying"}}
	cases := map[string]Spec{"full": goldenSpec(), "https": https, "no_database_own_profile": noDB, "autoshift": autoshift}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(Build(spec), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)+"\n"); diff != "" {
				t.Errorf("blueprint differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

func TestBuildDependenciesPrecedeDependents(t *testing.T) {
	bp := Build(goldenSpec())
	seen := map[string]bool{}
	for _, p := range bp.Parts {
		for _, d := range p.DependsOn {
			if !seen[d] {
				t.Errorf("%s depends on %s, which comes later or not at all", p.Key, d)
			}
		}
		if seen[p.Key] {
			t.Errorf("duplicate key %s", p.Key)
		}
		seen[p.Key] = true
		if p.Tags[TagStack] != "fruit-api" || p.Tags[TagPart] != p.Key || p.Tags["team"] != "shop" {
			t.Errorf("%s has tags %v", p.Key, p.Tags)
		}
	}
}

func TestOwnershipTagsWinOverUserTags(t *testing.T) {
	s := goldenSpec()
	s.Tags = map[string]string{TagStack: "someone-else"}
	for _, p := range Build(s).Parts {
		if p.Tags[TagStack] != "fruit-api" {
			t.Fatalf("%s: user tag overrode ownership tag: %v", p.Key, p.Tags)
		}
	}
}

// The HTTP listener switches to the redirect only after the HTTPS listener
// it redirects to exists: it depends on it, and comes after it.
func TestBuildHTTPRedirectWaitsForHTTPSListener(t *testing.T) {
	s := goldenSpec()
	s.Listener.CertificateARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
	bp := Build(s)
	httpPart, ok := bp.Part(KeyHTTPListener)
	if !ok {
		t.Fatal("no HTTP listener")
	}
	if !slices.Contains(httpPart.DependsOn, KeyHTTPSListener) {
		t.Errorf("HTTP listener depends on %v, want it to include %s", httpPart.DependsOn, KeyHTTPSListener)
	}
	plain, _ := Build(goldenSpec()).Part(KeyHTTPListener)
	if slices.Contains(plain.DependsOn, KeyHTTPSListener) {
		t.Errorf("without a certificate the HTTP listener depends on %v", plain.DependsOn)
	}
}

// TestFleetDoesNotWaitForDatabase: on AWS a multi-AZ database takes 10 to 20
// minutes; the launch template, the zonal groups and their scaling policies
// must not depend on it, directly or through another part, so the fleet
// comes up beside it. The template still names the database.
func TestFleetDoesNotWaitForDatabase(t *testing.T) {
	bp := Build(goldenSpec())
	deps := map[string][]string{}
	for _, p := range bp.Parts {
		deps[p.Key] = p.DependsOn
	}
	var needs func(key, target string) bool
	needs = func(key, target string) bool {
		for _, d := range deps[key] {
			if d == target || needs(d, target) {
				return true
			}
		}
		return false
	}
	fleet := 0
	for _, p := range bp.Parts {
		switch p.Kind {
		case KindLaunchTemplate, KindAutoScalingGroup, KindScalingPolicy:
			fleet++
			if needs(p.Key, KeyDBInstance) {
				t.Errorf("%s waits for the database", p.Key)
			}
		}
	}
	if fleet < 3 {
		t.Fatalf("found %d fleet parts, want the template, groups and policies", fleet)
	}
	lt, _ := bp.Part(KeyLaunchTemplate)
	props := lt.Props.(LaunchTemplateProps)
	if db, _ := bp.Part(KeyDBInstance); props.DBInstance != db.Name || props.DBPort != 5432 {
		t.Errorf("template names database %q port %d, want %q port 5432", props.DBInstance, props.DBPort, db.Name)
	}
	if !needs(KeyRolePolicy, KeyDBInstance) {
		t.Error("the role policy must wait for the database: it names the database's ARN and secret")
	}
}

// TestFinalSnapshotTagRoundTrip: what a destroy does with the database is
// kept in a tag that reads back to the same settings, whatever identifier
// the user chose (an identifier never holds the colon of the other values).
func TestFinalSnapshotTagRoundTrip(t *testing.T) {
	for _, d := range []DatabaseSpec{
		{SkipFinalSnapshot: true},
		{},
		{FinalSnapshotID: "skip"},
		{FinalSnapshotID: "auto"},
		{FinalSnapshotID: "fruit-api-last"},
	} {
		v := FinalSnapshotTag(d)
		skip, id := ParseFinalSnapshotTag(v)
		if skip != d.SkipFinalSnapshot || id != d.FinalSnapshotID {
			t.Errorf("%+v: tag %q reads back as skip %t, identifier %q", d, v, skip, id)
		}
	}
	bp := Build(goldenSpec())
	db, ok := bp.Part(KeyDBInstance)
	if !ok || db.Tags[TagFinalSnapshot] != FinalSnapshotTag(*goldenSpec().Database) {
		t.Errorf("the database part's tags %v lack %s", db.Tags, TagFinalSnapshot)
	}
}
