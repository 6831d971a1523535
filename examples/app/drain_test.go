package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"

	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
)

// TestProcessSecretAndDrain runs the built app as a real instance would: the
// password comes from Secrets Manager (moto), the schema is migrated at
// start, and SIGTERM lets a request that is in flight finish before exit.
func TestProcessSecretAndDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app binary")
	}
	_, pgsrv := newTestPG(t)
	ctx := context.Background()
	// A missing moto is a missing prerequisite; a moto that is installed but
	// fails to start is a failure, never a skip.
	prereq.Require(t, motoserver.Check("python3"))
	moto, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		t.Fatalf("moto is installed but did not start: %v", err)
	}
	t.Cleanup(moto.Stop)
	appEnv := moto.Env()
	secretARN := storeDBSecret(ctx, t, moto.URL, appEnv["AWS_REGION"], pgsrv, "db")

	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, _ := motoserver.FreePort()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HAWEBAPP_PORT="+strconv.Itoa(port), "HAWEBAPP_LISTEN_HOST=127.0.0.1",
		"HAWEBAPP_DB_ENDPOINT=127.0.0.1", "HAWEBAPP_DB_PORT="+strconv.Itoa(pgsrv.Port), "HAWEBAPP_DB_NAME="+pgsrv.Database,
		"HAWEBAPP_DB_SECRET_ARN="+secretARN, "HAWEBAPP_DB_SSLMODE=disable", "INSTANCE_ID=i-drain", "AVAILABILITY_ZONE=us-east-1a")
	for k, v := range appEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	c := client{t: t, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	env.Until(t, "the app to reach its database", 30*time.Second, func() (bool, string) {
		resp, err := http.Get(c.url + "/health/db")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	if st, body, _ := c.do("POST", "/fruits", map[string]any{"name": "fig"}); st != 201 {
		t.Fatalf("create: %d %v\n%s", st, body, logs.String())
	}

	// Hold the row lock so the next PUT stays in flight across SIGTERM.
	conn, err := pgx.Connect(ctx, pgsrv.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT * FROM fruits WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	result := make(chan int, 1)
	go func() { st, _, _ := c.do("PUT", "/fruits/1", map[string]any{"quantity_delta": 5}); result <- st }()
	env.Until(t, "the PUT to wait on the row lock", 30*time.Second, func() (bool, string) {
		var n int
		_ = pgsrvQuery(ctx, pgsrv, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'`, &n)
		return n > 0, fmt.Sprintf("%d waiting on a lock", n)
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	env.Until(t, "the app to stop accepting", 30*time.Second, func() (bool, string) {
		_, err := http.Get(c.url + "/health")
		return err != nil, "still accepting"
	})
	_ = tx.Rollback(ctx)
	if st := <-result; st != 200 {
		t.Fatalf("in-flight PUT across SIGTERM: got %d, want 200\n%s", st, logs.String())
	}
	if err := <-exited; err != nil {
		t.Fatalf("app exit: %v\n%s", err, logs.String())
	}
}

func pgsrvQuery(ctx context.Context, s interface{ ConnString() string }, sql string, dst any) error {
	conn, err := pgx.Connect(ctx, s.ConnString())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dst)
}

// storeDBSecret keeps the test database's credentials in a Secrets Manager
// secret in moto, as RDS keeps a managed master secret, and returns its ARN.
func storeDBSecret(ctx context.Context, t *testing.T, motoURL, region string, pgsrv *postgres.Server, name string) string {
	t.Helper()
	cfg := env.AWSConfig(motoURL)
	cfg.Region = region
	secret, _ := json.Marshal(map[string]string{"username": pgsrv.User, "password": pgsrv.Password})
	sec, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(string(secret))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(sec.ARN)
}
