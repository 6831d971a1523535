package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/prereq"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// TestDatabaseFromManagedSecret: an RDS instance with a managed master
// secret becomes a PostgreSQL whose password is the secret's; instances whose
// user data names the database reach it the way they would on AWS, share its
// data, and survive a failover. "by identifier" is what the provider's user
// data does: the instances boot before the database exists and look its
// endpoint and secret up with DescribeDBInstances (the sandbox answers them
// with the local server's address); "by endpoint" is the older form.
func TestDatabaseFromManagedSecret(t *testing.T) {
	prereq.Require(t, postgres.Available())
	for _, byID := range []bool{true, false} {
		name := map[bool]string{true: "by identifier", false: "by endpoint"}[byID]
		t.Run(name, func(t *testing.T) { testDatabaseFromManagedSecret(t, byID) })
	}
}

func testDatabaseFromManagedSecret(t *testing.T, byID bool) {
	ctx := context.Background()
	sb := startSandbox(t, sandbox.Options{})
	cfg := env.AWSConfig(sb.Endpoint)
	var s *stack
	if byID {
		// The fleet first, as the provider now creates it beside the database.
		s = newStack(t, sb, stackSpec{name: "db", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1,
			userData: "#!/bin/bash\nmkdir -p /etc/hawebapp\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\nHAWEBAPP_PORT=8080\nHAWEBAPP_DB_INSTANCE=fruitdb\nHAWEBAPP_DB_NAME=fruits\nHAWEBAPP_ENV\n"})
	}
	rc := rds.NewFromConfig(cfg)
	db, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("fruitdb"), Engine: aws.String("postgres"),
		DBInstanceClass: aws.String("db.t3.micro"), AllocatedStorage: aws.Int32(20), DBName: aws.String("fruits"),
		MasterUsername: aws.String("fruitadmin"), ManageMasterUserPassword: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	in := db.DBInstance
	if in.MasterUserSecret == nil {
		t.Fatal("moto returned no managed master secret")
	}
	secretARN := aws.ToString(in.MasterUserSecret.SecretArn)
	if !byID {
		endpoint, port := aws.ToString(in.Endpoint.Address), aws.ToInt32(in.Endpoint.Port)
		userData := fmt.Sprintf("#!/bin/bash\nmkdir -p /etc/hawebapp\ncat > /etc/hawebapp/env <<'HAWEBAPP_ENV'\nHAWEBAPP_PORT=8080\nHAWEBAPP_DB_ENDPOINT=%s\nHAWEBAPP_DB_PORT=%d\nHAWEBAPP_DB_NAME=fruits\nHAWEBAPP_DB_SECRET_ARN=%s\nHAWEBAPP_ENV\n",
			endpoint, port, secretARN)
		// The database must be up (its password set from the secret) before
		// instances are told about it; the admin API says when.
		env.Until(t, "the database to run", 60*time.Second, func() (bool, string) {
			st, err := sb.Client().State(ctx)
			if err != nil {
				return false, err.Error()
			}
			return len(st.Databases) == 1 && st.Databases[0].PID != 0, fmt.Sprintf("%+v", st.Databases)
		})
		s = newStack(t, sb, stackSpec{name: "db", zones: []string{"us-east-1a", "us-east-1b"}, perZone: 1, userData: userData})
	}
	// /health is shallow (a database away must not fail the fleet's checks):
	// the deep /health/db answering 200 from both instances proves the
	// secret's password works.
	ids := s.waitHealthy(2)
	url := s.url()
	reached := map[string]bool{}
	env.Until(t, "both instances to reach the database (/health/db 200)", 60*time.Second, func() (bool, string) {
		st, served, err := get(url + "/health/db")
		if err == nil && st == 200 {
			reached[served] = true
		}
		return len(reached) == len(ids), fmt.Sprintf("last %d %v; reached %v of %v", st, err, reached, ids)
	})

	sec, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretARN)})
	if err != nil {
		t.Fatal(err)
	}
	var creds struct{ Username, Password string }
	_ = json.Unmarshal([]byte(aws.ToString(sec.SecretString)), &creds)
	if creds.Password == "" {
		t.Fatalf("secret has no password: %s", aws.ToString(sec.SecretString))
	}

	body, _ := json.Marshal(map[string]any{"name": "mango", "quantity": 7})
	resp, err := http.Post(url+"/fruits", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create through the load balancer: %v %v", resp, err)
	}
	resp.Body.Close()
	// Every instance sees the row: they share the one database.
	servedBy := map[string]bool{}
	env.Until(t, "both instances to serve the fruit", 30*time.Second, func() (bool, string) {
		st, served, err := get(url + "/fruits/1")
		if err == nil && st == 200 {
			servedBy[served] = true
		}
		return len(servedBy) == 2, fmt.Sprint(servedBy)
	})

	// A Multi-AZ failover: connections are cut at once and the database
	// stays unreachable for the failover time before the standby serves the
	// same data.
	failStart := time.Now()
	s.fail(sandbox.Failure{Kind: "database", ID: "fruitdb"})
	if st, _, err := get(url + "/fruits/1"); err == nil && st == 200 {
		t.Fatalf("a read right after the failover began succeeded: the connections were not cut")
	}
	var back time.Time
	env.Until(t, "reads to work after the failover", 60*time.Second, func() (bool, string) {
		st, _, err := get(url + "/fruits/1")
		back = time.Now()
		return err == nil && st == 200, fmt.Sprint(st, err)
	})
	if took := back.Sub(failStart); took < sb.DBFailoverTime() {
		t.Fatalf("the database was back after %s, sooner than a failover takes (%s)", took, sb.DBFailoverTime())
	}
	// The sandbox's event log records the failover and its end.
	env.Until(t, "the failover and its end in the event log", 10*time.Second, func() (bool, string) {
		evs := sb.Events()
		f, ok1 := sandbox.LastEvent(evs, sandbox.EventDatabaseFailover, nil)
		b, ok2 := sandbox.LastEvent(evs, sandbox.EventDatabaseBack, nil)
		if ok1 && ok2 && b.At.Sub(f.At) < sb.DBFailoverTime() {
			t.Fatalf("the event log has the database back %s after its failover, sooner than %s", b.At.Sub(f.At), sb.DBFailoverTime())
		}
		return ok1 && ok2 && f.IDs[0] == "fruitdb", fmt.Sprintf("%+v", evs)
	})
}
