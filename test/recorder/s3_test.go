package recorder

import (
	"net/http/httptest"
	"testing"
)

// S3's REST calls carry no Action: each is named from its method, path and
// subresource, so a check of "no mutating call" sees a read as a read and a
// write as a write (the leak checker's ListBuckets and GetBucketTagging
// once counted as mutating "unknown" calls).
func TestIdentifyNamesS3RESTCalls(t *testing.T) {
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/", "ListBuckets"},
		{"GET", "/?x-id=ListBuckets", "ListBuckets"},
		{"GET", "/logs?tagging", "GetBucketTagging"},
		{"PUT", "/logs?tagging", "PutBucketTagging"},
		{"GET", "/logs?policy", "GetBucketPolicy"},
		{"PUT", "/logs?policy", "PutBucketPolicy"},
		{"GET", "/logs?encryption", "GetBucketEncryption"},
		{"GET", "/logs?location", "GetBucketLocation"},
		{"PUT", "/logs", "CreateBucket"},
		{"DELETE", "/logs", "DeleteBucket"},
		{"HEAD", "/logs", "HeadBucket"},
		{"GET", "/logs?list-type=2", "ListObjectsV2"},
		{"PUT", "/logs/AWSLogs/1/x.gz?x-id=PutObject", "PutObject"},
		{"DELETE", "/logs/a/b", "DeleteObject"},
		{"POST", "/logs?delete", "unknown"},
		{"GET", "/logs?website", "unknown"},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20261207/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x")
		if got := Identify(r); got.Service != "s3" || got.Action != c.want {
			t.Errorf("%s %s: %s, want s3:%s", c.method, c.target, got, c.want)
		}
	}
}
