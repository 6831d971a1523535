package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/stack"
)

// defaultMaxAttempts is generous: a stack issues bursts of calls, and a
// throttled call retried is far cheaper than a failed apply.
const defaultMaxAttempts = 25

// defaultMaxBackoff caps the delay between two attempts of one call. The
// SDK's own cap (20 s) retries a throttled API too eagerly; AWS SDK for Go
// v1's retryer waited up to 300 s, and hashicorp/aws-sdk-go-base keeps that
// value for hashicorp/aws (aws_config.go, resolveRetryer: MaxBackoff = 300 s).
const defaultMaxBackoff = 300 * time.Second

// settings is the provider configuration in plain Go values.
type settings struct {
	region, profile        string
	configFiles, credFiles []string
	role                   assumeRole
	endpoint               string
	endpoints              map[string]string
	maxAttempts            int
	maxBackoff             time.Duration
	retryMode              aws.RetryMode
	defaultTags            map[string]string
	ignoreTags             stack.IgnoreTags
	// allowedAccounts and forbiddenAccounts guard the caller's account
	// (account.go); at most one is set.
	allowedAccounts, forbiddenAccounts []string
}

// assumeRole is the assume_role block in plain Go values; arn is empty
// when no role is to be assumed.
type assumeRole struct {
	arn, sessionName, externalID, policy, sourceIdentity string
	duration                                             time.Duration
	policyARNs, transitiveTagKeys                        []string
	tags                                                 map[string]string
}

func settingsFrom(ctx context.Context, m providerModel) (settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := settings{region: m.Region.ValueString(), profile: m.Profile.ValueString(), endpoint: m.Endpoint.ValueString(),
		maxAttempts: defaultMaxAttempts, maxBackoff: defaultMaxBackoff, retryMode: aws.RetryModeStandard}
	diags.Append(m.SharedConfigFiles.ElementsAs(ctx, &s.configFiles, false)...)
	diags.Append(m.SharedCredentialsFiles.ElementsAs(ctx, &s.credFiles, false)...)
	if !m.MaxRetries.IsNull() {
		if m.MaxRetries.ValueInt64() < 1 {
			diags.AddAttributeError(path.Root("max_retries"), "Invalid max_retries", "max_retries must be at least 1.")
		}
		s.maxAttempts = int(m.MaxRetries.ValueInt64())
	}
	if m.RetryMode.ValueString() == "adaptive" {
		s.retryMode = aws.RetryModeAdaptive
	}
	diags.Append(assumeRoleFrom(ctx, m.AssumeRole, &s.role)...)
	var ep []map[string]types.String
	diags.Append(m.Endpoints.ElementsAs(ctx, &ep, false)...)
	if len(ep) > 0 {
		s.endpoints = map[string]string{}
		for k, v := range ep[0] {
			if v.ValueString() != "" {
				s.endpoints[k] = v.ValueString()
			}
		}
	}
	var dt []struct {
		Tags types.Map `tfsdk:"tags"`
	}
	diags.Append(m.DefaultTags.ElementsAs(ctx, &dt, false)...)
	if len(dt) > 0 {
		diags.Append(dt[0].Tags.ElementsAs(ctx, &s.defaultTags, false)...)
	}
	var it []struct {
		Keys        types.Set `tfsdk:"keys"`
		KeyPrefixes types.Set `tfsdk:"key_prefixes"`
	}
	diags.Append(m.IgnoreTags.ElementsAs(ctx, &it, false)...)
	if len(it) > 0 {
		diags.Append(it[0].Keys.ElementsAs(ctx, &s.ignoreTags.Keys, false)...)
		diags.Append(it[0].KeyPrefixes.ElementsAs(ctx, &s.ignoreTags.KeyPrefixes, false)...)
	}
	diags.Append(m.AllowedAccountIDs.ElementsAs(ctx, &s.allowedAccounts, false)...)
	diags.Append(m.ForbiddenAccountIDs.ElementsAs(ctx, &s.forbiddenAccounts, false)...)
	return s, diags
}

// newRetryer is the retryer of every client: the SDK's standard (or, when
// asked, adaptive) mode with s's attempts and maximum backoff, and without
// the client-side retry quota. That quota (500 tokens, 5 a retry) is shared
// by all of a client's calls, so under sustained throttling it runs out and
// calls fail with "retry quota exceeded" before their attempts are used up;
// a stack's create is a burst of calls that must rather slow down and go on.
// hashicorp/aws-sdk-go-base does the same for hashicorp/aws
// (aws_config.go, resolveRetryer: RateLimiter = ratelimit.None).
func newRetryer(s settings) aws.Retryer {
	standard := func(o *retry.StandardOptions) {
		o.MaxAttempts = s.maxAttempts
		if s.maxBackoff > 0 {
			o.MaxBackoff = s.maxBackoff
		}
		o.RateLimiter = ratelimit.None
	}
	if s.retryMode == aws.RetryModeAdaptive {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, standard)
		})
	}
	return retry.NewStandard(standard)
}

// loadAWSConfig builds the SDK configuration through the SDK's normal loading
// chain (environment, shared files, IMDS), so AWS_* variables work unchanged.
func loadAWSConfig(ctx context.Context, s settings, version string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(s) }),
		config.WithAPIOptions([]func(*smithymiddleware.Stack) error{awsmiddleware.AddUserAgentKeyValue("hawebapp", version)}),
	}
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	if s.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.profile))
	}
	if len(s.configFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(s.configFiles))
	}
	if len(s.credFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(s.credFiles))
	}
	if s.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(s.endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("no AWS region: set the provider's region argument or AWS_REGION")
	}
	if s.role.arn != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if ep := s.endpoints["sts"]; ep != "" {
				o.BaseEndpoint = aws.String(ep)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, s.role.arn, s.role.apply))
	}
	return cfg, nil
}
