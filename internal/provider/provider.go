// Package provider is the hawebapp Terraform provider: its configuration
// schema, the AWS configuration it builds, and the resources it registers.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/cloud"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/stack"
)

var _ provider.Provider = (*hawebappProvider)(nil)

// New returns a constructor of the provider at the given release version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &hawebappProvider{version: version} }
}

type hawebappProvider struct {
	version string
}

type providerModel struct {
	Region                 types.String `tfsdk:"region"`
	Profile                types.String `tfsdk:"profile"`
	SharedConfigFiles      types.List   `tfsdk:"shared_config_files"`
	SharedCredentialsFiles types.List   `tfsdk:"shared_credentials_files"`
	AssumeRole             types.List   `tfsdk:"assume_role"`
	Endpoint               types.String `tfsdk:"endpoint"`
	Endpoints              types.List   `tfsdk:"endpoints"`
	MaxRetries             types.Int64  `tfsdk:"max_retries"`
	RetryMode              types.String `tfsdk:"retry_mode"`
	DefaultTags            types.List   `tfsdk:"default_tags"`
	IgnoreTags             types.List   `tfsdk:"ignore_tags"`
	AllowedAccountIDs      types.Set    `tfsdk:"allowed_account_ids"`
	ForbiddenAccountIDs    types.Set    `tfsdk:"forbidden_account_ids"`
}

func (p *hawebappProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "hawebapp"
	resp.Version = p.version
}

func (p *hawebappProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The hawebapp provider builds highly-available, autoscaling web applications on AWS. " +
			"Credentials, region and endpoints follow the AWS SDK's standard configuration (environment variables such as " +
			"`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, shared config and credentials files, " +
			"instance and container roles); the arguments below override it.",
		Attributes: map[string]schema.Attribute{
			"region":  schema.StringAttribute{Optional: true, MarkdownDescription: "AWS region, for example `us-east-1`. Defaults to `AWS_REGION` or the profile's region."},
			"profile": schema.StringAttribute{Optional: true, MarkdownDescription: "Named profile of the shared config and credentials files. Defaults to `AWS_PROFILE`."},
			"shared_config_files": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Paths of shared config files. Defaults to `~/.aws/config`."},
			"shared_credentials_files": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Paths of shared credentials files. Defaults to `~/.aws/credentials`."},
			"endpoint": schema.StringAttribute{Optional: true,
				MarkdownDescription: "One endpoint URL for every AWS API (for example a proxy or emulator). Same as `AWS_ENDPOINT_URL`."},
			"max_retries": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "Maximum attempts per AWS call, throttling included. Defaults to 25: a large stack makes many calls at once."},
			"retry_mode": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.OneOf("standard", "adaptive")},
				MarkdownDescription: "`standard` (default: exponential backoff with jitter) or `adaptive` (also rate-limits the client under throttling)."},
			"allowed_account_ids":   accountIDsAttribute("forbidden_account_ids", "The only AWS account IDs the provider may work in"),
			"forbidden_account_ids": accountIDsAttribute("allowed_account_ids", "AWS account IDs the provider must never work in"),
		},
		Blocks: map[string]schema.Block{
			"assume_role":  assumeRoleBlock(),
			"default_tags": defaultTagsBlock(),
			"ignore_tags":  ignoreTagsBlock(),
			"endpoints":    endpointsBlock(),
		},
	}
}

func (p *hawebappProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings, diags := settingsFrom(ctx, m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, err := loadAWSConfig(ctx, settings, p.version)
	if err != nil {
		resp.Diagnostics.AddError("Invalid AWS configuration",
			"The provider could not build its AWS configuration. Check the region, profile, shared files and assume_role settings.\n\nOriginal Error: "+err.Error())
		return
	}
	c := cloud.New(cfg, settings.endpoints)
	look := lookup{c: c, account: &accountCache{}}
	resp.Diagnostics.Append(checkAccount(ctx, look, settings)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &stack.Client{Cloud: c, Lookup: look, DefaultTags: settings.defaultTags, IgnoreTags: settings.ignoreTags}
	resp.ResourceData = data
	resp.DataSourceData = data
}

func (p *hawebappProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{stack.NewResource}
}

func (p *hawebappProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{stack.NewDataSource}
}
