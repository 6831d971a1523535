package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
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

// systemd is an instance's service manager, the part of systemd a boot
// script uses: unit files under the instance's /etc/systemd/system (read at
// first use and again after daemon-reload, as systemd does), a service's
// ExecStart run in its own process group with the unit's Environment= and
// EnvironmentFile= (a missing file fails the start unless prefixed with
// "-"), as its User= (when the sandbox runs as root; else as the sandbox's
// user, with USER/HOME set as systemd sets them), restarted per Restart= after
// RestartSec= (emulated time) within systemd's start limit (5 starts in 10
// s). Type= is taken as simple: `systemctl start` succeeds once the process
// is forked, and an exec or user failure shows as the service failing.
type systemd struct {
	g *guest

	mu       sync.Mutex
	loaded   map[string]*unit // name -> unit file as last (re)loaded
	services map[string]*service
	frozen   bool
}

type unit struct {
	name, description, user, workdir, restart, wantedBy string
	exec                                                []string
	env                                                 []string
	envFiles                                            []string // "-" prefix: optional
	restartSec                                          time.Duration
}

type service struct {
	u       *unit
	wanted  bool // started and not stopped: a dead process is restarted per Restart=
	killed  bool // stopped by failure injection, started again by recover
	cmd     *exec.Cmd
	done    chan struct{}
	starts  []time.Time
	state   string // active, inactive, failed
	started time.Time
}

const (
	startLimitBurst    = 5
	startLimitInterval = 10 * time.Second
	defaultRestartSec  = 100 * time.Millisecond
)

func (sd *systemd) unitPath(name string) string {
	return filepath.Join(sd.g.root, "etc/systemd/system", name)
}

// load reads name's unit file (the caller holds sd.mu).
func (sd *systemd) load(name string) (*unit, error) {
	if u, ok := sd.loaded[name]; ok {
		return u, nil
	}
	f, err := os.Open(sd.unitPath(name))
	if err != nil {
		return nil, fmt.Errorf("Unit %s not found.", name)
	}
	defer f.Close()
	u := &unit{name: name, restart: "no", restartSec: defaultRestartSec}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch section + "." + k {
		case "Unit.Description":
			u.description = v
		case "Install.WantedBy":
			u.wantedBy = v
		case "Service.ExecStart":
			u.exec = strings.Fields(strings.TrimLeft(v, "-@:+!"))
		case "Service.User":
			u.user = v
		case "Service.WorkingDirectory":
			u.workdir = v
		case "Service.Restart":
			u.restart = v
		case "Service.RestartSec":
			d, err := parseSystemdTime(v)
			if err != nil {
				return nil, fmt.Errorf("%s: RestartSec=%s: %w", name, v, err)
			}
			u.restartSec = d
		case "Service.Environment":
			for _, kv := range strings.Fields(v) {
				u.env = append(u.env, strings.Trim(kv, `"`))
			}
		case "Service.EnvironmentFile":
			u.envFiles = append(u.envFiles, v)
		}
	}
	if len(u.exec) == 0 || !filepath.IsAbs(u.exec[0]) {
		return nil, fmt.Errorf("%s has a bad unit file setting: ExecStart= must name an absolute path", name)
	}
	sd.loaded[name] = u
	return u, nil
}

// parseSystemdTime reads a time span: "2", "2s", "500ms", "1min".
func parseSystemdTime(v string) (time.Duration, error) {
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		return time.Duration(n * float64(time.Second)), nil
	}
	return time.ParseDuration(strings.Replace(v, "min", "m", 1))
}

// systemctl runs `systemctl args...` and returns its output and exit code.
func (sd *systemd) systemctl(args []string) (string, int) {
	var now bool
	var verb string
	var units []string
	for _, a := range args {
		switch {
		case a == "--now":
			now = true
		case strings.HasPrefix(a, "-"): // --quiet, --no-block, --no-pager...
		case verb == "":
			verb = a
		default:
			if !strings.Contains(a, ".") {
				a += ".service"
			}
			units = append(units, a)
		}
	}
	sd.mu.Lock()
	defer sd.mu.Unlock()
	var out strings.Builder
	code := 0
	fail := func(c int, format string, a ...any) { fmt.Fprintf(&out, format+"\n", a...); code = c }
	// eachLoaded hands do each named unit that loads; one that does not
	// fails the command with code c and systemctl's "<failed(name)>: <why>".
	eachLoaded := func(c int, failed func(name string) string, do func(name string, u *unit)) {
		for _, name := range units {
			u, err := sd.load(name)
			if err != nil {
				fail(c, "%s: %v", failed(name), err)
				continue
			}
			do(name, u)
		}
	}
	switch verb {
	case "daemon-reload":
		sd.loaded = map[string]*unit{}
	case "enable", "disable":
		eachLoaded(1, func(string) string { return "Failed to " + verb + " unit" }, func(name string, u *unit) {
			if u.wantedBy == "" {
				fmt.Fprintf(&out, "The unit files have no installation config (WantedBy=...).\n")
			} else if err := sd.link(u, verb == "enable"); err != nil {
				fail(1, "Failed to %s unit: %v", verb, err)
				return
			}
			if now && verb == "enable" {
				sd.start(u)
			} else if now {
				sd.stop(name, false)
			}
		})
	case "start", "restart":
		eachLoaded(5, func(name string) string { return "Failed to start " + name }, func(name string, u *unit) {
			sd.stop(name, false)
			sd.start(u)
		})
	case "stop":
		for _, name := range units {
			sd.stop(name, false)
		}
	case "is-active", "status":
		for _, name := range units {
			st := "inactive"
			if svc := sd.services[name]; svc != nil {
				st = svc.state
			}
			if verb == "status" {
				fmt.Fprintf(&out, "● %s\n     Active: %s\n", name, st)
			} else {
				fmt.Fprintln(&out, st)
			}
			if st != "active" {
				code = 3
			}
		}
	default:
		fail(1, "sandbox systemctl: %q is not supported (daemon-reload, enable, disable, start, restart, stop, is-active, status)", verb)
	}
	return out.String(), code
}

// link creates or removes the unit's symlink in its target's .wants.
func (sd *systemd) link(u *unit, enable bool) error {
	wants := filepath.Join(sd.g.root, "etc/systemd/system", u.wantedBy+".wants")
	link := filepath.Join(wants, u.name)
	if !enable {
		_ = os.Remove(link)
		return nil
	}
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	_ = os.Remove(link)
	return os.Symlink(filepath.Join("/etc/systemd/system", u.name), link)
}

// start starts u's service (the caller holds sd.mu).
func (sd *systemd) start(u *unit) {
	svc := sd.services[u.name]
	if svc == nil {
		svc = &service{}
		sd.services[u.name] = svc
	}
	svc.u, svc.wanted, svc.killed, svc.starts = u, true, false, nil
	sd.run(svc)
}
