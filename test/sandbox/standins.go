package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// initCommand runs a stand-in command of the instance (see guest): its
// output and exit code.
func (g *guest) initCommand(cmd string, args []string) (string, int) {
	switch cmd {
	case "systemctl":
		return g.sd.systemctl(args)
	case "useradd":
		return g.useradd(args)
	case "dnf", "yum":
		return packages(cmd, args)
	}
	return cmd + ": not provided by the sandbox\n", 127
}

// useradd adds a user to the instance's /etc/passwd (and, as Amazon
// Linux's USERGROUPS_ENAB does, a group of the same name): a system user
// (-r) gets the highest free id below 1000, others the lowest from 1000; a
// home directory is made with -m (the default for non-system users). An
// existing user is exit code 9, as useradd's.
func (g *guest) useradd(args []string) (string, int) {
	var system, create, noCreate bool
	var name, home, shell = "", "", "/bin/bash"
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if _, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(a, "--") {
				return v
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-r" || a == "--system":
			system = true
		case a == "-m" || a == "--create-home":
			create = true
		case a == "-M" || a == "--no-create-home":
			noCreate = true
		case a == "-s" || strings.HasPrefix(a, "--shell"):
			shell = val()
		case a == "-d" || strings.HasPrefix(a, "--home-dir"):
			home = val()
		case a == "-u" || a == "-g" || a == "-G" || a == "-c" || strings.HasPrefix(a, "--uid") || strings.HasPrefix(a, "--gid") ||
			strings.HasPrefix(a, "--groups") || strings.HasPrefix(a, "--comment"):
			val()
		case strings.HasPrefix(a, "-"):
		default:
			name = a
		}
	}
	if name == "" {
		return "Usage: useradd [options] LOGIN\n", 2
	}
	if _, _, _, ok := g.lookupUser(name); ok {
		return fmt.Sprintf("useradd: user '%s' already exists\n", name), 9
	}
	passwd := filepath.Join(g.root, "etc/passwd")
	b, _ := os.ReadFile(passwd)
	used := map[int]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, ":"); len(f) > 2 {
			n, _ := strconv.Atoi(f[2])
			used[n] = true
		}
	}
	id := 1000
	if system {
		id = 999
		for used[id] {
			id--
		}
	} else {
		for used[id] {
			id++
		}
	}
	if home == "" {
		home = "/home/" + name
	}
	if create || (!system && !noCreate) {
		_ = os.MkdirAll(g.path(home), 0o700)
		if os.Geteuid() == 0 {
			_ = os.Chown(g.path(home), id, id)
		}
	}
	if err := appendLine(passwd, fmt.Sprintf("%s:x:%d:%d::%s:%s", name, id, id, home, shell)); err != nil {
		return "useradd: " + err.Error() + "\n", 1
	}
	if err := appendLine(filepath.Join(g.root, "etc/group"), fmt.Sprintf("%s:x:%d:", name, id)); err != nil {
		return "useradd: " + err.Error() + "\n", 1
	}
	return "", 0
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(line + "\n")
	return err
}

// packages is dnf/yum against the "image": the instance has no package
// repository, so `install` succeeds for a package whose command the host
// has (it is "already installed") and fails as dnf does for any other;
// update, upgrade, makecache and clean have nothing to do.
func packages(cmd string, args []string) (string, int) {
	var verb string
	var pkgs []string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
		case verb == "":
			verb = a
		default:
			pkgs = append(pkgs, a)
		}
	}
	switch verb {
	case "update", "upgrade", "makecache", "clean", "check-update":
		return "Nothing to do.\n", 0
	case "install":
		var out strings.Builder
		code := 0
		for _, p := range pkgs {
			if _, err := exec.LookPath(p); err == nil {
				fmt.Fprintf(&out, "Package %s is already installed.\n", p)
				continue
			}
			fmt.Fprintf(&out, "Error: Unable to find a match: %s\n", p)
			code = 1
		}
		return out.String(), code
	}
	return fmt.Sprintf("%s: %q is not supported by the sandbox (install, update, upgrade, makecache, clean)\n", cmd, verb), 1
}
