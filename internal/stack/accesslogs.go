package stack

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// access_logs: the load balancer's access logs, on when the attribute is
// set (the attributes access_logs.s3.enabled, .bucket and .prefix).

type accessLogsModel struct {
	Bucket types.String `tfsdk:"bucket"`
	Prefix types.String `tfsdk:"prefix"`
}

func accessLogsAttribute() schema.Attribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "Write the load balancer's access logs to an S3 bucket; omit it to keep them off (AWS's default). " +
			"Elastic Load Balancing writes a file per load balancer node every 5 minutes under `<bucket>/<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/`. " +
			"The bucket must be in the provider's region, encrypted with SSE-S3 (not KMS), and its bucket policy must let Elastic Load Balancing put objects there " +
			"(the `web-app` module's `access_logs_bucket` makes such a bucket); otherwise the apply fails with AWS's \"Access Denied for bucket\". " +
			"Removing the attribute turns the logs off; a change made outside Terraform shows as drift.",
		Attributes: map[string]schema.Attribute{
			"bucket": schema.StringAttribute{Required: true,
				MarkdownDescription: "Name of the S3 bucket (not its ARN), such as `fruit-api-lb-logs`: 3 to 63 lower-case letters, digits, dots and hyphens, as S3 names buckets.",
				Validators:          []validator.String{bucketNameValidator{}}},
			"prefix": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Key prefix of the log files, such as `lb/fruit-api`; omit it for the bucket's root. It must not contain `AWSLogs` " +
					"(Elastic Load Balancing adds that itself) nor start or end with `/`.",
				Validators: []validator.String{logPrefixValidator{}}},
		}}
}

// accessLogsSpec reads the attribute (nil: off).
func accessLogsSpec(ctx context.Context, o types.Object) *blueprint.AccessLogsSpec {
	var m *accessLogsModel
	if unpackObject(ctx, o, &m).HasError() || m == nil {
		return nil
	}
	return &blueprint.AccessLogsSpec{Bucket: m.Bucket.ValueString(), Prefix: m.Prefix.ValueString()}
}

// accessLogsObject writes what AWS reports back into the attribute.
func accessLogsObject(a *blueprint.AccessLogsSpec) types.Object {
	attrTypes := map[string]attr.Type{"bucket": types.StringType, "prefix": types.StringType}
	if a == nil {
		return types.ObjectNull(attrTypes)
	}
	return types.ObjectValueMust(attrTypes, map[string]attr.Value{"bucket": types.StringValue(a.Bucket), "prefix": optString(a.Prefix)})
}

// bucketNameValidator checks the rules for general purpose bucket names
// (Amazon S3 User Guide, "General purpose bucket naming rules"): 3 to 63
// characters; lower-case letters, digits, dots and hyphens; a letter or
// digit at each end; no two dots in a row; not an IP address; none of the
// reserved prefixes and suffixes.
type bucketNameValidator struct{}

var reBucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

var (
	bucketReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	bucketReservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

func (bucketNameValidator) Description(context.Context) string {
	return "must be an S3 bucket name"
}
func (v bucketNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (bucketNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if why := bucketNameProblem(req.ConfigValue.ValueString()); why != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid S3 bucket name",
			fmt.Sprintf("access_logs.bucket %q %s. Give the name of an S3 bucket (not its ARN or URL), such as \"fruit-api-lb-logs\".", req.ConfigValue.ValueString(), why))
	}
}

func bucketNameProblem(name string) string {
	switch {
	case strings.HasPrefix(name, "arn:") || strings.Contains(name, "://"):
		return "is an ARN or URL, not a bucket name"
	case !reBucketName.MatchString(name):
		return "is not 3 to 63 lower-case letters, digits, dots and hyphens starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		return "has two dots in a row, which S3 refuses"
	case net.ParseIP(name) != nil:
		return "is formatted as an IP address, which S3 refuses"
	}
	for _, p := range bucketReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return "starts with " + p + ", a prefix S3 reserves"
		}
	}
	for _, s := range bucketReservedSuffixes {
		if strings.HasSuffix(name, s) {
			return "ends with " + s + ", a suffix S3 reserves"
		}
	}
	return ""
}

// logPrefixValidator checks the prefix: "The prefix that you specify must
// not include the string AWSLogs" (Elastic Load Balancing User Guide,
// "Access logs for your Application Load Balancer", Access log files), and
// no slash at either end, which would leave an empty segment in every
// key: ELB joins bucket, prefix and AWSLogs with slashes itself.
type logPrefixValidator struct{}

func (logPrefixValidator) Description(context.Context) string {
	return "must not contain AWSLogs nor start or end with /"
}
func (v logPrefixValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (logPrefixValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueString()
	switch {
	case strings.Contains(v, "AWSLogs"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid access logs prefix",
			fmt.Sprintf("access_logs.prefix %q contains AWSLogs, which Elastic Load Balancing refuses: it adds AWSLogs/<account>/ after the prefix itself. Remove AWSLogs from the prefix.", v))
	case v == "" || strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/"):
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid access logs prefix",
			fmt.Sprintf("access_logs.prefix %q is empty or starts or ends with /: Elastic Load Balancing puts the slashes around the prefix itself. "+
				"Write it without them, such as \"lb/fruit-api\", or omit prefix for the bucket's root.", v))
	}
}
