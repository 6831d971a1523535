package cloud

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerAccount is the AWS account of the credentials the provider uses
// (after assume_role), from STS GetCallerIdentity. The call needs no
// permission: AWS answers it even when an IAM policy denies it
// (STS API reference, GetCallerIdentity). hashicorp/aws makes the same call
// at configure time to learn its account ID.
func (c *Cloud) CallerAccount(ctx context.Context) (string, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("reading the caller's AWS account (STS GetCallerIdentity): %w", err)
	}
	if aws.ToString(out.Account) == "" {
		return "", fmt.Errorf("STS GetCallerIdentity answered no account")
	}
	return aws.ToString(out.Account), nil
}
