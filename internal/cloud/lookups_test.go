package cloud

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
)

// TestPlanTimeLookups reads a certificate's status, an image's architecture
// and an instance type's architectures, and maps "not found" answers to
// ErrNotFound.
func TestPlanTimeLookups(t *testing.T) {
	ctx := t.Context()
	cfg := testConfig(t, nil)
	c := New(cfg, nil)

	req, err := acm.NewFromConfig(cfg).RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("lookups.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(req.CertificateArn)
	t.Cleanup(func() {
		_, _ = acm.NewFromConfig(cfg).DeleteCertificate(ctx, &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	})
	if status, err := c.CertificateStatus(ctx, arn); err != nil || status != "PENDING_VALIDATION" {
		t.Errorf("CertificateStatus of a requested certificate = %q, %v; want PENDING_VALIDATION", status, err)
	}
	missing := arn[:len(arn)-36] + "00000000-0000-0000-0000-000000000000"
	if _, err := c.CertificateStatus(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("CertificateStatus of %s: %v, want ErrNotFound", missing, err)
	}

	for image, want := range map[string]string{"ami-12c6146b": "x86_64", "ami-0e9271c829888680e": "arm64"} {
		got, err := c.Image(ctx, image)
		if err != nil || got.Architecture != want {
			t.Errorf("Image(%s).Architecture = %q, %v; want %q", image, got.Architecture, err, want)
		}
		// moto's images carry a 15 GiB root snapshot on their root device.
		if got.RootDevice == "" || got.RootGiB != 15 || !strings.HasPrefix(got.RootSnapshot, "snap-") {
			t.Errorf("Image(%s) root = %s %s %d GiB; want the root device's 15 GiB snapshot", image, got.RootDevice, got.RootSnapshot, got.RootGiB)
		}
	}
	if _, err := c.Image(ctx, "ami-0123456789abcdef0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing image: %v, want ErrNotFound", err)
	}
	for typ, want := range map[string]string{"t3.small": "x86_64", "t4g.small": "arm64"} {
		if got, err := c.InstanceTypeArchitectures(ctx, typ); err != nil || !slices.Contains(got, want) {
			t.Errorf("InstanceTypeArchitectures(%s) = %v, %v; want it to include %s", typ, got, err, want)
		}
	}
}
