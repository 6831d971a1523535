package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hawebapp/terraform-provider-hawebapp/test/tfcli"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPU    string  `json:"cpu"`
	Cores  int     `json:"cores"`
	MemGB  float64 `json:"memory_gb"`
	Kernel string  `json:"kernel"`
	OS     string  `json:"os"`
}

// Versions of everything measured.
type Versions struct {
	Go          string `json:"go"`
	Terraform   string `json:"terraform"`
	AWSProvider string `json:"hashicorp_aws"`
	Moto        string `json:"moto"`
	Hawebapp    string `json:"hawebapp_commit"`
}

// DescribeMachine reads the CPU, cores, memory and kernel from /proc.
func DescribeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb float64
				for _, f := range strings.Fields(v) {
					if n, err := parseFloat(f); err == nil {
						kb = n
						break
					}
				}
				m.MemGB = float64(int(kb/1024/1024*10+0.5)) / 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// DescribeVersions asks each tool for its version; hashicorp/aws's is
// read from the lock file of an initialised root under workDir.
func DescribeVersions(ctx context.Context, repoRoot, workDir string) Versions {
	v := Versions{Go: runtime.Version()}
	if cmd, err := tfcli.Command(ctx, "", os.Environ(), "version", "-json"); err != nil {
		v.Terraform = err.Error()
	} else if out, err := cmd.Output(); err == nil {
		var tv struct {
			Version string `json:"terraform_version"`
		}
		if json.Unmarshal(out, &tv) == nil {
			v.Terraform = tv.Version
		}
	}
	locks, _ := filepath.Glob(filepath.Join(workDir, "*", ".terraform.lock.hcl"))
	for _, lock := range locks {
		b, err := os.ReadFile(lock)
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		for i, line := range lines {
			if strings.Contains(line, `"registry.terraform.io/hashicorp/aws"`) && i+1 < len(lines) {
				_, ver, _ := strings.Cut(lines[i+1], "=")
				v.AWSProvider = strings.Trim(strings.TrimSpace(ver), `"`)
			}
		}
	}
	if out, err := exec.CommandContext(ctx, "python3", "-c", "import moto, sys; sys.stdout.write(moto.__version__)").Output(); err == nil {
		v.Moto = string(out)
	}
	git := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	git.Dir = repoRoot
	if out, err := git.Output(); err == nil {
		v.Hawebapp = strings.TrimSpace(string(out))
	}
	return v
}

func parseFloat(s string) (float64, error) {
	var f float64
	err := json.Unmarshal([]byte(s), &f)
	return f, err
}
