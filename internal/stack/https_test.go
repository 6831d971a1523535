package stack_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

// ambientConfig is the SDK config the acceptance tests check AWS with: the
// emulator's through the variables TestMain sets, or real AWS's.
func ambientConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func acmClient(t *testing.T) *acm.Client {
	t.Helper()
	return acm.NewFromConfig(ambientConfig(t))
}

// listenerOrder watches the recorder's listener calls and reports an HTTP
// listener call with the redirect action that is made before the HTTPS
// listener's CreateListener has returned. It holds the HTTPS create until an
// HTTP listener call arrives or holdHTTPS passes, so a provider that runs
// both at once is caught every time, not only when it loses the race.
type listenerOrder struct {
	mu         sync.Mutex
	httpsState string // "", "in flight", "done"
	httpCalls  chan struct{}
	violations []string
	calls      []string
}

const holdHTTPS = 3 * time.Second

func watchListenerOrder(t *testing.T) *listenerOrder {
	t.Helper()
	o := &listenerOrder{httpCalls: make(chan struct{}, 16)}
	accRecorder.Before = func(c recorder.Call, _ http.ResponseWriter, r *http.Request) bool {
		if c.Action != "CreateListener" && c.Action != "ModifyListener" {
			return false
		}
		form := readForm(r)
		protocol := form.Get("Protocol")
		redirect := form.Get("DefaultActions.member.1.Type") == "redirect"
		o.mu.Lock()
		o.calls = append(o.calls, c.Action+" "+protocol)
		switch {
		case c.Action == "CreateListener" && protocol == "HTTPS":
			o.httpsState = "in flight"
			o.mu.Unlock()
			select {
			case <-o.httpCalls:
			case <-time.After(holdHTTPS):
			}
			o.mu.Lock()
			o.httpsState = "done"
		case protocol == "HTTP" && redirect:
			if o.httpsState != "done" {
				o.violations = append(o.violations, fmt.Sprintf("%s of the HTTP redirect while the HTTPS listener was %q", c.Action, o.httpsState))
			}
			select {
			case o.httpCalls <- struct{}{}:
			default:
			}
		}
		o.mu.Unlock()
		return false
	}
	t.Cleanup(func() { accRecorder.Before = nil })
	return o
}

func (o *listenerOrder) check(*terraform.State) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.violations) > 0 {
		return fmt.Errorf("the HTTP listener redirected before the HTTPS listener existed: %s (listener calls: %s)",
			strings.Join(o.violations, "; "), strings.Join(o.calls, ", "))
	}
	if len(o.calls) == 0 {
		return fmt.Errorf("no listener call was seen")
	}
	return nil
}

// readForm parses a query-protocol request body and puts it back.
func readForm(r *http.Request) url.Values {
	if r.Body == nil {
		return url.Values{}
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	form, _ := url.ParseQuery(string(body))
	return form
}

// writeForm makes form the request's body in place of the one it had.
func writeForm(r *http.Request, form url.Values) {
	body := form.Encode()
	r.Body, r.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
	r.Header.Del("Content-Length")
}

// TestAccStack_https: with an ISSUED certificate the stack serves HTTPS with
// a modern policy and the HTTP listener redirects to it, switching to the
// redirect only after the HTTPS listener exists, both on create and when a
// certificate is added to a running stack.
func TestAccStack_https(t *testing.T) {
	needRecorder(t, "watches calls")
	c, args := appOnly(t)
	plain := args
	args.extra = fmt.Sprintf(`listener = { certificate_arn = %q }`, env.Certificate(t, ambientConfig(t), "app.example.com"))
	var order *listenerOrder
	stackTest(t, c, args.name, []resource.TestStep{
		{
			PreConfig: func() { order = watchListenerOrder(t) },
			Config:    args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				func(s *terraform.State) error { return order.check(s) },
				resource.TestMatchResourceAttr(addr, "url", regexp.MustCompile(`^https://`)),
				resource.TestCheckResourceAttrSet(addr, "https_listener_arn"),
				checkListeners(c),
			),
		},
		{Config: args.config(), PlanOnly: true},
		{
			// Removing the certificate removes the HTTPS listener and the redirect.
			PreConfig: func() { accRecorder.Before = nil },
			Config:    plain.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestMatchResourceAttr(addr, "url", regexp.MustCompile(`^http://`)),
				resource.TestCheckNoResourceAttr(addr, "https_listener_arn"),
				checkStackInAWS(c, args.name, 3, "1"),
			),
		},
		{Config: plain.config(), PlanOnly: true},
		{
			// Adding it back to a running stack: the HTTP listener is
			// modified to redirect only after the HTTPS one is created.
			PreConfig: func() { order = watchListenerOrder(t) },
			Config:    args.config(),
			Check: resource.ComposeAggregateTestCheckFunc(
				func(s *terraform.State) error { return order.check(s) },
				checkListeners(c),
			),
		},
	})
}

// TestAccStack_certificateChecks: a certificate of another region, one ACM
// does not know and one still PENDING_VALIDATION each fail the plan on
// listener.certificate_arn with read-only calls only; an imported (ISSUED)
// certificate plans.
func TestAccStack_certificateChecks(t *testing.T) {
	c := newClients(t)
	net := env.StackNetwork(t, c.cfg)
	issued := env.Certificate(t, ambientConfig(t), "issued.example.com")
	otherRegion := strings.Replace(issued, ":us-east-1:", ":eu-west-1:", 1)
	unknown := regexp.MustCompile(`certificate/.*$`).ReplaceAllString(issued, "certificate/00000000-0000-0000-0000-000000000000")
	name := stackName()
	cases := map[string]struct {
		arn  func(t *testing.T) string
		want string
	}{
		"OtherRegion": {func(*testing.T) string { return otherRegion }, `listener.certificate_arn[\s\S]*eu-west-1[\s\S]*us-east-1[\s\S]*Request or import the certificate in us-east-1`},
		"NotFound":    {func(*testing.T) string { return unknown }, `Certificate not found[\s\S]*listener.certificate_arn[\s\S]*Check the ARN`},
		// Requested just before the plan: the emulator, like AWS, keeps a
		// requested certificate PENDING_VALIDATION until it is validated
		// (the emulator validates on its own after a minute).
		"Pending": {requestCertificate, `Certificate not issued[\s\S]*PENDING_VALIDATION[\s\S]*Complete its validation`},
	}
	for caseName, tc := range cases {
		t.Run(caseName, func(t *testing.T) {
			a := defaultArgs(name, net)
			a.withDB = false
			a.extra = fmt.Sprintf(`listener = { certificate_arn = %q }`, tc.arn(t))
			planMustFail(t, c, a, invalidCase{attr: "listener.certificate_arn", want: tc.want})
		})
	}
	t.Run("Issued", func(t *testing.T) {
		a := defaultArgs(name, net)
		a.withDB = false
		a.extra = fmt.Sprintf(`listener = { certificate_arn = %q }`, issued)
		planPasses(t, a)
	})
}

// requestCertificate asks ACM for a DNS-validated certificate, which stays
// PENDING_VALIDATION until its validation records exist.
func requestCertificate(t *testing.T) string {
	t.Helper()
	out, err := acmClient(t).RequestCertificate(context.Background(), &acm.RequestCertificateInput{DomainName: aws.String("pending.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = acmClient(t).DeleteCertificate(context.Background(), &acm.DeleteCertificateInput{CertificateArn: out.CertificateArn})
	})
	return aws.ToString(out.CertificateArn)
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
