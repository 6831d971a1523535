package tfcli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// GracePeriod is how long a cancelled run has, after its one interrupt, to
// stop on its own (Terraform saves its state and stops the provider)
// before it is killed.
const GracePeriod = 2 * time.Minute

// Command is the one way the kit runs the CLI outside Terratest (the demo,
// the benchmark, the reliability campaign): Binary's client, with -chdir=dir
// when dir is set, the given environment, in a process group of its own
// (Terraform starts the provider in it, so a kill of the group reaches
// both, and a terminal's Ctrl-C reaches only the caller). When ctx ends
// the CLI gets one interrupt, its own graceful stop, and is killed after
// GracePeriod; a caller that must kill at once replaces Cancel (see
// KillGroup). Output goes where the caller points Stdout and Stderr.
func Command(ctx context.Context, dir string, env []string, args ...string) (*exec.Cmd, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		args = append([]string{"-chdir=" + dir}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = GracePeriod
	return cmd, nil
}

// KillGroup kills a started command's whole process group (the CLI and the
// provider it started) with SIGKILL: no chance to save state or clean up,
// as when a CI runner dies.
func KillGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return fmt.Errorf("the command has not started")
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
