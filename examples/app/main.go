// Command app is the example application hawebapp stacks run: a small JSON
// "fruit API" backed by PostgreSQL (RDS), built to behave well behind a load
// balancer: a shallow /health (200 while the process serves, the database's
// state in its body) and a deep /health/db, the serving instance and zone on
// every answer, and a graceful drain on SIGTERM.
//
// It reads the settings the provider's user data exports:
//
//	HAWEBAPP_PORT            port to listen on (default 8080)
//	HAWEBAPP_REGION          AWS region for RDS and Secrets Manager
//	HAWEBAPP_DB_INSTANCE     RDS instance identifier: the endpoint, port, name and
//	                         secret are looked up (DescribeDBInstances) at boot
//	HAWEBAPP_DB_ENDPOINT     database host, instead of the lookup; neither = in-memory store
//	HAWEBAPP_DB_PORT         database port (default: the instance's, else 5432)
//	HAWEBAPP_DB_NAME         database name (default: the instance's)
//	HAWEBAPP_DB_SECRET_ARN   Secrets Manager secret with {"username","password"}
//	                         (default: the instance's managed master secret)
//	HAWEBAPP_DB_SSLMODE      libpq sslmode (default prefer)
//	HAWEBAPP_DB_MAX_CONNS    most database connections this instance holds (default 4)
//	INSTANCE_ID, AVAILABILITY_ZONE  identity; read from IMDSv2 when unset
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("app stopped", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	id := lookupIdentity(ctx, cfg)
	log = log.With("instance", id.InstanceID, "az", id.AvailabilityZone)

	var store Store = newMemStore()
	switch {
	case cfg.DBEndpoint != "":
		pg, err := openDatabase(ctx, cfg, log)
		if err != nil {
			return err
		}
		store = pg
	case cfg.DBInstance != "":
		// Serve at once (503 on /health/db and data requests) while the database is looked up.
		pending, err := lookUpAndOpen(ctx, cfg, log)
		if err != nil {
			return err
		}
		store = pending
	default:
		log.Warn("no database configured (HAWEBAPP_DB_INSTANCE and HAWEBAPP_DB_ENDPOINT unset): serving from memory")
	}
	defer store.Close()

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, cfg.Port))
	if err != nil {
		return fmt.Errorf("listen on port %s: %w", cfg.Port, err)
	}
	a := &api{id: id, store: store, log: log}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("serving", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: stop accepting, finish what is in flight. The load balancer has
	// already stopped sending (deregistration delay) by the time SIGTERM comes.
	log.Info("draining")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	log.Info("drained")
	return nil
}

// openDatabase builds the PostgreSQL store and migrates it in the background,
// so the app answers (503 on /health/db and data requests) while the database
// is still coming up.
func openDatabase(ctx context.Context, cfg config, log *slog.Logger) (*pgStore, error) {
	creds, err := newSecretCredentials(ctx, cfg.Region, cfg.DBSecretARN)
	if err != nil {
		return nil, err
	}
	// Idle connections go back after a minute, so an instance past a burst
	// leaves its share of the database to the others.
	conn := fmt.Sprintf("host=%s port=%s dbname=%s sslmode=%s connect_timeout=5 pool_max_conns=%d pool_max_conn_idle_time=1m",
		cfg.DBEndpoint, cfg.DBPort, cfg.DBName, cfg.DBSSLMode, cfg.DBMaxConns)
	pg, err := newPGStore(conn, creds.get)
	if err != nil {
		return nil, err
	}
	go func() {
		delay := 100 * time.Millisecond
		for {
			mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := pg.migrate(mctx)
			cancel()
			if err == nil {
				log.Info("database ready", "endpoint", cfg.DBEndpoint)
				return
			}
			log.Warn("database not ready, retrying", "err", err, "in", delay)
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(delay*2, 5*time.Second)
		}
	}()
	return pg, nil
}
