package leaks

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// buckets lists the S3 buckets tagged with the stack: the web-app module's
// access logs bucket carries the stack's tag (the provider makes no
// bucket). ListBuckets then GetBucketTagging each (S3 has no tag filter on
// listing); a bucket without tags (NoSuchTagSet) or gone meanwhile
// (NoSuchBucket) is not the stack's.
func (f *finder) buckets(ctx context.Context) error {
	c := s3.NewFromConfig(f.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{})
	return eachPage(ctx, "listing buckets", p.HasMorePages, p.NextPage, func(page *s3.ListBucketsOutput) error {
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			tags, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
			if hasCode(err, "NoSuchTagSet", "NoSuchBucket") {
				continue
			}
			if err != nil {
				return fmt.Errorf("reading tags of bucket %s: %w", name, err)
			}
			for _, t := range tags.TagSet {
				if aws.ToString(t.Key) == blueprint.TagStack && aws.ToString(t.Value) == f.stack {
					f.add("s3 bucket", name, "arn:aws:s3:::"+name)
				}
			}
		}
		return nil
	})
}
