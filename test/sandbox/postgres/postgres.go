// Package postgres runs a private PostgreSQL server for tests and for the
// sandbox's stand-in RDS instances. Each server has its own data directory and
// loopback port and is owned by its caller: Stop ends exactly the process
// Start made.
//
// PostgreSQL refuses to run as root, so when the caller is root the server
// runs as the "postgres" user (set directly on the child process, not through
// runuser, so that the parent-death signal and process group reach the
// postmaster itself).
package postgres

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/jackc/pgx/v5"
)

// Options tune Start. The zero value gives user "postgres" with a generated
// password and the database "postgres".
type Options struct {
	User     string
	Password string
	Database string
	// Port to listen on; 0 picks a free one.
	Port int
	// StartTimeout bounds initdb plus the first start; default 60s.
	StartTimeout time.Duration
}

// Server is one running PostgreSQL.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string

	dir  string
	cred *syscall.Credential

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// Available says why PostgreSQL cannot be run here (with what to install),
// or nil.
func Available() error {
	for _, bin := range []string{"initdb", "postgres"} {
		if _, err := Binary(bin); err != nil {
			return err
		}
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return fmt.Errorf("running as root needs a postgres user to run PostgreSQL as (Debian's postgresql package creates it): %w", err)
		}
	}
	return nil
}

// Start initialises a data directory and starts the server.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if opts.User == "" {
		opts.User = "postgres"
	}
	if opts.Password == "" {
		opts.Password = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if opts.Database == "" {
		opts.Database = "postgres"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.Port == 0 {
		p, err := motoserver.FreePort()
		if err != nil {
			return nil, err
		}
		opts.Port = p
	}
	dir, err := os.MkdirTemp("", "hawebapp-pg-")
	if err != nil {
		return nil, fmt.Errorf("creating postgres directory: %w", err)
	}
	s := &Server{Host: "127.0.0.1", Port: opts.Port, User: opts.User, Password: opts.Password, Database: opts.Database, dir: dir}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := s.init(ctx); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	if opts.Database != "postgres" {
		if err := s.exec(ctx, "postgres", "CREATE DATABASE "+pgx.Identifier{opts.Database}.Sanitize()); err != nil {
			s.Stop()
			return nil, fmt.Errorf("creating database %s: %w", opts.Database, err)
		}
	}
	return s, nil
}

// init runs initdb with the superuser and password the caller asked for.
func (s *Server) init(ctx context.Context) error {
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// The temp directory is root's and 0700: the postgres user must reach its data directory.
		if err := os.Chmod(s.dir, 0o755); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(s.dir, "pwfile")
	for _, d := range []string{s.dataDir(), s.sockDir()} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return err
	}
	if s.cred != nil {
		for _, p := range []string{s.dataDir(), s.sockDir(), pwfile} {
			if err := os.Chown(p, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
				return err
			}
		}
	}
	initdb, err := Binary("initdb")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, initdb, "-D", s.dataDir(), "-U", s.User, "--pwfile="+pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "HOME="+s.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, out)
	}
	return os.Remove(pwfile)
}

func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *Server) sockDir() string { return filepath.Join(s.dir, "sock") }

// start runs the postmaster in the foreground (no pg_ctl daemonising) so the
// PID is ours to stop, then waits until it accepts password logins over TCP.
// fsync is off (a killed process loses nothing the OS cache holds), but
// commits stay synchronous: a failover must not lose committed rows.
func (s *Server) start(ctx context.Context) error {
	logFile, err := os.OpenFile(filepath.Join(s.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	postgres, err := Binary("postgres")
	if err != nil {
		logFile.Close()
		return err
	}
	cmd := exec.Command(postgres, "-D", s.dataDir(), "-p", strconv.Itoa(s.Port), "-k", s.sockDir(),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=60")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	delay := 20 * time.Millisecond
	for {
		err := s.exec(ctx, "postgres", "SELECT 1")
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("postgres exited during start-up: %s", s.Log())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

// exec runs one statement as the superuser over TCP with the password, the
// same path an application takes.
func (s *Server) exec(ctx context.Context, db, sql string) error {
	cfg, err := pgx.ParseConfig(s.connString(db))
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(cctx, sql)
	return err
}

func (s *Server) connString(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=disable",
		s.Host, s.Port, quote(s.User), quote(s.Password), quote(db))
}

// ConnString is a libpq keyword/value string for the server's database.
func (s *Server) ConnString() string { return s.connString(s.Database) }

// SetPassword changes the superuser's password (the sandbox copies the RDS
// secret's password here).
func (s *Server) SetPassword(ctx context.Context, password string) error {
	lit := "'" + escape(password) + "'"
	if err := s.exec(ctx, "postgres", "ALTER ROLE "+pgx.Identifier{s.User}.Sanitize()+" PASSWORD "+lit); err != nil {
		return err
	}
	s.Password = password
	return nil
}

// PID is the postmaster's process ID, or 0 when it is not running.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	select {
	case <-s.exited:
		return 0
	default:
		return s.cmd.Process.Pid
	}
}

// Cut stops the server abruptly: every client connection drops and new ones
// are refused until Resume. Committed rows survive (commits are synchronous).
func (s *Server) Cut() { s.kill(syscall.SIGQUIT) }

// Resume starts a Cut server again on the same port and data.
func (s *Server) Resume(ctx context.Context) error { return s.start(ctx) }

// Restart is Cut then Resume at once.
func (s *Server) Restart(ctx context.Context) error {
	s.Cut()
	return s.Resume(ctx)
}

// kill sends sig to the server's process group and waits for it to exit,
// escalating to SIGKILL.
func (s *Server) kill(sig syscall.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	motoserver.StopGroup(cmd, exited, sig, 10*time.Second)
}

// Stop ends the server (fast shutdown) and removes its files.
func (s *Server) Stop() {
	if s == nil {
		return
	}
	s.kill(syscall.SIGINT)
	_ = os.RemoveAll(s.dir)
}

// Log returns the server log so far, for failure reports.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
	return string(b)
}

func quote(v string) string { return "'" + escapeConn(v) + "'" }

func escapeConn(v string) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' || v[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, v[i])
	}
	return string(out)
}

func escape(v string) string {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, v[i])
	}
	return string(out)
}
