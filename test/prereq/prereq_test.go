package prereq

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRequireFailsUnderTFACC runs a child test that lacks a prerequisite:
// under TF_ACC it must fail naming what to install, without it skip.
func TestRequireFailsUnderTFACC(t *testing.T) {
	if os.Getenv("PREREQ_CHILD") != "" {
		Require(t, errors.New("frob is not installed (apt-get install frob)"))
		return
	}
	for _, tc := range []struct {
		tfacc    string
		fails    bool
		contains string
	}{{"1", true, "apt-get install frob"}, {"", false, "SKIP"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRequireFailsUnderTFACC$", "-test.v")
		cmd.Env = append(os.Environ(), "PREREQ_CHILD=1", "TF_ACC="+tc.tfacc)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fails || !strings.Contains(string(out), tc.contains) {
			t.Errorf("TF_ACC=%q: exit error %v, want failure %v and %q in:\n%s", tc.tfacc, err, tc.fails, tc.contains, out)
		}
	}
	if got := Main("pkg", errors.New("x")); got != map[bool]int{true: 1, false: 0}[Required()] {
		t.Errorf("Main with a missing prerequisite = %d", got)
	}
	if got := Main("pkg", nil); got != -1 {
		t.Errorf("Main with everything present = %d, want -1 (run the tests)", got)
	}
}
