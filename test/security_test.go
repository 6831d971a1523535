package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/gruntwork-io/terratest/modules/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/e2e"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

const securityConfig = e2e.RootHeader + `variable "certificate_arn" { type = string }

` + e2e.StackOpen + `  allowed_cidrs  = ["203.0.113.0/24", "198.51.100.0/24"]
  listener       = { certificate_arn = var.certificate_arn }
  instances      = { image_id = "ami-12c6146b", user_data = "#!/bin/sh\necho secure\n" }
  database       = { deletion_protection = false, skip_final_snapshot = true }
}
`

// TestSecurityDefaults applies a stack with a database and an HTTPS
// listener, with TF_LOG=trace on plan, apply and destroy, then checks the
// secure defaults through the AWS API (the checks below) and that
// the database password, read from Secrets Manager, is in neither the
// state file, the saved plan's JSON nor any of the trace logs.
func TestSecurityDefaults(t *testing.T) {
	// Against its own moto, with no load: runs beside the other moto-only
	// tests, after the sandbox tests under load (which run alone).
	t.Parallel()
	tg := newTarget(t)
	ctx := t.Context()
	name := stackName("sec")
	net := env.StackNetwork(t, tg.aws)
	dir, logs := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(securityConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := e2e.NetworkVars(net)
	vars["name"], vars["certificate_arn"] = name, env.Certificate(t, tg.aws, name+".example.com")
	opts := func(phase string) *terraform.Options {
		env := map[string]string{"TF_LOG": "trace", "TF_LOG_PATH": filepath.Join(logs, phase+".log")}
		for k, v := range tg.env {
			env[k] = v
		}
		return terraform.WithDefaultRetryableErrors(t, &terraform.Options{TerraformDir: dir, Vars: vars, EnvVars: env, NoColor: true,
			PlanFilePath: filepath.Join(dir, "tfplan")})
	}
	destroyed := false
	defer func() {
		if !destroyed {
			terraform.DestroyContext(t, background(), opts("cleanup"))
		}
	}()

	start := time.Now()
	terraform.InitContext(t, ctx, opts("init"))
	terraform.PlanContext(t, ctx, opts("plan"))
	planJSON := terraform.RunTerraformCommandAndGetStdoutContext(t, ctx, opts("show"), "show", "-json", filepath.Join(dir, "tfplan"))
	terraform.ApplyContext(t, ctx, opts("apply"))
	t.Logf("plan and apply took %s", time.Since(start).Round(time.Second))

	st := stackState(t, opts("state"))
	assertSecureStack(t, tg, name, st)
	password := databasePassword(t, tg, st.DBSecretARN)
	stateFile, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}

	terraform.DestroyContext(t, ctx, opts("destroy"))
	destroyed = true
	assertNothingLeft(t, tg, name)

	// Each place is read, and proved to be the right one by holding the
	// secret's ARN (state, plan) or the provider's own log lines (logs).
	places := map[string]string{"state file": string(stateFile), "terraform show -json of the plan": planJSON}
	for _, phase := range []string{"plan", "apply", "destroy"} {
		b, err := os.ReadFile(filepath.Join(logs, phase+".log"))
		if err != nil {
			t.Fatal(err)
		}
		places["TF_LOG=trace of "+phase] = string(b)
	}
	for place, text := range places {
		switch {
		case strings.Contains(text, password):
			t.Errorf("the database password is in the %s", place)
		case place == "state file" && !strings.Contains(text, st.DBSecretARN):
			t.Errorf("the state file does not hold the secret's ARN: not the stack's state")
		case strings.HasPrefix(place, "TF_LOG") && !strings.Contains(text, "hawebapp"):
			t.Errorf("the %s has no line of the provider: not a provider trace", place)
		}
	}
}

// databasePassword reads the database's master password from Secrets
// Manager (the RDS-managed secret is JSON with username and password).
func databasePassword(t *testing.T, tg *target, secretARN string) string {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(tg.aws).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		t.Fatalf("reading the database secret %s: %v", secretARN, err)
	}
	var v struct{ Password string }
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil || len(v.Password) < 8 {
		t.Fatalf("the database secret holds no password of at least 8 characters (%v)", err)
	}
	return v.Password
}

// assertSecureStack checks the secure defaults of the stack applied by
// TestSecurityDefaults through the AWS API. internal/cloud's
// TestSecureDefaults checks the same blueprint without Terraform; this
// one checks what a Terraform apply left, instances included.
func assertSecureStack(t *testing.T, tg *target, name string, st stackValues) {
	t.Helper()
	ctx := t.Context()
	assertInstancesPrivate(ctx, t, tg, name, st)
	assertIngressChain(ctx, t, tg, st)
	assertEdge(ctx, t, tg, st)
	assertRoleReadsOnlySecret(ctx, t, tg, st)

	out, err := rds.NewFromConfig(tg.aws).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(st.DBInstanceIdentifier)})
	if err != nil {
		t.Fatalf("describing the database: %v", err)
	}
	if db := out.DBInstances[0]; !aws.ToBool(db.StorageEncrypted) || aws.ToBool(db.PubliclyAccessible) {
		t.Errorf("database encrypted=%t publicly accessible=%t, want encrypted and private", aws.ToBool(db.StorageEncrypted), aws.ToBool(db.PubliclyAccessible))
	}
}

// assertInstancesPrivate: the launch template asks for IMDSv2, no public
// address and encrypted volumes, and the running instances have no public IP.
func assertInstancesPrivate(ctx context.Context, t *testing.T, tg *target, name string, st stackValues) {
	t.Helper()
	c := ec2.NewFromConfig(tg.aws)
	v, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(st.LaunchTemplateID),
		Versions: []string{strconv.FormatInt(st.LaunchTemplateVersion, 10)}})
	if err != nil || len(v.LaunchTemplateVersions) != 1 {
		t.Fatalf("describing launch template %s version %d: %v", st.LaunchTemplateID, st.LaunchTemplateVersion, err)
	}
	d := v.LaunchTemplateVersions[0].LaunchTemplateData
	if d.MetadataOptions == nil || d.MetadataOptions.HttpTokens != ec2types.LaunchTemplateHttpTokensStateRequired {
		t.Errorf("launch template metadata options %+v, want HttpTokens required (IMDSv2)", d.MetadataOptions)
	}
	for _, ni := range d.NetworkInterfaces {
		if aws.ToBool(ni.AssociatePublicIpAddress) {
			t.Errorf("launch template asks for a public IP address")
		}
	}
	if len(d.BlockDeviceMappings) == 0 {
		t.Errorf("launch template has no block device mapping: the root volume's encryption is the account default")
	}
	for _, m := range d.BlockDeviceMappings {
		if m.Ebs == nil || !aws.ToBool(m.Ebs.Encrypted) {
			t.Errorf("volume %s is not encrypted", aws.ToString(m.DeviceName))
		}
	}
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: append(tagFilter(name),
		ec2types.Filter{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}})})
	if err != nil {
		t.Fatalf("describing instances: %v", err)
	}
	n := 0
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			n++
			if i.PublicIpAddress != nil {
				t.Errorf("instance %s has public IP %s", aws.ToString(i.InstanceId), aws.ToString(i.PublicIpAddress))
			}
		}
	}
	if n == 0 {
		t.Errorf("no running instance tagged %s=%s to check", tagStack, name)
	}
}

// assertIngressChain: the only inbound rules are allowed CIDRs -> listener
// ports on the load balancer, load balancer -> instance port on the
// instances, instances -> database port on the database.
func assertIngressChain(ctx context.Context, t *testing.T, tg *target, st stackValues) {
	t.Helper()
	alb, app, db := st.SecurityGroupIDs["alb"], st.SecurityGroupIDs["app"], st.SecurityGroupIDs["db"]
	want := map[string][]string{
		alb: {"tcp 443 from 198.51.100.0/24", "tcp 443 from 203.0.113.0/24", "tcp 80 from 198.51.100.0/24", "tcp 80 from 203.0.113.0/24"},
		app: {"tcp 8080 from " + alb},
		db:  {"tcp 5432 from " + app},
	}
	out, err := ec2.NewFromConfig(tg.aws).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{alb, app, db}})
	if err != nil {
		t.Fatalf("describing security groups: %v", err)
	}
	for _, g := range out.SecurityGroups {
		var got []string
		for _, p := range g.IpPermissions {
			port := fmt.Sprintf("%s %d", aws.ToString(p.IpProtocol), aws.ToInt32(p.FromPort))
			if aws.ToInt32(p.FromPort) != aws.ToInt32(p.ToPort) {
				port += fmt.Sprintf("-%d", aws.ToInt32(p.ToPort))
			}
			for _, r := range p.IpRanges {
				got = append(got, port+" from "+aws.ToString(r.CidrIp))
			}
			for _, r := range p.Ipv6Ranges {
				got = append(got, port+" from "+aws.ToString(r.CidrIpv6))
			}
			for _, r := range p.UserIdGroupPairs {
				got = append(got, port+" from "+aws.ToString(r.GroupId))
			}
			for _, r := range p.PrefixListIds {
				got = append(got, port+" from "+aws.ToString(r.PrefixListId))
			}
		}
		sort.Strings(got)
		if id := aws.ToString(g.GroupId); !slices.Equal(got, want[id]) {
			t.Errorf("security group %s (%s) inbound %q, want exactly %q", id, aws.ToString(g.GroupName), got, want[id])
		}
	}
}

// assertEdge: the load balancer drops invalid header fields and the HTTPS
// listener uses a TLS 1.3 policy.
func assertEdge(ctx context.Context, t *testing.T, tg *target, st stackValues) {
	t.Helper()
	c := elb.NewFromConfig(tg.aws)
	attrs, err := c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(st.LoadBalancerARN)})
	if err != nil {
		t.Fatalf("describing load balancer attributes: %v", err)
	}
	drop := ""
	for _, a := range attrs.Attributes {
		if aws.ToString(a.Key) == "routing.http.drop_invalid_header_fields.enabled" {
			drop = aws.ToString(a.Value)
		}
	}
	if drop != "true" {
		t.Errorf("routing.http.drop_invalid_header_fields.enabled = %q, want true", drop)
	}
	ls, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(st.LoadBalancerARN)})
	if err != nil {
		t.Fatalf("describing listeners: %v", err)
	}
	https := 0
	for _, l := range ls.Listeners {
		if l.Protocol != "HTTPS" {
			continue
		}
		https++
		// The TLS13 predefined policies allow TLS 1.3 and 1.2 only (Elastic
		// Load Balancing User Guide, "Security policies for your Application
		// Load Balancer").
		if p := aws.ToString(l.SslPolicy); !strings.HasPrefix(p, "ELBSecurityPolicy-TLS13-") {
			t.Errorf("HTTPS listener policy %s, want a TLS 1.3 policy (ELBSecurityPolicy-TLS13-...)", p)
		}
	}
	if https != 1 {
		t.Errorf("%d HTTPS listeners, want 1", https)
	}
}

// assertRoleReadsOnlySecret: the instance role has no managed policy and one
// inline policy, whose every Secrets Manager grant is on exactly the
// database's secret, with no wildcard action or resource anywhere.
func assertRoleReadsOnlySecret(ctx context.Context, t *testing.T, tg *target, st stackValues) {
	t.Helper()
	c := iam.NewFromConfig(tg.aws)
	role := st.InstanceRoleARN[strings.LastIndex(st.InstanceRoleARN, "/")+1:]
	attached, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatalf("listing managed policies of %s: %v", role, err)
	}
	if len(attached.AttachedPolicies) != 0 {
		t.Errorf("role %s has managed policies %v, want none", role, attached.AttachedPolicies)
	}
	inline, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	if err != nil || len(inline.PolicyNames) != 1 {
		t.Fatalf("inline policies of %s: %v (%v), want exactly one", role, inline, err)
	}
	out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(inline.PolicyNames[0])})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument))
	var p struct {
		Statement []struct {
			Effect   string
			Action   stringOrList
			Resource stringOrList
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("role policy %s: %v", doc, err)
	}
	readsSecret := false
	for _, s := range p.Statement {
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("role policy grants wildcard action %s", a)
			}
			if strings.HasPrefix(a, "secretsmanager:") {
				readsSecret = readsSecret || a == "secretsmanager:GetSecretValue"
				if !slices.Equal(s.Resource, []string{st.DBSecretARN}) {
					t.Errorf("role policy grants %s on %v, want exactly [%s]", a, s.Resource, st.DBSecretARN)
				}
			}
		}
		for _, r := range s.Resource {
			if strings.Contains(r, "*") {
				t.Errorf("role policy grants on wildcard resource %s", r)
			}
		}
	}
	if !readsSecret {
		t.Errorf("role policy %s does not grant secretsmanager:GetSecretValue on the database secret", doc)
	}
}

// stringOrList is an IAM policy element that may be a string or a list.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(s))
}
