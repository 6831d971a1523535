package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The instance role and its instance profile share the part's name. The
// profile is what Observe reads (one GetInstanceProfile returns the role too),
// so both carry the part's tags.
type instanceRoles struct{ *Cloud }

func (c instanceRoles) findRoleByName(ctx context.Context, name string) (*iamtypes.Role, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("reading IAM role (%s): %w", name, asNotFound(err, "IAM role", name, errCodeNoSuchEntity))
	}
	return out.Role, nil
}

func (c instanceRoles) findInstanceProfileByName(ctx context.Context, name string) (*iamtypes.InstanceProfile, error) {
	out, err := c.iam.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("reading instance profile (%s): %w", name, asNotFound(err, "instance profile", name, errCodeNoSuchEntity))
	}
	return out.InstanceProfile, nil
}

func (c instanceRoles) findAttachedPolicyARNs(ctx context.Context, role string) ([]string, error) {
	var arns []string
	pages := iam.NewListAttachedRolePoliciesPaginator(c.iam, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing policies of IAM role (%s): %w", role, asNotFound(err, "IAM role", role, errCodeNoSuchEntity))
		}
		for _, p := range page.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
	}
	return arns, nil
}

func (c instanceRoles) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	role, err := c.findRoleByName(ctx, p.Name)
	switch {
	case err == nil:
		if err := checkOwned(p, "IAM role", p.Name, fromIAMTags(role.Tags)); err != nil {
			return engine.Observation{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	if prof, err := c.findInstanceProfileByName(ctx, p.Name); err == nil {
		if err := checkOwned(p, "instance profile", p.Name, fromIAMTags(prof.Tags)); err != nil {
			return engine.Observation{}, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return engine.Observation{}, err
	}
	return c.update(ctx, p, engine.Observation{}, refs)
}

// update ensures every piece exists and matches: the role, its trust
// policy, its managed policies, the instance profile and the role in it.
// It creates what is missing, so a half-made role is completed.
func (c instanceRoles) update(ctx context.Context, p blueprint.Part, _ engine.Observation, _ engine.Refs) (engine.Observation, error) {
	o, created, err := c.ensure(ctx, p)
	if err != nil && created != nil {
		// The role was made just now: it is ours, whatever failed after.
		return createdObservation(p, p.Name, p.Name, aws.ToString(created.Arn)), err
	}
	return o, err
}

// ensure does update's work. created is the role when this call made it.
func (c instanceRoles) ensure(ctx context.Context, p blueprint.Part) (_ engine.Observation, created *iamtypes.Role, _ error) {
	props, err := props[blueprint.InstanceRoleProps](p)
	if err != nil {
		return engine.Observation{}, nil, err
	}
	trust := assumeRolePolicy(props.AssumeService)
	role, err := c.findRoleByName(ctx, p.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		var out *iam.CreateRoleOutput
		err := c.whileConcurrentModification(ctx, "IAM to accept creating role "+p.Name, func(ctx context.Context) (err error) {
			out, err = createCall(ctx, c.iam.CreateRole, &iam.CreateRoleInput{
				RoleName: aws.String(p.Name), AssumeRolePolicyDocument: aws.String(trust),
				Description: aws.String("hawebapp " + p.Tags[blueprint.TagStack] + ": instances"), Tags: iamTags(p.Tags),
			})
			return err
		})
		if err != nil {
			return engine.Observation{}, nil, fmt.Errorf("creating IAM role (%s): %w", p.Name, err)
		}
		role, created = out.Role, out.Role
	case err != nil:
		return engine.Observation{}, nil, err
	default:
		if !samePolicy(aws.ToString(role.AssumeRolePolicyDocument), trust) {
			if _, err := c.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(p.Name), PolicyDocument: aws.String(trust)}); err != nil {
				return engine.Observation{}, nil, fmt.Errorf("updating trust policy of IAM role (%s): %w", p.Name, err)
			}
		}
		if missing := missingTags(p.Tags, fromIAMTags(role.Tags)); len(missing) > 0 {
			if _, err := c.iam.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(p.Name), Tags: iamTags(missing)}); err != nil {
				return engine.Observation{}, nil, fmt.Errorf("tagging IAM role (%s): %w", p.Name, err)
			}
		}
	}
	if err := c.syncManagedPolicies(ctx, p.Name, props.ManagedPolicyARNs); err != nil {
		return engine.Observation{}, created, err
	}
	prof, err := c.ensureInstanceProfile(ctx, p)
	if err != nil {
		return engine.Observation{}, created, err
	}
	o := newObservation(p, aws.ToString(role.RoleName), aws.ToString(role.RoleName), aws.ToString(role.Arn), p.Tags)
	o.Attrs["profile_name"] = aws.ToString(prof.InstanceProfileName)
	o.Attrs["profile_arn"] = aws.ToString(prof.Arn)
	// The trust policy and the attached policies are now the desired ones.
	o.Props = blueprint.InstanceRoleProps{AssumeService: props.AssumeService, ManagedPolicyARNs: sortedOrNil(props.ManagedPolicyARNs)}
	return o, created, nil
}

func (c instanceRoles) syncManagedPolicies(ctx context.Context, role string, want []string) error {
	have, err := c.findAttachedPolicyARNs(ctx, role)
	if err != nil {
		return err
	}
	for _, arn := range want {
		if !slices.Contains(have, arn) {
			err := c.whileConcurrentModification(ctx, "IAM to accept "+arn+" on role "+role, func(ctx context.Context) error {
				_, err := c.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)})
				return err
			})
			if err != nil {
				return fmt.Errorf("attaching policy %s to IAM role (%s): %w", arn, role, err)
			}
		}
	}
	for _, arn := range have {
		if !slices.Contains(want, arn) {
			err := c.whileConcurrentModification(ctx, "IAM to accept removing "+arn+" from role "+role, func(ctx context.Context) error {
				_, err := c.iam.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role), PolicyArn: aws.String(arn)})
				return err
			})
			if err != nil && !isCode(err, errCodeNoSuchEntity) {
				return fmt.Errorf("detaching policy %s from IAM role (%s): %w", arn, role, err)
			}
		}
	}
	return nil
}

// whileConcurrentModification retries a role change that IAM refuses with
// ConcurrentModification, which it answers when changes to one role overlap.
// hashicorp/aws retries exactly this code, for its 2-minute
// propagationTimeout (iamPropagationTimeout is the same bound), on
// CreateRole (iam role.go retryCreateRole) and on AttachRolePolicy and
// DetachRolePolicy (iam role_policy_attachment.go attachPolicyToRole and
// detachPolicyFromRole; issue hashicorp/terraform-provider-aws#34371).
// NoSuchEntity is not retried: none of these calls is retried on it there.
func (c instanceRoles) whileConcurrentModification(ctx context.Context, what string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, iamPropagationTimeout)
	defer cancel()
	return retryWhile(ctx, what, func(err error) bool { return isCode(err, errCodeConcurrentModification) }, fn)
}

// ensureInstanceProfile makes the profile hold exactly the part's role.
func (c instanceRoles) ensureInstanceProfile(ctx context.Context, p blueprint.Part) (*iamtypes.InstanceProfile, error) {
	prof, err := c.findInstanceProfileByName(ctx, p.Name)
	switch {
	case errors.Is(err, ErrNotFound):
		out, err := createCall(ctx, c.iam.CreateInstanceProfile, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(p.Name), Tags: iamTags(p.Tags)})
		if err != nil {
			return nil, fmt.Errorf("creating instance profile (%s): %w", p.Name, err)
		}
		prof = out.InstanceProfile
	case err != nil:
		return nil, err
	default:
		if missing := missingTags(p.Tags, fromIAMTags(prof.Tags)); len(missing) > 0 {
			if _, err := c.iam.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String(p.Name), Tags: iamTags(missing)}); err != nil {
				return nil, fmt.Errorf("tagging instance profile (%s): %w", p.Name, err)
			}
		}
	}
	hasRole := false
	for _, r := range prof.Roles {
		if aws.ToString(r.RoleName) == p.Name {
			hasRole = true
			continue
		}
		// A profile holds at most one role: make room for ours.
		if _, err := c.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(p.Name), RoleName: r.RoleName}); err != nil {
			return nil, fmt.Errorf("removing role %s from instance profile (%s): %w", aws.ToString(r.RoleName), p.Name, err)
		}
	}
	if !hasRole {
		if err := c.addRoleToInstanceProfile(ctx, p.Name, p.Name); err != nil {
			return nil, fmt.Errorf("adding role to instance profile (%s): %w", p.Name, err)
		}
	}
	return prof, nil
}

// addRoleToInstanceProfile retries while IAM does not know the role or the
// profile yet: IAM is eventually consistent, and a role or profile made a
// moment ago may be answered NoSuchEntity (IAM User Guide, "Changes that I
// make are not always immediately visible"; hashicorp/aws iam
// instance_profile.go instanceProfileAddRole retries the same answer for its
// 2-minute propagationTimeout). Both were created or found just before this
// call, so NoSuchEntity here can only be that delay; it is bounded by
// iamPropagationTimeout.
func (c instanceRoles) addRoleToInstanceProfile(ctx context.Context, profile, role string) error {
	ctx, cancel := context.WithTimeout(ctx, iamPropagationTimeout)
	defer cancel()
	return retryWhile(ctx, "IAM to know role "+role+" and instance profile "+profile,
		func(err error) bool { return isCode(err, errCodeNoSuchEntity) },
		func(ctx context.Context) error {
			_, err := c.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(role)})
			return err
		})
}

// delete takes the role apart in the order IAM requires: out of the
// profile, profile deleted, policies detached and deleted, then the role.
func (c instanceRoles) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	name := cmp.Or(cur.Name, p.Name)
	if prof, err := c.findInstanceProfileByName(ctx, name); err == nil {
		for _, r := range prof.Roles {
			if _, err := c.iam.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: r.RoleName}); err != nil && !isCode(err, errCodeNoSuchEntity) {
				return fmt.Errorf("removing role from instance profile (%s): %w", name, err)
			}
		}
		if _, err := c.iam.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil && !isCode(err, errCodeNoSuchEntity) {
			return fmt.Errorf("deleting instance profile (%s): %w", name, err)
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err := c.findRoleByName(ctx, name); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if err := c.syncManagedPolicies(ctx, name, nil); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	var inline []string
	pages := iam.NewListRolePoliciesPaginator(c.iam, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing inline policies of IAM role (%s): %w", name, err)
		}
		inline = append(inline, page.PolicyNames...)
	}
	for _, pol := range inline {
		if _, err := c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(pol)}); err != nil && !isCode(err, errCodeNoSuchEntity) {
			return fmt.Errorf("deleting policy %s of IAM role (%s): %w", pol, name, err)
		}
	}
	// IAM is eventually consistent: a just-detached policy can still
	// conflict for a moment.
	ctx, cancel := context.WithTimeout(ctx, iamPropagationTimeout)
	defer cancel()
	err := retryWhile(ctx, "IAM role "+name+" to be deletable", func(err error) bool { return isCode(err, errCodeDeleteConflict) }, func(ctx context.Context) error {
		_, err := c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		if isCode(err, errCodeNoSuchEntity) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting IAM role (%s): %w", name, err)
	}
	return nil
}

// iamPropagationTimeout bounds waits for IAM's eventual consistency
// (AWS documents "a few seconds"; minutes are seen under load).
const iamPropagationTimeout = 2 * time.Minute

// instanceRoleObservation reads the role from its profile, as Observe gets it.
func instanceRoleObservation(p blueprint.Part, prof *iamtypes.InstanceProfile, attached []string) engine.Observation {
	tags := fromIAMTags(prof.Tags)
	o := newObservation(p, p.Name, p.Name, "", tags)
	o.Attrs["profile_name"] = aws.ToString(prof.InstanceProfileName)
	o.Attrs["profile_arn"] = aws.ToString(prof.Arn)
	var role *iamtypes.Role
	for i := range prof.Roles {
		if aws.ToString(prof.Roles[i].RoleName) == p.Name {
			role = &prof.Roles[i]
		}
	}
	found := blueprint.InstanceRoleProps{ManagedPolicyARNs: sortedOrNil(attached)}
	o.Props = found
	if role == nil {
		o.Drift = append(o.Drift, "role not in instance profile")
		return o
	}
	o.ARN = aws.ToString(role.Arn)
	found.AssumeService = assumeService(aws.ToString(role.AssumeRolePolicyDocument))
	o.Props = found
	if props, ok := p.Props.(blueprint.InstanceRoleProps); ok {
		if !samePolicy(aws.ToString(role.AssumeRolePolicyDocument), assumeRolePolicy(props.AssumeService)) {
			o.Drift = append(o.Drift, "trust policy differs, want only "+props.AssumeService)
		}
		for _, arn := range props.ManagedPolicyARNs {
			if !slices.Contains(attached, arn) {
				o.Drift = append(o.Drift, "policy "+arn+" not attached")
			}
		}
		for _, arn := range attached {
			if !slices.Contains(props.ManagedPolicyARNs, arn) {
				o.Drift = append(o.Drift, "unexpected policy "+arn+" attached")
			}
		}
	}
	o.Drift = append(o.Drift, tagDrift(p.Tags, tags)...)
	return o
}
