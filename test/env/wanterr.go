package env

import (
	"strings"
	"testing"
)

// WantErr is the check of a table case that names the error it expects:
// with want "", err must be nil; otherwise err must contain want.
func WantErr(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error: %v", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("error %v, want one containing %q", err, want)
	}
}
