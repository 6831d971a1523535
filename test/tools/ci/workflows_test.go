// Package ci checks the CI workflows against the repository, so that what
// CI runs stays what a contributor runs: every command is a make target or
// a script that exists, the Go version comes from go.mod, and the client
// matrix is test/tools/clients.env's.
package ci

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var root = filepath.Join("..", "..", "..")

type workflow struct {
	Name string         `yaml:"name"`
	On   map[string]any `yaml:"on"`
	Jobs map[string]struct {
		TimeoutMinutes int `yaml:"timeout-minutes"`
		Strategy       struct {
			Matrix struct {
				Include []map[string]string `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func workflows(t *testing.T) map[string]workflow {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflow under .github/workflows (%v)", err)
	}
	out := map[string]workflow{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if w.Name == "" || len(w.On) == 0 || len(w.Jobs) == 0 {
			t.Errorf("%s: a workflow needs name, on and jobs", f)
		}
		out[filepath.Base(f)] = w
	}
	return out
}

// makeTargets are the GNUmakefile's phony targets.
func makeTargets(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("GNUmakefile has no .PHONY line")
	}
	return strings.Fields(string(m[1]))
}

// Every step runs a make target that exists or a script of the repository
// that exists; every job has a timeout; Go comes from go.mod.
func TestWorkflowsRunWhatContributorsRun(t *testing.T) {
	targets := makeTargets(t)
	script := regexp.MustCompile(`(?:^|\s)((?:\.ci|test/tools)/[\w./-]+)`)
	for file, w := range workflows(t) {
		for name, job := range w.Jobs {
			if job.TimeoutMinutes <= 0 || job.TimeoutMinutes > 90 {
				t.Errorf("%s job %s: timeout-minutes %d, want 1-90 (CI's limit)", file, name, job.TimeoutMinutes)
			}
			for _, step := range job.Steps {
				if strings.HasPrefix(step.Uses, "actions/setup-go") && step.With["go-version-file"] != "go.mod" {
					t.Errorf("%s job %s: setup-go must take the version from go.mod", file, name)
				}
				for _, line := range strings.Split(step.Run, "\n") {
					fields := strings.Fields(line)
					if len(fields) > 1 && fields[0] == "make" {
						for _, target := range fields[1:] {
							if !strings.Contains(target, "=") && !slices.Contains(targets, target) {
								t.Errorf("%s job %s runs make %s, which the GNUmakefile does not have", file, name, target)
							}
						}
					}
					for _, m := range script.FindAllStringSubmatch(line, -1) {
						if _, err := os.Stat(filepath.Join(root, m[1])); err != nil {
							t.Errorf("%s job %s runs %s, which does not exist", file, name, m[1])
						}
					}
				}
			}
		}
	}
}

// The acceptance matrix is the clients CI supports: the versions in
// test/tools/clients.env, no more, no fewer.
func TestClientMatrixIsClientsEnv(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "test", "tools", "clients.env"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range regexp.MustCompile(`HAWEBAPP_(TOFU_VERSION|TERRAFORM_VERSION|TERRAFORM_FLOOR):=([0-9.]+)`).FindAllStringSubmatch(string(b), -1) {
		client := "terraform"
		if m[1] == "TOFU_VERSION" {
			client = "tofu"
		}
		want = append(want, client+":"+m[2])
	}
	var got []string
	for _, job := range workflows(t)["test.yml"].Jobs {
		for _, inc := range job.Strategy.Matrix.Include {
			got = append(got, inc["client"]+":"+inc["version"])
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("test.yml's client matrix is %v, clients.env says %v", got, want)
	}
}
