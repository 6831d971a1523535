package motoserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckAsksOnceAndNamesTheFix: a Python without moto is reported with
// the install command, and the answer is remembered: the second call does
// not run the interpreter again (here it was removed in between).
func TestCheckAsksOnceAndNamesTheFix(t *testing.T) {
	python := filepath.Join(t.TempDir(), "python3")
	script := "#!/bin/sh\necho 'No module named moto' >&2\nexit 1\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	first := Check(python)
	if first == nil || !strings.Contains(first.Error(), "pip install 'moto[server]==5.2.1'") {
		t.Fatalf("Check(no moto) = %v; want the install command", first)
	}
	if err := os.Remove(python); err != nil {
		t.Fatal(err)
	}
	if again := Check(python); again == nil || again.Error() != first.Error() {
		t.Errorf("second Check = %v; want the remembered %v", again, first)
	}
}
