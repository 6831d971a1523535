package breaker

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
)

// The real-AWS zone outage, against moto (never a real VPC): ZoneDown moves exactly the
// zone's application subnets to a new network ACL that allows nothing;
// ZoneUp puts their previous ACL back and deletes the new one.
func TestAWSBreakerZone(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	ctx := t.Context()
	moto := motoserver.StartT(t)
	cfg := env.AWSConfig(moto.URL)
	c := ec2.NewFromConfig(cfg)
	net := env.Network(t, cfg, "us-east-1a", "us-east-1a", "us-east-1b")
	vpcID := net.VPCID
	subnets := map[string][]string{}
	for i, zone := range net.Zones {
		subnets[zone] = append(subnets[zone], net.App[i])
	}
	aclOf := func() map[string]string {
		out, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, a := range out.NetworkAcls {
			for _, as := range a.Associations {
				m[aws.ToString(as.SubnetId)] = aws.ToString(a.NetworkAclId)
			}
		}
		return m
	}
	before := aclOf()
	b := NewAWS(cfg, vpcID, map[string][]string{"us-east-1a": subnets["us-east-1a"]})

	if err := b.ZoneDown(ctx, "us-east-1a"); err != nil {
		t.Fatal(err)
	}
	down := aclOf()
	cut := down[subnets["us-east-1a"][0]]
	for _, id := range subnets["us-east-1a"] {
		if down[id] == before[id] || down[id] != cut {
			t.Errorf("zone down: subnet %s on ACL %s (before %s), want the one new ACL", id, down[id], before[id])
		}
	}
	if id := subnets["us-east-1b"][0]; down[id] != before[id] {
		t.Errorf("zone down: subnet %s of another zone moved from ACL %s to %s", id, before[id], down[id])
	}
	acl, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{cut}})
	if err != nil || len(acl.NetworkAcls) != 1 {
		t.Fatalf("describing the new ACL %s: %v", cut, err)
	}
	for _, e := range acl.NetworkAcls[0].Entries {
		if e.RuleAction == ec2types.RuleActionAllow {
			t.Errorf("the zone's new ACL %s allows traffic: %+v", cut, e)
		}
	}

	if err := b.ZoneUp(ctx, "us-east-1a"); err != nil {
		t.Fatal(err)
	}
	up := aclOf()
	for id, prev := range before {
		if up[id] != prev {
			t.Errorf("zone up: subnet %s on ACL %s, want its previous %s back", id, up[id], prev)
		}
	}
	if _, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{NetworkAclIds: []string{cut}}); err == nil {
		t.Errorf("the zone's ACL %s is left after ZoneUp", cut)
	}
}
