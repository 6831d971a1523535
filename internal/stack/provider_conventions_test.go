package stack_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// awsDocsProviderBlock is hashicorp/aws's provider block as its
// documentation shows it (the assume_role and default_tags examples of
// its provider page, put together), with only the provider's name changed.
// The role is in the emulator's account, which answers AssumeRole for any
// role ARN.
const awsDocsProviderBlock = `provider "hawebapp" {
  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/ROLE_NAME"
    session_name = "SESSION_NAME"
    external_id  = "EXTERNAL_ID"
  }

  default_tags {
    tags = {
      Environment = "Test"
      Name        = "Provider Tag"
    }
  }
%s}`

// TestAccProvider_awsDocsBlock: the provider block copied from
// hashicorp/aws's docs works unchanged: the stack is made with the role
// assumed as written (AssumeRole carries the session name and external
// ID) and carries the default tags. A tag another system then changes is
// drift (a non-empty plan) until ignore_tags names it, which hides it.
func TestAccProvider_awsDocsBlock(t *testing.T) {
	needRecorder(t, "reads the AssumeRole call")
	c, args := appOnly(t) // the provider block does not depend on the database
	args.provider = fmt.Sprintf(awsDocsProviderBlock, "")
	assumed := recordAssumeRole(t)
	var lbARN string // from the first step's state
	ignoring := args
	ignoring.provider = fmt.Sprintf(awsDocsProviderBlock, "\n  ignore_tags {\n    keys = [\"Environment\"]\n  }\n")
	stackTest(t, c, args.name, []resource.TestStep{
		{
			Config: args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				func(*terraform.State) error {
					for _, form := range assumed() {
						if form.Get("RoleArn") == "arn:aws:iam::123456789012:role/ROLE_NAME" &&
							form.Get("RoleSessionName") == "SESSION_NAME" && form.Get("ExternalId") == "EXTERNAL_ID" {
							return nil
						}
					}
					return fmt.Errorf("no AssumeRole call with the block's role, session name and external ID: %v", assumed())
				},
				checkLoadBalancerTags(c, addr, map[string]string{"Environment": "Test", "Name": "Provider Tag", "team": "acceptance"}),
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				func(s *terraform.State) error {
					lbARN = s.RootModule().Resources[addr].Primary.Attributes["load_balancer_arn"]
					return nil
				},
			),
		},
		{
			// Another system rewrites a default tag: drift, a plan to put it back.
			PreConfig:          func() { retagLoadBalancer(t, c, lbARN, "Environment", "Scanned") },
			Config:             args.config(),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		},
		{
			// ignore_tags names it: no drift, an empty plan, the tag left as the other system set it.
			Config:   ignoring.config(),
			PlanOnly: true,
		},
		{
			Config: ignoring.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr(addr, "drift.#", "0"),
				checkLoadBalancerTags(c, addr, map[string]string{"Environment": "Scanned", "Name": "Provider Tag"}),
			),
		},
	})
}

// TestAccProvider_accountGuards: allowed_account_ids without the caller's
// account, and forbidden_account_ids with it, stop the plan at configure
// time with an error naming the attribute and the account.
func TestAccProvider_accountGuards(t *testing.T) {
	c := newClients(t)
	account := callerAccount(t, c.cfg)
	// Nothing is created: the network's IDs are never looked up.
	args := defaultArgs(stackName(), env.Net{VPCID: "vpc-0123456789abcdef0",
		App: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, LB: []string{"subnet-0123456789abcdef2", "subnet-0123456789abcdef3"}})
	allowed, forbidden := args, args
	allowed.provider = `provider "hawebapp" {
  allowed_account_ids = ["111111111111"]
}`
	forbidden.provider = fmt.Sprintf(`provider "hawebapp" {
  forbidden_account_ids = [%q]
}`, account)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: allowed.config(), PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)allowed_account_ids.*account\s+` + account + `.*111111111111`)},
			{Config: forbidden.config(), PlanOnly: true,
				ExpectError: regexp.MustCompile(`(?s)forbidden_account_ids.*account\s+` + account + `.*forbidden_account_ids\s+lists`)},
		},
	})
}

// callerAccount is the account of the tests' own credentials.
func callerAccount(t *testing.T, cfg aws.Config) string {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Account)
}

// recordAssumeRole keeps the form of every STS AssumeRole call through the
// recorder until the test ends; the calls still reach the emulator.
func recordAssumeRole(t *testing.T) func() []url.Values {
	t.Helper()
	var mu sync.Mutex
	var forms []url.Values
	accRecorder.Before = func(c recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if c.Service == "sts" && c.Action == "AssumeRole" {
			form := readForm(r)
			mu.Lock()
			forms = append(forms, form)
			mu.Unlock()
		}
		return false
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	return func() []url.Values {
		mu.Lock()
		defer mu.Unlock()
		return append([]url.Values(nil), forms...)
	}
}

// checkLoadBalancerTags checks, through the API, that the stack's load
// balancer carries want (among its other tags).
func checkLoadBalancerTags(c clients, res string, want map[string]string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		arn := s.RootModule().Resources[res].Primary.Attributes["load_balancer_arn"]
		out, err := c.elb.DescribeTags(context.Background(), &elb.DescribeTagsInput{ResourceArns: []string{arn}})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, d := range out.TagDescriptions {
			for _, tag := range d.Tags {
				got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("load balancer tag %s = %q, want %q (tags %v)", k, got[k], v, got)
			}
		}
		return nil
	}
}

// retagLoadBalancer sets a tag on the load balancer as another system would.
func retagLoadBalancer(t *testing.T, c clients, arn, key, value string) {
	t.Helper()
	if _, err := c.elb.AddTags(context.Background(), &elb.AddTagsInput{ResourceArns: []string{arn},
		Tags: []elbtypes.Tag{{Key: aws.String(key), Value: aws.String(value)}}}); err != nil {
		t.Fatal(err)
	}
}

// TestAccProvider_v010SyntaxRefused: a provider block written for 0.1.0
// (assume_role as an attribute) stops before anything is read, with the
// client's error pointing at the block form the upgrading guide gives.
func TestAccProvider_v010SyntaxRefused(t *testing.T) {
	newClients(t)
	args := defaultArgs(stackName(), env.Net{VPCID: "vpc-0123456789abcdef0",
		App: []string{"subnet-0123456789abcdef0", "subnet-0123456789abcdef1"}, LB: []string{"subnet-0123456789abcdef2", "subnet-0123456789abcdef3"}})
	args.provider = `provider "hawebapp" {
  assume_role = {
    role_arn = "arn:aws:iam::123456789012:role/deployer"
  }
}`
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		Steps: []resource.TestStep{{Config: args.config(), PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)Unsupported argument.*Did\s+you\s+mean\s+to\s+define\s+a\s+block\s+of\s+type\s+"assume_role"`)}},
	})
}
