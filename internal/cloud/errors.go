package cloud

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// ErrNotFound is what every finder returns (wrapped) when the child does not
// exist, whatever code the service used to say so.
var ErrNotFound = errors.New("not found")

// AWS error codes the SDK has no constants for.
const (
	// EC2.
	errCodeInvalidGroupNotFound          = "InvalidGroup.NotFound"
	errCodeInvalidGroupIDMalformed       = "InvalidGroupId.Malformed"
	errCodeInvalidLaunchTemplateNotFound = "InvalidLaunchTemplateName.NotFoundException"
	errCodeInvalidLaunchTemplateID       = "InvalidLaunchTemplateId.NotFound"
	errCodeInvalidPermissionDuplicate    = "InvalidPermission.Duplicate"
	errCodeInvalidPermissionNotFound     = "InvalidPermission.NotFound"
	errCodeDependencyViolation           = "DependencyViolation"
	errCodeInvalidGroupInUse             = "InvalidGroup.InUse"
	errCodeInvalidVPCNotFound            = "InvalidVpcID.NotFound"
	errCodeInvalidParameterValue         = "InvalidParameterValue"
	errCodeInvalidImageNotFound          = "InvalidAMIID.NotFound"
	errCodeInvalidImageMalformed         = "InvalidAMIID.Malformed"

	// Elastic Load Balancing v2.
	errCodeLoadBalancerNotFound = "LoadBalancerNotFound"
	errCodeTargetGroupNotFound  = "TargetGroupNotFound"
	errCodeListenerNotFound     = "ListenerNotFound"
	errCodeELBResourceInUse     = "ResourceInUse"
	errCodeCertificateNotFound  = "CertificateNotFound"
	// errCodeInvalidConfigurationRequest: among others, an attribute the
	// load balancer's type does not support (ModifyLoadBalancerAttributes).
	errCodeInvalidConfigurationRequest = "InvalidConfigurationRequest"

	// Auto Scaling: a missing group or policy is a ValidationError whose
	// message says "not found".
	errCodeValidationError           = "ValidationError"
	errCodeResourceInUse             = "ResourceInUse"
	errCodeScalingActivityInProgress = "ScalingActivityInProgress"

	// IAM.
	errCodeNoSuchEntity   = "NoSuchEntity"
	errCodeDeleteConflict = "DeleteConflict"
	// IAM's ConcurrentModificationException carries this code.
	errCodeConcurrentModification = "ConcurrentModification"

	// RDS.
	errCodeDBInstanceNotFound = "DBInstanceNotFound"
	// Secrets Manager.
	errCodeSMResourceNotFound        = "ResourceNotFoundException"
	errCodeDBSubnetGroupNotFound     = "DBSubnetGroupNotFoundFault"
	errCodeInvalidDBInstanceState    = "InvalidDBInstanceState"
	errCodeInvalidDBSubnetGroupState = "InvalidDBSubnetGroupStateFault"
)

// errCode returns the AWS error code of err, or "".
func errCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// errMessage returns the AWS error message of err, or "".
func errMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorMessage()
	}
	return ""
}

// isCode reports whether err carries one of the codes.
func isCode(err error, codes ...string) bool {
	c := errCode(err)
	for _, code := range codes {
		if c != "" && c == code {
			return true
		}
	}
	return false
}

// isValidationNotFound reports whether err is a ValidationError saying
// "not found": Auto Scaling reports missing groups and policies this way,
// with no error code of its own.
func isValidationNotFound(err error) bool {
	return errCode(err) == errCodeValidationError && strings.Contains(errMessage(err), "not found")
}

// notFound wraps ErrNotFound with what was looked for.
func notFound(what, name string) error {
	return fmt.Errorf("%s %q: %w", what, name, ErrNotFound)
}

// asNotFound turns the service's not-found codes into ErrNotFound, so callers
// only ever test errors.Is(err, ErrNotFound).
func asNotFound(err error, what, name string, codes ...string) error {
	if isCode(err, codes...) {
		return notFound(what, name)
	}
	return err
}

// checkOwned refuses a same-named child that is not tagged as this stack's.
func checkOwned(p blueprint.Part, what, name string, tags map[string]string) error {
	want := p.Tags[blueprint.TagStack]
	if got := tags[blueprint.TagStack]; got != want {
		if got == "" {
			return fmt.Errorf("%s %q %w: it has no %s tag; rename or delete it, or import it by tagging it %s=%s",
				what, name, engine.ErrNotOwned, blueprint.TagStack, blueprint.TagStack, want)
		}
		return fmt.Errorf("%s %q %w: it belongs to stack %q", what, name, engine.ErrNotOwned, got)
	}
	return nil
}
