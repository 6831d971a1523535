package strict

import (
	"math"
	"time"
)

// throttle answers like AWS above a sustained rate: a token bucket per
// service (per API family), as EC2 documents its request throttling ("Amazon
// EC2 uses the token bucket algorithm"; a non-mutating action's bucket holds
// 100 tokens and refills 20 a second; over it, RequestLimitExceeded: EC2
// API reference, "Request throttling for the Amazon EC2 API",
// docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). EC2
// answers RequestLimitExceeded with HTTP 503; the other query services
// answer Throttling with HTTP 400 and the JSON services ThrottlingException
// (Common Errors pages of the ELBv2, Auto Scaling, IAM and RDS API
// references). aws-sdk-go-v2's standard retryer treats all three as
// throttling (aws/retry/standard.go, DefaultThrottleErrorCodes).
func throttleRule() *rule {
	return &rule{name: Throttle, before: func(l *Layer, c *call) *apiError {
		l.mu.Lock()
		b := l.st.buckets[c.Service]
		if b == nil {
			b = &bucket{tokens: float64(l.opts.Bucket), last: c.now}
			l.st.buckets[c.Service] = b
		}
		ok := b.take(c.now, float64(l.opts.Bucket), l.opts.Refill)
		l.mu.Unlock()
		if ok {
			return nil
		}
		switch {
		case c.Service == "ec2":
			return errorf(503, "RequestLimitExceeded", "Request limit exceeded.")
		case c.json != nil:
			return errorf(400, "ThrottlingException", "Rate exceeded")
		default:
			return errorf(400, "Throttling", "Rate exceeded")
		}
	}}
}

type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time, size, refill float64) bool {
	if now.After(b.last) {
		b.tokens = math.Min(size, b.tokens+now.Sub(b.last).Seconds()*refill)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
