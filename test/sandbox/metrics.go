package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// datum is one CloudWatch datapoint with a single dimension.
type datum struct {
	name, unit, dimName, dimValue string
	value                         float64
	at                            time.Time
}

// putMetricData publishes datapoints to moto with the query protocol. The
// SDK's CloudWatch client speaks only RPCv2 CBOR, which moto 5.2.1 does not
// understand, so the sandbox writes the form itself.
func (s *Sandbox) putMetricData(ctx context.Context, namespace string, data []datum) error {
	if len(data) == 0 {
		return nil
	}
	form := url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {namespace}}
	for i, d := range data {
		p := fmt.Sprintf("MetricData.member.%d.", i+1)
		form.Set(p+"MetricName", d.name)
		form.Set(p+"Value", strconv.FormatFloat(d.value, 'f', -1, 64))
		form.Set(p+"Unit", d.unit)
		form.Set(p+"Timestamp", d.at.UTC().Format(time.RFC3339))
		form.Set(p+"Dimensions.member.1.Name", d.dimName)
		form.Set(p+"Dimensions.member.1.Value", d.dimValue)
	}
	_, err := queryCall(ctx, s.moto.URL, "monitoring", s.opts.Region, form)
	return err
}

// queryCall posts one query-protocol call with a minimal SigV4-shaped
// Authorization header (moto routes on its credential scope, and does not
// verify signatures).
func queryCall(ctx context.Context, endpoint, service, region string, form url.Values) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/%s/%s/%s/aws4_request, SignedHeaders=host, Signature=0",
		time.Now().UTC().Format("20060102"), region, service))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("%s %s: %s: %s", service, form.Get("Action"), resp.Status, b)
	}
	return string(b), nil
}

// QueryCall is queryCall for tests and tools reading CloudWatch through the
// endpoint (GetMetricData with the query protocol), for the same reason.
func QueryCall(ctx context.Context, endpoint, service, region string, form url.Values) (string, error) {
	return queryCall(ctx, endpoint, service, region, form)
}
