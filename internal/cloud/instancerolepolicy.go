package cloud

import (
	"cmp"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The role policy is an inline policy of the instance role, letting the
// instances describe exactly the stack's database and read exactly its
// managed secret. Inline policies have
// no tags: ownership is the role's. The observation's ID is the role name and
// its Name the policy name.
type rolePolicies struct{ *Cloud }

// findRolePolicy returns the policy's (URL-encoded) document.
func (c rolePolicies) findRolePolicy(ctx context.Context, role, name string) (string, error) {
	out, err := c.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("reading policy %s of IAM role (%s): %w", name, role, asNotFound(err, "IAM role policy", name, errCodeNoSuchEntity))
	}
	return aws.ToString(out.PolicyDocument), nil
}

func (c rolePolicies) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	return c.update(ctx, p, engine.Observation{}, refs)
}

// update writes the policy: PutRolePolicy creates or replaces, so it is
// idempotent without looking first. The write is not retried:
// hashicorp/aws iam role_policy.go resourceRolePolicyPut retries no error of
// PutRolePolicy (only its read-back of a new policy, which this code does
// not do).
func (c rolePolicies) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.InstanceRolePolicyProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	role, err := ref(refs, props.RoleKey)
	if err != nil {
		return engine.Observation{}, err
	}
	db, err := ref(refs, props.DBKey)
	if err != nil {
		return engine.Observation{}, err
	}
	secret := db.Attrs["secret_arn"]
	if secret == "" || db.ARN == "" {
		return engine.Observation{}, fmt.Errorf("writing policy %s: database %s has no managed master secret or no ARN", props.PolicyName, db.Name)
	}
	doc := databasePolicy(secret, db.ARN)
	_, err = c.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
		RoleName: aws.String(role.Name), PolicyName: aws.String(props.PolicyName), PolicyDocument: aws.String(doc),
	})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("writing policy %s of IAM role (%s): %w", props.PolicyName, role.Name, err)
	}
	o := newObservation(p, props.PolicyName, role.Name, "", nil)
	o.Props = rolePolicyProps(role.Name, props.PolicyName, doc, refs)
	return o, nil
}

func (c rolePolicies) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	role, name := cur.ID, cmp.Or(cur.Name, p.Name)
	if props, ok := p.Props.(blueprint.InstanceRolePolicyProps); ok {
		name = props.PolicyName
	}
	if role == "" {
		return nil // never written
	}
	_, err := c.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if err != nil && !isCode(err, errCodeNoSuchEntity) {
		return fmt.Errorf("deleting policy %s of IAM role (%s): %w", name, role, err)
	}
	return nil
}

// rolePolicyObservation compares the found document with the one the
// database's secret calls for.
func rolePolicyObservation(p blueprint.Part, role, doc string, refs engine.Refs) engine.Observation {
	props, _ := p.Props.(blueprint.InstanceRolePolicyProps)
	o := newObservation(p, props.PolicyName, role, "", nil)
	db := refs[props.DBKey]
	secret := db.Attrs["secret_arn"]
	switch {
	case secret == "" || db.ARN == "":
		o.Drift = append(o.Drift, "database secret not known yet")
	case !samePolicy(doc, databasePolicy(secret, db.ARN)):
		o.Drift = append(o.Drift, "policy differs, want read access to "+secret+" and describe access to "+db.ARN+" only")
	}
	o.Props = rolePolicyProps(role, props.PolicyName, doc, refs)
	return o
}

// rolePolicyProps names the role by its key, and the database by its key
// when the document grants exactly that database and its secret.
func rolePolicyProps(role, name, doc string, refs engine.Refs) blueprint.InstanceRolePolicyProps {
	return blueprint.InstanceRolePolicyProps{
		RoleKey: refKeyByName(refs, blueprint.KindInstanceRole, role),
		DBKey: refKey(refs, blueprint.KindDBInstance, func(o engine.Observation) bool {
			secret := o.Attrs["secret_arn"]
			return secret != "" && o.ARN != "" && samePolicy(doc, databasePolicy(secret, o.ARN))
		}),
		PolicyName: name,
	}
}
