package main

import (
	"context"
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

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
)

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
	moto, err := motoserver.Start(ctx, motoserver.Options{})
	if err != nil {
		t.Fatalf("moto is needed (test/tools/prereqs.sh installs it): %v", err)
	}
	t.Cleanup(moto.Stop)
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

	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, _ := motoserver.FreePort()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "HAWEBAPP_PORT="+strconv.Itoa(port), "HAWEBAPP_LISTEN_HOST=127.0.0.1",
		"HAWEBAPP_DB_INSTANCE=fruitdb", "HAWEBAPP_REGION=us-east-1", "HAWEBAPP_DB_SSLMODE=disable", "INSTANCE_ID=i-lookup", "AVAILABILITY_ZONE=us-east-1a")
	for k, v := range appEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
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
