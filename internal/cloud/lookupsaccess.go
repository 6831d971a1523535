package cloud

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Read-only lookups of what the instances are given by name: a key pair and
// an instance profile of the user's. AWS checks neither when the launch
// template is created, only when an instance launches, so a missing one
// would fail the stack's create after its children exist.

// errCodeInvalidKeyPairNotFound is DescribeKeyPairs' answer for an unknown
// name (EC2 API reference, "Error codes"; hashicorp/aws ec2 find.go
// FindKeyPairs treats it as not found).
const errCodeInvalidKeyPairNotFound = "InvalidKeyPair.NotFound"

// KeyPairExists reports whether the EC2 key pair exists in the region.
func (c *Cloud) KeyPairExists(ctx context.Context, name string) (bool, error) {
	out, err := c.ec2.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}})
	switch {
	case isCode(err, errCodeInvalidKeyPairNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("describing key pair (%s): %w", name, err)
	}
	return len(out.KeyPairs) > 0, nil
}

// InstanceProfileExists reports whether the IAM instance profile exists
// (GetInstanceProfile: NoSuchEntity, IAM API reference; the finder the
// instance role part uses).
func (c *Cloud) InstanceProfileExists(ctx context.Context, name string) (bool, error) {
	_, err := instanceRoles{c}.findInstanceProfileByName(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
