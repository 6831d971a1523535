package cloud

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/leaks"
)

// TestSecureDefaults checks, with plain describes, that what Create made
// carries the security defaults the blueprint asks for.
func TestSecureDefaults(t *testing.T) {
	ctx := t.Context()
	cfg, n := testNetwork(t)
	c := New(cfg, nil)
	spec := fullSpec("secure", n)
	spec.Listener.CertificateARN = env.ServerCertificate(t, cfg, "secure")
	spec.Listener.SSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
	bp := blueprint.Build(spec)
	obs := apply(t, c, bp)
	observeClean(t, c, bp)
	ec2c, elbc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg)

	t.Run("security groups", func(t *testing.T) {
		for key, wantEgress := range map[string][]string{
			blueprint.KeyALBSecurityGroup: {"egress tcp 8080 to " + n.CIDR},
			blueprint.KeyAppSecurityGroup: {"egress all traffic to 0.0.0.0/0"},
			blueprint.KeyDBSecurityGroup:  nil, // AWS's default allow-all egress revoked
		} {
			sg, err := securityGroups{c}.findSecurityGroupByID(ctx, obs[key].ID)
			if err != nil {
				t.Fatal(err)
			}
			var egress []string
			for _, r := range foundRules(sg) {
				if r.egress {
					egress = append(egress, r.String())
				}
			}
			if !slices.Equal(egress, wantEgress) {
				t.Errorf("%s egress %q, want %q", key, egress, wantEgress)
			}
		}
	})

	t.Run("load balancer and listeners", func(t *testing.T) {
		attrs, err := elbc.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(obs[blueprint.KeyLoadBalancer].ARN)})
		if err != nil {
			t.Fatal(err)
		}
		if !hasELBAttr(attrs.Attributes, func(a elbtypes.LoadBalancerAttribute) (*string, *string) { return a.Key, a.Value }, "routing.http.drop_invalid_header_fields.enabled", "true") {
			t.Errorf("drop_invalid_header_fields not on: %v", attrs.Attributes)
		}
		ls, err := elbc.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{obs[blueprint.KeyHTTPListener].ARN}})
		if err != nil {
			t.Fatal(err)
		}
		if r := ls.Listeners[0].DefaultActions[0].RedirectConfig; r == nil || aws.ToString(r.Port) != "443" || r.StatusCode != "HTTP_301" {
			t.Errorf("HTTP listener does not redirect to 443 with 301: %+v", ls.Listeners[0].DefaultActions[0])
		}
		tga, err := elbc.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(obs[blueprint.KeyTargetGroup].ARN)})
		if err != nil {
			t.Fatal(err)
		}
		if !hasELBAttr(tga.Attributes, func(a elbtypes.TargetGroupAttribute) (*string, *string) { return a.Key, a.Value }, "deregistration_delay.timeout_seconds", "30") {
			t.Errorf("deregistration delay not 30: %v", tga.Attributes)
		}
	})

	t.Run("launch template", func(t *testing.T) {
		v, err := findLaunchTemplateVersion(ctx, ec2c, obs[blueprint.KeyLaunchTemplate].Name, obs[blueprint.KeyLaunchTemplate].Attrs["version"])
		if err != nil {
			t.Fatal(err)
		}
		d := flattenResponseData(v.LaunchTemplateData)
		want := templateData{image: testImage, instanceType: "t3.small", profile: obs[blueprint.KeyInstanceRole].Attrs["profile_arn"],
			sg: obs[blueprint.KeyAppSecurityGroup].ID, tokens: "required", hopLimit: 2, encrypted: true, volumeSize: 16, volumeType: "gp3", stackTag: "secure"}
		userData := d.userData
		d.userData = ""
		if d != want {
			t.Errorf("template data\n got %+v\nwant %+v", d, want)
		}
		db := obs[blueprint.KeyDBInstance]
		for _, line := range []string{"HAWEBAPP_STACK=secure", "HAWEBAPP_REGION=us-east-1", "HAWEBAPP_PORT=8080",
			"HAWEBAPP_DB_INSTANCE=" + db.Name, "HAWEBAPP_DB_PORT=5432", "HAWEBAPP_DB_NAME=app", "echo hello"} {
			if !strings.Contains(userData, line+"\n") {
				t.Errorf("user data lacks %q:\n%s", line, userData)
			}
		}
		md := v.LaunchTemplateData.MetadataOptions
		// Hop limit 2: an app in a container on the instance reaches the
		// role's credentials (issue 21).
		if md == nil || aws.ToInt32(md.HttpPutResponseHopLimit) != 2 || md.HttpEndpoint != "enabled" {
			t.Errorf("metadata options %+v, want endpoint enabled, hop limit 2", md)
		}
		for _, ts := range []ec2types.ResourceType{ec2types.ResourceTypeInstance, ec2types.ResourceTypeVolume} {
			if !slices.ContainsFunc(v.LaunchTemplateData.TagSpecifications, func(s ec2types.LaunchTemplateTagSpecification) bool { return s.ResourceType == ts }) {
				t.Errorf("no %s tag specification", ts)
			}
		}
	})

	t.Run("role reads exactly the database secret", func(t *testing.T) {
		out, err := iam.NewFromConfig(cfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(obs[blueprint.KeyInstanceRole].Name), PolicyName: aws.String("secure-read-db-secret")})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := url.QueryUnescape(aws.ToString(out.PolicyDocument))
		db := obs[blueprint.KeyDBInstance]
		secret := db.Attrs["secret_arn"]
		if !samePolicy(doc, databasePolicy(secret, db.ARN)) || !strings.Contains(doc, secret) || !strings.Contains(doc, `"Resource":["`+db.ARN+`"]`) {
			t.Errorf("role policy %s, want read access to %s and describe access to %s only", doc, secret, db.ARN)
		}
	})

	t.Run("database", func(t *testing.T) {
		out, err := rds.NewFromConfig(cfg).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("secure")})
		if err != nil {
			t.Fatal(err)
		}
		db := out.DBInstances[0]
		if !aws.ToBool(db.StorageEncrypted) || aws.ToBool(db.PubliclyAccessible) || !aws.ToBool(db.MultiAZ) || db.MasterUserSecret == nil {
			t.Errorf("database encrypted=%t public=%t multiAZ=%t managed secret=%v", aws.ToBool(db.StorageEncrypted),
				aws.ToBool(db.PubliclyAccessible), aws.ToBool(db.MultiAZ), db.MasterUserSecret)
		}
	})

	destroy(t, c, bp)
}

// TestCreateRefusesUnowned: a same-named child without this stack's tag is
// never adopted, and Observe does not report it as the stack's.
func TestCreateRefusesUnowned(t *testing.T) {
	ctx := t.Context()
	cfg, c, n, spec := appSpec(t, "stranger")
	bp := blueprint.Build(spec)
	names := blueprint.NamesFor(spec)
	ec2c, elbc, asc, iamc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	otherTags := []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: []ec2types.Tag{{Key: aws.String(blueprint.TagStack), Value: aws.String("someone-else")}}}}

	// Children someone else made under the names the stack wants.
	alb, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(names.ALBSecurityGroup), Description: aws.String("not ours"), VpcId: aws.String(n.VPCID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(names.AppSecurityGroup), Description: aws.String("not ours"), VpcId: aws.String(n.VPCID), TagSpecifications: otherTags}); err != nil {
		t.Fatal(err)
	}
	if _, err := elbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(names.LoadBalancer), Subnets: spec.LBSubnetIDs, SecurityGroups: []string{aws.ToString(alb.GroupId)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(names.TargetGroup), VpcId: aws.String(n.VPCID), Port: aws.Int32(8080), Protocol: elbtypes.ProtocolEnumHttp}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(names.LaunchTemplate), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(testImage)}}); err != nil {
		t.Fatal(err)
	}
	asgName := names.AutoScalingGroup(zones[0])
	if _, err := asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(asgName), MinSize: aws.Int32(0), MaxSize: aws.Int32(1),
		VPCZoneIdentifier: aws.String(appSubnets(n)[0].ID), LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(names.LaunchTemplate)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(names.InstanceRole), AssumeRolePolicyDocument: aws.String(assumeRolePolicy("ec2.amazonaws.com"))}); err != nil {
		t.Fatal(err)
	}

	// Refs stand in for dependencies, which do not matter here: Create
	// must refuse before it uses them.
	refs := engine.Refs{
		blueprint.KeyALBSecurityGroup: {ID: aws.ToString(alb.GroupId)},
		blueprint.KeyAppSecurityGroup: {ID: aws.ToString(alb.GroupId)},
		blueprint.KeyLaunchTemplate:   {ID: "lt-0", Attrs: map[string]string{"version": "1"}},
		blueprint.KeyTargetGroup:      {ARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"},
	}
	for _, tc := range []struct {
		key, want string
	}{
		{blueprint.KeyALBSecurityGroup, "has no hawebapp:stack tag"},
		{blueprint.KeyAppSecurityGroup, `belongs to stack "someone-else"`},
		{blueprint.KeyLoadBalancer, "has no hawebapp:stack tag"},
		{blueprint.KeyTargetGroup, "has no hawebapp:stack tag"},
		{blueprint.KeyLaunchTemplate, "has no hawebapp:stack tag"},
		{blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[0]), "has no hawebapp:stack tag"},
		{blueprint.KeyInstanceRole, "has no hawebapp:stack tag"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			p, _ := bp.Part(tc.key)
			_, err := c.Create(ctx, p, refs)
			if !errors.Is(err, engine.ErrNotOwned) {
				t.Fatalf("Create: %v, want ErrNotOwned", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p.Name) {
				t.Errorf("error %q does not name %q and say %q", err, p.Name, tc.want)
			}
		})
	}
	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) > 0 {
		t.Errorf("Observe reports children that are not the stack's: %v", keys(obs))
	}
}

// TestOrphanedZone: the group of a zone the blueprint no longer has is
// observed as an orphan, keyed by its part tag, and deletes cleanly.
func TestOrphanedZone(t *testing.T) {
	ctx := t.Context()
	cfg, c, n, spec := appSpec(t, "orphan")
	spec.Scaling.Metric = blueprint.MetricCPU
	apply(t, c, blueprint.Build(spec))

	two := spec
	two.AppSubnets = appSubnets(n)[:2]
	two.Capacity = blueprint.CapacitySpec{Min: 2, Desired: 2, Max: 4}
	bp := blueprint.Build(two)
	obs, err := c.Observe(ctx, bp)
	if err != nil {
		t.Fatal(err)
	}
	key := blueprint.KeyFor(blueprint.KindAutoScalingGroup, zones[2])
	o, ok := obs[key]
	if !ok || o.Kind != blueprint.KindAutoScalingGroup || o.Name != "orphan-"+zones[2] {
		t.Fatalf("orphan %s not observed: %+v (keys %v)", key, o, keys(obs))
	}
	if err := c.Delete(ctx, blueprint.Part{Kind: o.Kind, Key: o.Key, Name: o.Name}, o); err != nil {
		t.Fatal(err)
	}
	pols, err := autoscaling.NewFromConfig(cfg).DescribePolicies(ctx, &autoscaling.DescribePoliciesInput{PolicyNames: []string{"orphan-" + zones[2] + "-target-tracking"}})
	if err != nil || len(pols.ScalingPolicies) > 0 {
		t.Errorf("orphan group's policy left: %v %v", pols, err)
	}
	apply(t, c, bp)
	observeClean(t, c, bp)
	destroy(t, c, bp)
	leaks.NothingLeft(t, cfg, "orphan", 0)
}

// appSpec starts the tests of a stack without a database: the emulator's
// configuration, a Cloud on it, a new network and the stack's spec.
func appSpec(t *testing.T, name string) (aws.Config, *Cloud, env.Net, blueprint.Spec) {
	t.Helper()
	cfg, n := testNetwork(t)
	spec := fullSpec(name, n)
	spec.Database = nil
	return cfg, New(cfg, nil), n, spec
}

// destroy deletes every part in reverse creation order, as observed.
func destroy(t *testing.T, c *Cloud, bp blueprint.Blueprint) {
	t.Helper()
	obs, err := c.Observe(t.Context(), bp)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(bp.Parts) - 1; i >= 0; i-- {
		p := bp.Parts[i]
		if err := c.Delete(t.Context(), p, obs[p.Key]); err != nil {
			t.Fatalf("deleting %s: %v", p.Key, err)
		}
	}
	for key, o := range obs {
		if _, desired := bp.Part(key); !desired {
			if err := c.Delete(t.Context(), blueprint.Part{Kind: o.Kind, Key: o.Key, Name: o.Name}, o); err != nil {
				t.Fatalf("deleting orphan %s: %v", key, err)
			}
		}
	}
}

// hasELBAttr tells whether an ELB attribute list (a load balancer's or a
// target group's: both are key/value pairs, kv reads one) sets key to want.
func hasELBAttr[A any](attrs []A, kv func(A) (*string, *string), key, want string) bool {
	return slices.ContainsFunc(attrs, func(a A) bool {
		k, v := kv(a)
		return aws.ToString(k) == key && aws.ToString(v) == want
	})
}
