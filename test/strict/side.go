package strict

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// sideClients are SDK clients the rules use to look at the emulator's
// state. They talk to the handler behind the layer directly, so their calls
// are neither counted by a recorder in front nor subject to the rules.
type sideClients struct {
	next http.Handler
	mu   sync.Mutex
	by   map[string]*regionClients
}

type regionClients struct {
	ec2 *ec2.Client
	elb *elasticloadbalancingv2.Client
	asg *autoscaling.Client
	rds *rds.Client
	// s3c is path-style, as the emulator serves buckets on one host.
	s3c *s3.Client
}

func newSideClients(next http.Handler) *sideClients {
	return &sideClients{next: next, by: map[string]*regionClients{}}
}

func (s *sideClients) region(region string) *regionClients {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.by[region]; ok {
		return c
	}
	cfg := env.AWSConfig("http://strict.invalid")
	cfg.Region, cfg.HTTPClient = region, handlerClient{s.next}
	c := &regionClients{ec2: ec2.NewFromConfig(cfg), elb: elasticloadbalancingv2.NewFromConfig(cfg),
		asg: autoscaling.NewFromConfig(cfg), rds: rds.NewFromConfig(cfg),
		s3c: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
	s.by[region] = c
	return c
}

// s3 is the region's S3 client.
func (s *sideClients) s3(region string) *s3.Client { return s.region(region).s3c }

// handlerClient sends SDK requests to an http.Handler in-process.
type handlerClient struct{ h http.Handler }

func (h handlerClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		// A server's request always has a body (http.Request.Body: "For
		// server requests, the Request Body is always non-nil"); the
		// handler behind may read it, as the sandbox does. A GET from the
		// SDK (S3's) has none.
		req.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// sideCtx bounds a look-up made on behalf of a client's call.
func sideCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), defaultSideTimeout)
}
