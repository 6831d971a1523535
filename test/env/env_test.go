package env

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntilEReturnsOnceDone(t *testing.T) {
	calls := 0
	err := UntilE(t.Context(), "three looks", time.Minute, func() (bool, string) {
		calls++
		return calls == 3, "not yet"
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d looks, want nil after 3", err, calls)
	}
}

// The error names what was awaited and the state last seen, and the last
// look falls at the deadline rather than a full backoff step after it.
func TestUntilEFailsAtTheDeadlineWithTheLastState(t *testing.T) {
	start, looks := time.Now(), 0
	err := UntilE(t.Context(), "the moon", 100*time.Millisecond, func() (bool, string) {
		looks++
		return false, "look " + string(rune('0'+looks%10))
	})
	if err == nil || !strings.Contains(err.Error(), "the moon") || !strings.Contains(err.Error(), "look") {
		t.Fatalf("got %v, want an error naming the moon and the last look", err)
	}
	if looks < 2 {
		t.Errorf("%d looks in 100 ms, want a few", looks)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Errorf("gave up after %s, before the deadline", took)
	}
}

func TestUntilEStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := UntilE(ctx, "anything", time.Hour, func() (bool, string) { return false, "never" })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNoErrorIsDoneOnNil(t *testing.T) {
	if done, state := NoError(func() error { return errors.New("boom") })(); done || state != "boom" {
		t.Errorf("on an error: done %v state %q", done, state)
	}
	if done, _ := NoError(func() error { return nil })(); !done {
		t.Error("on nil: not done")
	}
}

func TestSelfSignedIsForTheDomainAndValidNow(t *testing.T) {
	der, key, err := selfSigned("app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("app.example.com"); err != nil {
		t.Error(err)
	}
	if now := time.Now(); now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		t.Errorf("not valid now: %s to %s", cert.NotBefore, cert.NotAfter)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate is not for the key returned")
	}
}
