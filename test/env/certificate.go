package env

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Certificate imports a self-signed certificate for domain into ACM and
// returns its ARN, failing t on error; it is deleted when t ends. An
// imported certificate is ISSUED at once, on AWS as in the emulator, so an
// HTTPS listener can use it without a DNS validation.
func Certificate(t testing.TB, cfg aws.Config, domain string) string {
	t.Helper()
	arn, err := CertificateE(t.Context(), cfg, domain)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = acm.NewFromConfig(cfg).DeleteCertificate(context.Background(), &acm.DeleteCertificateInput{CertificateArn: aws.String(arn)})
	})
	return arn
}

// CertificateE is Certificate returning the error; the caller deletes the
// certificate.
func CertificateE(ctx context.Context, cfg aws.Config, domain string) (string, error) {
	cert, key, err := selfSignedPEM(domain, false)
	if err != nil {
		return "", err
	}
	out, err := acm.NewFromConfig(cfg).ImportCertificate(ctx, &acm.ImportCertificateInput{Certificate: cert, PrivateKey: key})
	if err != nil {
		return "", fmt.Errorf("importing a certificate for %s into ACM: %w", domain, err)
	}
	return aws.ToString(out.CertificateArn), nil
}

// ServerCertificate uploads a self-signed certificate for
// name.example.com to IAM as server certificate name and returns its ARN,
// failing t on error: the other store an HTTPS listener takes a
// certificate from. It is left in place, as a listener may still name it
// when t's cleanups run.
func ServerCertificate(t testing.TB, cfg aws.Config, name string) string {
	t.Helper()
	arn, err := ServerCertificateE(t.Context(), cfg, name)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// ServerCertificateE is ServerCertificate returning the error.
func ServerCertificateE(ctx context.Context, cfg aws.Config, name string) (string, error) {
	cert, key, err := selfSignedPEM(name+".example.com", true)
	if err != nil {
		return "", err
	}
	out, err := iam.NewFromConfig(cfg).UploadServerCertificate(ctx, &iam.UploadServerCertificateInput{
		ServerCertificateName: aws.String(name), CertificateBody: aws.String(string(cert)), PrivateKey: aws.String(string(key))})
	if err != nil {
		return "", fmt.Errorf("uploading server certificate %s to IAM: %w", name, err)
	}
	return aws.ToString(out.ServerCertificateMetadata.Arn), nil
}

// selfSignedPEM is selfSigned in PEM, the key in PKCS #8 ("PRIVATE KEY",
// what the IAM uploads have always sent) or in SEC 1 ("EC PRIVATE KEY",
// what the ACM imports have).
func selfSignedPEM(domain string, pkcs8 bool) (cert, key []byte, err error) {
	der, k, err := selfSigned(domain)
	if err != nil {
		return nil, nil, err
	}
	block := &pem.Block{Type: "EC PRIVATE KEY"}
	if pkcs8 {
		block.Type = "PRIVATE KEY"
		block.Bytes, err = x509.MarshalPKCS8PrivateKey(k)
	} else {
		block.Bytes, err = x509.MarshalECPrivateKey(k)
	}
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(block), nil
}

// selfSigned is a certificate for domain signed by its own P-256 key,
// valid from a minute ago (clocks differ) for a day. The serial is the
// time, so two certificates for one domain differ.
func selfSigned(domain string) (der []byte, key *ecdsa.PrivateKey, err error) {
	key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: domain},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{domain}}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	return der, key, err
}
