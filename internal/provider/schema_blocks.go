package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
)

// The provider's blocks have hashicorp/aws's shape (its provider schema:
// assume_role, default_tags, ignore_tags and endpoints are blocks of at
// most one, or a set for endpoints), so a provider block copied from its
// documentation is accepted as written. Blocks and attributes cannot share a
// name in one schema, so the 0.1.0 attribute syntax (`assume_role = {...}`)
// is refused with Terraform's "Did you mean to define a block" error; the
// upgrading guide says so.

// atMostOne is the validator of every block here: the framework's list
// blocks take any number, hashicorp/aws takes one.
func atMostOne() []validator.List { return []validator.List{listvalidator.SizeAtMost(1)} }

func assumeRoleBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		MarkdownDescription: "A role to assume with STS before making any call, as hashicorp/aws's `assume_role` block. At most one.",
		Validators:          atMostOne(),
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"role_arn": schema.StringAttribute{Optional: true,
				MarkdownDescription: "ARN of the role to assume. Empty or unset, no role is assumed (so a variable can turn the block off)."},
			"session_name": schema.StringAttribute{Optional: true, MarkdownDescription: "Session name; defaults to `hawebapp`."},
			"external_id":  schema.StringAttribute{Optional: true, MarkdownDescription: "External ID the role's trust policy requires."},
			"duration": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Session length, between 15 minutes and 12 hours, as a duration such as `1h` or `45m`. Defaults to 15 minutes (the AWS SDK's); the credentials are renewed before they expire."},
			"policy": schema.StringAttribute{Optional: true,
				MarkdownDescription: "IAM policy JSON that further restricts the session's permissions."},
			"policy_arns": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "ARNs of managed policies that further restrict the session's permissions."},
			"source_identity": schema.StringAttribute{Optional: true, MarkdownDescription: "Source identity of the session."},
			"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Session tags."},
			"transitive_tag_keys": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Keys of session tags passed on to sessions this one assumes."},
		}},
	}
}

func defaultTagsBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		MarkdownDescription: "Tags on every child of every stack, under each stack's own `tags`, as hashicorp/aws's `default_tags` block. At most one.",
		Validators:          atMostOne(),
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"tags": schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: "Tag keys and values."},
		}},
	}
}

func ignoreTagsBlock() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		MarkdownDescription: "Tags another system manages, as hashicorp/aws's `ignore_tags` block. At most one. " +
			"A stack's tag whose key matches is written when the stack is created, then never compared (it is no drift) " +
			"nor written again (a child an update adds, such as a new zone's group, does not get it), and an import does not read it into `tags`.",
		Validators: atMostOne(),
		NestedObject: schema.NestedBlockObject{Attributes: map[string]schema.Attribute{
			"keys": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Tag keys to ignore, exactly."},
			"key_prefixes": schema.SetAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Prefixes of tag keys to ignore."},
		}},
	}
}

func endpointsBlock() schema.ListNestedBlock {
	attrs := map[string]schema.Attribute{}
	for _, svc := range cloud.Services {
		attrs[svc] = schema.StringAttribute{Optional: true, MarkdownDescription: "Endpoint URL for the " + svc + " API."}
	}
	return schema.ListNestedBlock{
		MarkdownDescription: "Per-service endpoint URLs, as hashicorp/aws's `endpoints` block; they win over `endpoint`. " +
			"Same as `AWS_ENDPOINT_URL_<SERVICE>`. At most one.",
		Validators:   atMostOne(),
		NestedObject: schema.NestedBlockObject{Attributes: attrs},
	}
}

// accountIDsAttribute is allowed_account_ids or forbidden_account_ids:
// twelve-digit IDs, never both (hashicorp/aws: ConflictsWith).
func accountIDsAttribute(other, what string) schema.SetAttribute {
	return schema.SetAttribute{Optional: true, ElementType: types.StringType,
		MarkdownDescription: what + ". The provider reads its account with STS GetCallerIdentity when it is configured " +
			"and refuses to go on, before any plan, in any other account. Conflicts with `" + other + "`.",
		Validators: []validator.Set{
			setvalidator.ConflictsWith(path.MatchRoot(other)),
			setvalidator.ValueStringsAre(stringvalidator.RegexMatches(accountIDPattern, "must be a 12-digit AWS account ID")),
		},
	}
}
