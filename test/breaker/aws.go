package breaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// AWS breaks a stack on real AWS.
//   - An instance: TerminateInstances through EC2 (not Auto Scaling), so the
//     load balancer gets no warning and its health checks must find out.
//   - A zone: a new network ACL, which denies all traffic in and out until
//     rules are added ("Custom network ACLs", Amazon VPC user guide),
//     replaces the zone's application subnets' ACL association
//     (ReplaceNetworkAclAssociation). ACLs are stateless and filter every
//     packet, so established connections hang as in a power loss; ZoneUp
//     puts the previous ACL back and deletes the new one.
//   - The database: RebootDBInstance with ForceFailover, RDS's documented
//     way to fail a Multi-AZ instance over to its standby ("Failing over a
//     Multi-AZ DB instance", RDS user guide).
type AWS struct {
	cfg        aws.Config
	vpcID      string
	appSubnets map[string][]string // zone -> the stack's application subnets there

	mu    sync.Mutex
	downs map[string]zoneCut
}

// zoneCut is what ZoneUp undoes: per subnet, the association to restore.
type zoneCut struct {
	acl          string
	associations map[string]string // new association ID -> previous ACL ID
}

// NewAWS breaks the stack in vpcID whose application subnets per zone are
// appSubnets, with cfg's credentials.
func NewAWS(cfg aws.Config, vpcID string, appSubnets map[string][]string) *AWS {
	return &AWS{cfg: cfg, vpcID: vpcID, appSubnets: appSubnets}
}

func (b *AWS) KillInstance(ctx context.Context, id string) error {
	_, err := ec2.NewFromConfig(b.cfg).TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return fmt.Errorf("terminating instance %s: %w", id, err)
	}
	return nil
}

func (b *AWS) ZoneDown(ctx context.Context, zone string) error {
	c := ec2.NewFromConfig(b.cfg)
	subnets := b.appSubnets[zone]
	if len(subnets) == 0 {
		return fmt.Errorf("zone %s: the stack has no application subnet there", zone)
	}
	acl, err := c.CreateNetworkAcl(ctx, &ec2.CreateNetworkAclInput{VpcId: aws.String(b.vpcID)})
	if err != nil {
		return fmt.Errorf("zone %s: creating a deny-all network ACL: %w", zone, err)
	}
	cut := zoneCut{acl: aws.ToString(acl.NetworkAcl.NetworkAclId), associations: map[string]string{}}
	b.mu.Lock()
	if b.downs == nil {
		b.downs = map[string]zoneCut{}
	}
	b.downs[zone] = cut // recorded at once: ZoneUp undoes a half-done cut too
	b.mu.Unlock()
	current, err := c.DescribeNetworkAcls(ctx, &ec2.DescribeNetworkAclsInput{
		Filters: []ec2types.Filter{{Name: aws.String("association.subnet-id"), Values: subnets}}})
	if err != nil {
		return fmt.Errorf("zone %s: describing the subnets' network ACLs: %w", zone, err)
	}
	for _, a := range current.NetworkAcls {
		for _, as := range a.Associations {
			if !slices.Contains(subnets, aws.ToString(as.SubnetId)) {
				continue
			}
			var out *ec2.ReplaceNetworkAclAssociationOutput
			var err error
			// Two minutes at most: the suite is waiting with its load running.
			if waitErr := env.UntilE(ctx, "EC2 to know the deny-all ACL and the association", 2*time.Minute, func() (bool, string) {
				out, err = c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
					AssociationId: as.NetworkAclAssociationId, NetworkAclId: aws.String(cut.acl)})
				return !notKnownYet(err), env.ErrState(err)
			}); waitErr != nil && notKnownYet(err) {
				err = errors.Join(err, waitErr)
			}
			if err != nil {
				return fmt.Errorf("zone %s: associating subnet %s with the deny-all ACL: %w", zone, aws.ToString(as.SubnetId), err)
			}
			b.mu.Lock()
			cut.associations[aws.ToString(out.NewAssociationId)] = aws.ToString(a.NetworkAclId)
			b.mu.Unlock()
		}
	}
	return nil
}

func (b *AWS) ZoneUp(ctx context.Context, zone string) error {
	b.mu.Lock()
	cut, ok := b.downs[zone]
	delete(b.downs, zone)
	b.mu.Unlock()
	if !ok {
		return nil
	}
	c := ec2.NewFromConfig(b.cfg)
	for assoc, prev := range cut.associations {
		if _, err := c.ReplaceNetworkAclAssociation(ctx, &ec2.ReplaceNetworkAclAssociationInput{
			AssociationId: aws.String(assoc), NetworkAclId: aws.String(prev)}); err != nil {
			return fmt.Errorf("zone %s: restoring network ACL %s: %w", zone, prev, err)
		}
	}
	if _, err := c.DeleteNetworkAcl(ctx, &ec2.DeleteNetworkAclInput{NetworkAclId: aws.String(cut.acl)}); err != nil {
		return fmt.Errorf("zone %s: deleting the deny-all network ACL %s: %w", zone, cut.acl, err)
	}
	return nil
}

func (b *AWS) FailoverDB(ctx context.Context, id string) error {
	_, err := rds.NewFromConfig(b.cfg).RebootDBInstance(ctx, &rds.RebootDBInstanceInput{
		DBInstanceIdentifier: aws.String(id), ForceFailover: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("failing over database %s: %w", id, err)
	}
	return nil
}

// notKnownYet tells whether err says EC2 does not know yet the network ACL
// just created or the association just described: EC2 is eventually
// consistent after a create ("Eventual consistency in the Amazon EC2 API",
// EC2 API reference), and hashicorp/aws retries
// ReplaceNetworkAclAssociation on InvalidAssociationID.NotFound for its
// 5-minute EC2 propagation timeout
// (internal/service/ec2/vpc_network_acl_association.go,
// networkACLAssociationCreate).
func notKnownYet(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) &&
		(ae.ErrorCode() == "InvalidNetworkAclID.NotFound" || ae.ErrorCode() == "InvalidAssociationID.NotFound")
}
