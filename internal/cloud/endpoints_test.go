package cloud

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// recorder is an endpoint that answers every request with an error and
// records which operation (the query protocol's Action) was asked.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	calls []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		r.mu.Lock()
		r.calls = append(r.calls, req.Form.Get("Action"))
		r.mu.Unlock()
		http.Error(w, "<ErrorResponse><Error><Code>Recorded</Code><Message>recorded</Message></Error></ErrorResponse>", http.StatusBadRequest)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(slices.Values(r.calls))
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func TestServiceEndpoints(t *testing.T) {
	base, ec2Only := newRecorder(t), newRecorder(t)
	// AWS_ENDPOINT_URL (and its per-service form) lose to the endpoints too.
	t.Setenv("AWS_ENDPOINT_URL", base.URL)
	t.Setenv("AWS_ENDPOINT_URL_EC2", base.URL)
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(base.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	callAll := func(c *Cloud) {
		ctx := t.Context()
		_, _ = c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		_, _ = c.elb.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
		_, _ = c.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{})
		_, _ = c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("x")})
		_, _ = c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	}

	callAll(New(cfg, map[string]string{"ec2": ec2Only.URL, "sts": "http://127.0.0.1:1"}))
	if got, want := ec2Only.actions(), []string{"DescribeVpcs"}; !slices.Equal(got, want) {
		t.Errorf("ec2 endpoint got %v, want %v", got, want)
	}
	if got, want := base.actions(), []string{"DescribeAutoScalingGroups", "DescribeDBInstances", "DescribeLoadBalancers", "GetRole"}; !slices.Equal(got, want) {
		t.Errorf("base endpoint got %v, want %v", got, want)
	}

	base.reset()
	ec2Only.reset()
	callAll(New(cfg, nil))
	if got := ec2Only.actions(); len(got) > 0 {
		t.Errorf("without endpoints the ec2 endpoint got %v", got)
	}
	if got := base.actions(); len(got) != 5 {
		t.Errorf("without endpoints the base endpoint got %v, want all 5 calls", got)
	}
}
