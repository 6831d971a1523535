package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
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
	moto := motoserver.StartT(t)
	appEnv := moto.Env()
	secretARN := storeDBSecret(ctx, t, moto.URL, appEnv["AWS_REGION"], pgsrv, "db")

	app := startApp(t, appEnv,
		"HAWEBAPP_DB_ENDPOINT=127.0.0.1", "HAWEBAPP_DB_PORT="+strconv.Itoa(pgsrv.Port), "HAWEBAPP_DB_NAME="+pgsrv.Database,
		"HAWEBAPP_DB_SECRET_ARN="+secretARN, "HAWEBAPP_DB_SSLMODE=disable", "INSTANCE_ID=i-drain", "AVAILABILITY_ZONE=us-east-1a")
	logs := app.logs

	c := client{t: t, url: fmt.Sprintf("http://127.0.0.1:%d", app.port)}
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
	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
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
	if err := <-app.exited; err != nil {
		t.Fatalf("app exit: %v\n%s", err, logs.String())
	}
}

// appProcess is the built app running as a child process: its port on
// 127.0.0.1, its output, and the error it exits with.
type appProcess struct {
	cmd    *exec.Cmd
	port   int
	logs   *strings.Builder
	exited chan error
}

// startApp builds the app and runs it as an instance would, listening on
// 127.0.0.1 at a free port, with the settings given (KEY=value) and the AWS
// client environment appEnv; its process group is killed when the test ends.
func startApp(t *testing.T, appEnv map[string]string, settings ...string) *appProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, _ := motoserver.FreePort()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HAWEBAPP_PORT="+strconv.Itoa(port), "HAWEBAPP_LISTEN_HOST=127.0.0.1")
	cmd.Env = append(cmd.Env, settings...)
	for k, v := range appEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	app := &appProcess{cmd: cmd, port: port, logs: &strings.Builder{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = app.logs, app.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { app.exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return app
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

type fakeDescriber struct{ db *rdstypes.DBInstance }

func (f fakeDescriber) DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	return &rds.DescribeDBInstancesOutput{DBInstances: []rdstypes.DBInstance{*f.db}}, nil
}

func TestDescribeDatabase(t *testing.T) {
	secret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1"
	ready := &rdstypes.DBInstance{DBInstanceStatus: aws.String("backing-up"), DBName: aws.String("fruits"),
		Endpoint:         &rdstypes.Endpoint{Address: aws.String("db.abc.us-east-1.rds.amazonaws.com"), Port: aws.Int32(5433)},
		MasterUserSecret: &rdstypes.MasterUserSecret{SecretArn: aws.String(secret)}}
	for name, tc := range map[string]struct {
		db      *rdstypes.DBInstance
		env     config
		want    string // host:port/name secret
		wantErr error
	}{
		"creating, no endpoint":                 {db: &rdstypes.DBInstance{DBInstanceStatus: aws.String("creating")}, wantErr: errNoEndpoint},
		"endpoint known":                        {db: ready, want: "db.abc.us-east-1.rds.amazonaws.com:5433/fruits " + secret},
		"environment names, endpoint port wins": {db: ready, env: config{DBPort: "6432", DBName: "other", DBSecretARN: "arn:x"}, want: "db.abc.us-east-1.rds.amazonaws.com:5433/other arn:x"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.env.DBInstance = "fruitdb"
			got, err := describeDatabase(t.Context(), fakeDescriber{tc.db}, tc.env)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "creating") {
					t.Fatalf("err %v, want %v naming the state", err, tc.wantErr)
				}
				return
			}
			if s := fmt.Sprintf("%s:%s/%s %s", got.DBEndpoint, got.DBPort, got.DBName, got.DBSecretARN); err != nil || s != tc.want {
				t.Fatalf("got %s, %v; want %s", s, err, tc.want)
			}
		})
	}
}

// TestProcessLooksUpDatabase runs the built app the way the provider's user
// data now starts it: only the database's identifier is known at boot. The
// app serves at once while DescribeDBInstances answers "creating" without an
// endpoint: /health is 200 (a fleet booting beside a database still being
// created must stay in service), /health/db and data requests 503. It keeps
// asking, and /health/db is 200 once the database has an endpoint that
// answers.
func TestProcessLooksUpDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the app binary")
	}
	_, pgsrv := newTestPG(t)
	ctx := context.Background()
	moto := motoserver.StartT(t) // test/tools/prereqs.sh installs moto
	rec, err := recorder.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rec.Stop)
	appEnv := motoserver.ClientEnv(rec.URL)
	secretARN := storeDBSecret(ctx, t, moto.URL, appEnv["AWS_REGION"], pgsrv, "rds-db")
	// The database as RDS describes it: creating without an endpoint until
	// the test says it is up.
	var mu sync.Mutex
	up, describes := false, 0
	rec.Before = func(c recorder.Call, w http.ResponseWriter, _ *http.Request) bool {
		if c.Action != "DescribeDBInstances" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		describes++
		db := `<DBInstanceStatus>creating</DBInstanceStatus>`
		if up {
			db = fmt.Sprintf(`<DBInstanceStatus>backing-up</DBInstanceStatus><DBName>%s</DBName><Endpoint><Address>127.0.0.1</Address><Port>%d</Port></Endpoint>`+
				`<MasterUserSecret><SecretArn>%s</SecretArn><SecretStatus>active</SecretStatus></MasterUserSecret>`, pgsrv.Database, pgsrv.Port, secretARN)
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprintf(w, `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances><DBInstance>`+
			`<DBInstanceIdentifier>fruitdb</DBInstanceIdentifier>%s</DBInstance></DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>`, db)
		return true
	}

	app := startApp(t, appEnv,
		"HAWEBAPP_DB_INSTANCE=fruitdb", "HAWEBAPP_REGION=us-east-1", "HAWEBAPP_DB_SSLMODE=disable", "INSTANCE_ID=i-lookup", "AVAILABILITY_ZONE=us-east-1a")
	logs, port := app.logs, app.port
	get := func(path string) int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	env.Until(t, "the app to serve and ask RDS twice", 30*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return describes >= 2, fmt.Sprintf("%d DescribeDBInstances calls", describes)
	})
	want := map[string]int{"/health": http.StatusOK, "/health/db": http.StatusServiceUnavailable, "/fruits": http.StatusServiceUnavailable}
	for path, st := range want {
		if got := get(path); got != st {
			t.Fatalf("%s while the database is creating: %d, want %d\n%s", path, got, st, logs.String())
		}
	}
	mu.Lock()
	up = true
	mu.Unlock()
	env.Until(t, "the app to find the database (/health/db 200)", 30*time.Second, func() (bool, string) {
		st := get("/health/db")
		return st == http.StatusOK, fmt.Sprint("status ", st)
	})
	if got := get("/fruits"); got != http.StatusOK {
		t.Fatalf("/fruits once the database answers: %d, want 200\n%s", got, logs.String())
	}
}
