package env_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// A CreateSubnet whose answer is lost after the emulator made the subnet
// is sent again by the SDK and meets its own subnet (InvalidSubnet.Conflict,
// as a busy moto's 5xx once caused in make test); the network still comes
// out whole, with that subnet and no second one.
func TestNetworkOutlastsALostCreateSubnetAnswer(t *testing.T) {
	s := motoserver.StartT(t)
	rec, err := recorder.Start(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	var lost atomic.Int32
	rec.Before = func(c recorder.Call, w http.ResponseWriter, r *http.Request) bool {
		// The first CreateSubnet: made, and its answer lost.
		if c.Action != "CreateSubnet" || !lost.CompareAndSwap(0, 1) {
			return false
		}
		f := recorder.Faults{Rate: 1, Kinds: []recorder.Kind{recorder.LostAnswer}, Forward: rec.Forward}
		return f.Before(c, w, r)
	}
	cfg := env.AWSConfig(rec.URL)
	n := env.Network(t, cfg, "us-east-1a", "us-east-1b")
	if lost.Load() != 1 {
		t.Fatal("no CreateSubnet answer was lost: the test no longer tests anything")
	}
	if calls := rec.Counts()["ec2:CreateSubnet"]; calls < 3 {
		t.Errorf("%d CreateSubnet calls, want the lost one sent again (3 or more)", calls)
	}
	out, err := ec2.NewFromConfig(env.AWSConfig(s.URL)).DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{
		Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{n.VPCID}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Subnets) != 2 || len(n.App) != 2 {
		t.Fatalf("the VPC has %d subnets and the network names %v, want the 2 asked for", len(out.Subnets), n.App)
	}
	for i, sn := range n.App {
		found := false
		for _, o := range out.Subnets {
			found = found || (aws.ToString(o.SubnetId) == sn && aws.ToString(o.AvailabilityZone) == n.Zones[i])
		}
		if !found {
			t.Errorf("subnet %s (%s) is not in the VPC", sn, n.Zones[i])
		}
	}
}
