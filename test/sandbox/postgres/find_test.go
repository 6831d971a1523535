package postgres

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryDiscovery: PATH first, then the newest Debian version directory
// (by number: 15 before 9), and when there is none an error that says what
// to install.
func TestBinaryDiscovery(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9", "15", "10"} {
		dir := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "initdb"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := debianBins
	t.Cleanup(func() { debianBins = old })
	debianBins = filepath.Join(root, "*", "bin")
	t.Setenv("PATH", t.TempDir()) // a PATH without PostgreSQL

	got, err := Binary("initdb")
	if want := filepath.Join(root, "15", "bin", "initdb"); err != nil || got != want {
		t.Fatalf("Binary(initdb) = %q, %v; want %q", got, err, want)
	}

	onPath := t.TempDir()
	if err := os.WriteFile(filepath.Join(onPath, "initdb"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", onPath)
	if got, err := Binary("initdb"); err != nil || got != filepath.Join(onPath, "initdb") {
		t.Fatalf("PATH must win: got %q, %v", got, err)
	}

	t.Setenv("PATH", t.TempDir())
	_, err = Binary("postgres")
	if err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("a missing postgres must say what to install, got %v", err)
	}
	if err := Available(); err == nil || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("Available must say what to install, got %v", err)
	}
}
