package stack_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// TestAccStack_autoscalerOwnsDesired: a desired capacity changed by the
// autoscaler is not drift, and a later apply of another change keeps it.
func TestAccStack_autoscalerOwnsDesired(t *testing.T) {
	c := newClients(t)
	args := defaultArgs(stackName(), newNetwork(t, c))
	args.withDB = false
	changed := args
	changed.healthPath = "/ready"
	group := args.name + "-us-east-1a"
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, args.name),
		Steps: []resource.TestStep{
			{Config: args.config()},
			{
				PreConfig: func() {
					if _, err := c.asg.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
						AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(2)}); err != nil {
						t.Fatal(err)
					}
				},
				Config:   args.config(),
				PlanOnly: true, // empty plan: the autoscaler's desired is not drift
			},
			{Config: changed.config(), Check: resource.ComposeAggregateTestCheckFunc(
				checkHealthPath(c, args.name, "/ready"),
				checkDesired(c, group, 2),
			)},
		},
	})
}

func checkDesired(c clients, group string, want int32) resource.TestCheckFunc {
	return func(*terraform.State) error {
		out, err := c.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			return fmt.Errorf("group %s: %v", group, err)
		}
		if got := aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity); got != want {
			return fmt.Errorf("group %s desired %d, want %d (an apply must not reset the autoscaler's choice)", group, got, want)
		}
		return nil
	}
}

// TestAccStack_https: with a certificate the stack serves HTTPS with a
// modern policy and the HTTP listener redirects to it.
func TestAccStack_https(t *testing.T) {
	c := newClients(t)
	args := defaultArgs(stackName(), newNetwork(t, c))
	args.withDB = false
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := acm.NewFromConfig(cfg).RequestCertificate(context.Background(), &acm.RequestCertificateInput{DomainName: aws.String("app.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	plain := args
	args.extra = fmt.Sprintf(`listener = { certificate_arn = %q }`, *cert.CertificateArn)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: protoV6ProviderFactories,
		CheckDestroy:             checkNothingTagged(c, args.name),
		Steps: []resource.TestStep{
			{Config: args.config(), Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr(addr, "url", regexp.MustCompile(`^https://`)),
				resource.TestCheckResourceAttrSet(addr, "https_listener_arn"),
				checkListeners(c),
			)},
			{Config: args.config(), PlanOnly: true},
			{
				// Removing the certificate removes the HTTPS listener and the redirect.
				Config: plain.config(),
				Check: resource.ComposeAggregateTestCheckFunc(
					resource.TestMatchResourceAttr(addr, "url", regexp.MustCompile(`^http://`)),
					resource.TestCheckNoResourceAttr(addr, "https_listener_arn"),
					checkStackInAWS(c, args.name, 3, "1"),
				),
			},
			{Config: plain.config(), PlanOnly: true},
		},
	})
}

func checkListeners(c clients) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		arn := s.RootModule().Resources[addr].Primary.Attributes["load_balancer_arn"]
		out, err := c.elb.DescribeListeners(ctx, &elasticloadbalancingv2.DescribeListenersInput{LoadBalancerArn: aws.String(arn)})
		if err != nil {
			return err
		}
		if len(out.Listeners) != 2 {
			return fmt.Errorf("want 2 listeners, got %d", len(out.Listeners))
		}
		for _, l := range out.Listeners {
			a := l.DefaultActions[0]
			switch aws.ToInt32(l.Port) {
			case 80:
				if a.Type != elbtypes.ActionTypeEnumRedirect || a.RedirectConfig == nil || aws.ToString(a.RedirectConfig.Port) != "443" ||
					a.RedirectConfig.StatusCode != elbtypes.RedirectActionStatusCodeEnumHttp301 {
					return fmt.Errorf("HTTP listener action %+v, want a 301 redirect to 443", a)
				}
			case 443:
				if l.Protocol != elbtypes.ProtocolEnumHttps || aws.ToString(l.SslPolicy) != "ELBSecurityPolicy-TLS13-1-2-2021-06" || len(l.Certificates) != 1 {
					return fmt.Errorf("HTTPS listener %s policy %s certificates %d", l.Protocol, aws.ToString(l.SslPolicy), len(l.Certificates))
				}
			default:
				return fmt.Errorf("unexpected listener port %d", aws.ToInt32(l.Port))
			}
		}
		return nil
	}
}
