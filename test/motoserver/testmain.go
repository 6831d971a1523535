package motoserver

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// RunShared is a TestMain body for a package whose tests share one moto
// server: it fails (exit 1) when moto is missing, whatever TF_ACC says
// (pkg names the package in the message), starts the server, stores its
// URL in *url, runs the tests and stops it. It returns the exit code.
func RunShared(m *testing.M, pkg string, url *string) int {
	if err := Check("python3"); err != nil {
		fmt.Fprintln(os.Stderr, pkg+" needs moto (run test/tools/prereqs.sh):", err)
		return 1
	}
	s, err := Start(context.Background(), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Stop()
	*url = s.URL
	return m.Run()
}

// StartT starts a private server for one test: it fails t when the server
// does not start, and stops it when t ends.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
