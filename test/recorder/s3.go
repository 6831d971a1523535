package recorder

import (
	"net/http"
	"strings"
)

// s3Subresources name the bucket configuration a REST call reads or writes,
// as S3's operation names spell them (the query key is the subresource).
var s3Subresources = map[string]string{
	"tagging": "BucketTagging", "policy": "BucketPolicy", "encryption": "BucketEncryption",
	"lifecycle": "BucketLifecycleConfiguration", "publicAccessBlock": "PublicAccessBlock",
	"ownershipControls": "BucketOwnershipControls", "versioning": "BucketVersioning",
	"acl": "BucketAcl", "logging": "BucketLogging", "notification": "BucketNotificationConfiguration",
}

// s3Operation names a path-style S3 REST call, which carries no Action
// (S3 API reference: the operation is the method, the path and the
// subresource in the query). Unnamed ones get "unknown", which no check
// may read as harmless.
func s3Operation(req *http.Request) string {
	path := strings.Trim(req.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	verb := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put", http.MethodDelete: "Delete", http.MethodHead: "Head"}[req.Method]
	q := req.URL.Query()
	if id := q.Get("x-id"); id != "" {
		return id // the Go SDK names some operations itself
	}
	switch {
	case bucket == "" && req.Method == http.MethodGet:
		return "ListBuckets"
	case key != "":
		if verb == "" {
			return "unknown"
		}
		return verb + "Object"
	}
	for sub, name := range s3Subresources {
		if q.Has(sub) && verb != "" && verb != "Head" {
			return verb + name
		}
	}
	if q.Has("location") && req.Method == http.MethodGet {
		return "GetBucketLocation"
	}
	if len(q) > 0 && !q.Has("list-type") {
		return "unknown"
	}
	switch req.Method {
	case http.MethodGet:
		return "ListObjectsV2"
	case http.MethodPut:
		return "CreateBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodHead:
		return "HeadBucket"
	}
	return "unknown"
}
