package tfcli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
)

// BinaryEnv names the Terraform-compatible CLI (Terraform or OpenTofu) the
// end-to-end tests run, as a path or a name on PATH; unset means terraform.
const BinaryEnv = "HAWEBAPP_TF_BINARY"

// AccBinaryEnv is terraform-plugin-testing's variable for the CLI the
// acceptance tests run.
const AccBinaryEnv = "TF_ACC_TERRAFORM_PATH"

// Binary returns the CLI the end-to-end tests run: $HAWEBAPP_TF_BINARY,
// else terraform on PATH. A client that was asked for and is not there is an
// error that says how to get it: a test must never silently fall back to
// another client.
func Binary() (string, error) {
	if b := os.Getenv(BinaryEnv); b != "" {
		return lookClient(b, BinaryEnv)
	}
	return lookClient("terraform", "PATH")
}

// lookClient resolves name (a path or a name on PATH) to an executable.
func lookClient(name, from string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("the Terraform CLI %q (from %s) is not an executable: %w; install Terraform, or build a "+
			"client with test/tools/client.sh tofu|terraform [version] and point %s at the path it prints", name, from, err, BinaryEnv)
	}
	return filepath.Abs(p)
}

// Clients lists the CLIs a generated configuration must serve: those the
// tests were told to run (HAWEBAPP_TF_BINARY, TF_ACC_TERRAFORM_PATH) and
// terraform and tofu when on PATH. A client named in a variable that is
// not there is an error.
func Clients() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, env := range []string{BinaryEnv, AccBinaryEnv} {
		if v := os.Getenv(env); v != "" {
			p, err := lookClient(v, env)
			if err != nil {
				return nil, err
			}
			add(p)
		}
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				add(abs)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no Terraform CLI found: install Terraform or OpenTofu, or set " + BinaryEnv)
	}
	return out, nil
}

// probeConfig requires a provider by a source without a host, which every
// client completes with its own default registry host.
const probeConfig = `terraform {
  required_providers {
    probe = { source = "hawebapp/probe" }
  }
}
`

var (
	probeLine = regexp.MustCompile(`provider\[([^/\]\s]+)/hawebapp/probe\]`)
	hostCache sync.Map // binary path -> host
)

// DefaultHost asks a client which registry host it gives a provider source
// written without one ("hashicorp/aws"). Terraform and OpenTofu differ
// here, and a filesystem mirror or a reattached provider must sit under the
// host the running client expects. `providers` reads the configuration
// only: no init, no network.
func DefaultHost(ctx context.Context, bin string) (string, error) {
	if h, ok := hostCache.Load(bin); ok {
		return h.(string), nil
	}
	dir, err := os.MkdirTemp("", "hawebapp-probe-")
	if err != nil {
		return "", fmt.Errorf("creating a probe directory: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(probeConfig), 0o644); err != nil {
		return "", fmt.Errorf("writing the probe configuration: %w", err)
	}
	empty := filepath.Join(dir, "empty.rc")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		return "", fmt.Errorf("writing the probe CLI configuration: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin, "providers", "-no-color")
	cmd.Dir = dir
	// The caller's CLI configuration could rewrite sources; ignore it.
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+empty, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("asking %s for its default registry host (%s providers): %w\n%s", bin, bin, err, out)
	}
	m := probeLine.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s providers did not print the probe provider's address:\n%s", bin, out)
	}
	host := string(m[1])
	hostCache.Store(bin, host)
	return host, nil
}

// Hosts returns the default registry hosts of the clients, without repeats.
func Hosts(ctx context.Context, clients []string) ([]string, error) {
	var hosts []string
	seen := map[string]bool{}
	for _, c := range clients {
		h, err := DefaultHost(ctx, c)
		if err != nil {
			return nil, err
		}
		if !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}
