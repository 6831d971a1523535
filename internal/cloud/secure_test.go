package cloud

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
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
		if !slices.ContainsFunc(attrs.Attributes, func(a elbtypes.LoadBalancerAttribute) bool {
			return aws.ToString(a.Key) == "routing.http.drop_invalid_header_fields.enabled" && aws.ToString(a.Value) == "true"
		}) {
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
		if !slices.ContainsFunc(tga.Attributes, func(a elbtypes.TargetGroupAttribute) bool {
			return aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" && aws.ToString(a.Value) == "30"
		}) {
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
