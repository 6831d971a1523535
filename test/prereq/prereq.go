// Package prereq turns a missing prerequisite into the right test outcome.
// Under `make test` (TF_ACC=1) every test must run, so a missing tool fails
// the test with what to install; in a plain `go test` it skips, saying why.
package prereq

import (
	"fmt"
	"os"
	"testing"
)

// Required says whether missing prerequisites must fail (TF_ACC is set).
func Required() bool { return os.Getenv("TF_ACC") != "" }

// Require fails (under TF_ACC) or skips t when err, which names what is
// missing and how to install it, is not nil.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if Required() {
		t.Fatalf("prerequisite missing (TF_ACC is set, so this fails instead of skipping): %v", err)
	}
	t.Skipf("prerequisite missing (set up with test/tools/prereqs.sh): %v", err)
}

// Main is Require for a TestMain, before any test exists: it returns the
// exit code, 1 under TF_ACC and 0 (with a notice) otherwise, or -1 when err
// is nil and the tests should run.
func Main(pkg string, err error) int {
	if err == nil {
		return -1
	}
	if Required() {
		fmt.Fprintf(os.Stderr, "%s: prerequisite missing (TF_ACC is set, so this fails): %v\n", pkg, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "%s: skipping every test, a prerequisite is missing: %v\n", pkg, err)
	return 0
}
