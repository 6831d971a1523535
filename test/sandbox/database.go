package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/hawebapp/terraform-provider-hawebapp/test/motoserver"
	"github.com/hawebapp/terraform-provider-hawebapp/test/sandbox/postgres"
)

// database is a PostgreSQL server standing in for one RDS instance.
type database struct {
	id, address string // moto's identifier and endpoint address
	port        int    // local port, fixed before the server starts so instances can be told

	mu  sync.Mutex
	srv *postgres.Server
	err error
}

// syncDatabases starts a PostgreSQL per new RDS instance (in the background:
// initdb takes a moment) and stops those moto no longer has.
func (s *Sandbox) syncDatabases(ctx context.Context, obs *observed) {
	present := map[string]bool{}
	for _, d := range obs.dbs {
		id := aws.ToString(d.DBInstanceIdentifier)
		if standsIn(s, present, s.dbs, id) {
			continue
		}
		port, err := motoserver.FreePort()
		if err != nil {
			continue
		}
		db := &database{id: id, port: port}
		if d.Endpoint != nil {
			db.address = aws.ToString(d.Endpoint.Address)
		}
		user, password := aws.ToString(d.MasterUsername), ""
		s.mu.Lock()
		password = s.dbPasswords[id]
		s.dbs[id] = db
		s.mu.Unlock()
		secretARN := ""
		if d.MasterUserSecret != nil {
			secretARN = aws.ToString(d.MasterUserSecret.SecretArn)
		}
		name := aws.ToString(d.DBName)
		if name == "" {
			name = "postgres"
		}
		db.mu.Lock()
		go func() {
			defer db.mu.Unlock()
			// The managed secret is the truth the app reads: copy its
			// credentials, whatever MasterUsername said.
			if secretARN != "" {
				if u, p, err := s.secretCredentials(ctx, secretARN); err == nil {
					user, password = u, p
				} else {
					s.logf("database %s: reading its secret: %v", id, err)
				}
			}
			if user == "" {
				user = "postgres"
			}
			db.srv, db.err = postgres.Start(ctx, postgres.Options{User: user, Password: password, Database: name, Port: port})
			if db.err != nil {
				s.logf("database %s: %v", id, db.err)
				return
			}
			s.logf("database %s ready on 127.0.0.1:%d (user %s, database %s)", id, port, user, name)
		}()
	}
	s.mu.Lock()
	var gone []*database
	for id, db := range s.dbs {
		if !present[id] {
			gone = append(gone, db)
			delete(s.dbs, id)
		}
	}
	s.mu.Unlock()
	for _, db := range gone {
		s.bg.Add(1)
		go func() { defer s.bg.Done(); db.stop() }()
	}
}

func (s *Sandbox) secretCredentials(ctx context.Context, arn string) (string, string, error) {
	out, err := s.aws.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", "", err
	}
	var v struct{ Username, Password string }
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
		return "", "", err
	}
	return v.Username, v.Password, nil
}

// failoverTime is how long a Multi-AZ RDS instance is unavailable while it
// fails over to its standby, in emulated time: "typically 60-120 seconds"
// (RDS user guide, "Failing over a Multi-AZ DB instance for Amazon RDS");
// the middle of that range.
const failoverTime = 90 * time.Second

// DBFailoverTime is how long, in real time, a database failover leaves the
// database unreachable in this sandbox.
func (s *Sandbox) DBFailoverTime() time.Duration { return s.emu(failoverTime) }

// failover is an RDS Multi-AZ failover: every connection drops at once, the
// endpoint refuses connections for the failover time, then the standby
// (the same data: replication is synchronous) serves on the same endpoint.
// It returns once the connections are cut; the database comes back in the
// background.
func (s *Sandbox) failover(db *database) error { return s.failoverFor(db, Event{}) }

// failoverFor is failover recording why (ev's Zone and Reason) in its event.
func (s *Sandbox) failoverFor(db *database, ev Event) error {
	db.mu.Lock()
	srv, err := db.srv, db.err
	if srv != nil {
		srv.Cut()
	}
	db.mu.Unlock()
	if srv == nil {
		return err
	}
	ev.Kind, ev.IDs = EventDatabaseFailover, []string{db.id}
	s.record(ev)
	s.logf("database %s failing over (unavailable for %s)", db.id, s.DBFailoverTime())
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		time.Sleep(s.DBFailoverTime()) // the outage itself, not a wait for a condition
		db.mu.Lock()
		defer db.mu.Unlock()
		if err := srv.Resume(context.Background()); err != nil {
			s.logf("database %s after failover: %v", db.id, err)
			return
		}
		s.record(Event{Kind: EventDatabaseBack, IDs: []string{db.id}})
		s.logf("database %s failed over", db.id)
	}()
	return nil
}

func (db *database) stop() {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.srv.Stop()
}

func (db *database) pid() int {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.srv == nil {
		return 0
	}
	return db.srv.PID()
}

// observeCreateDBInstance remembers a given master password (RDS never
// returns it), then lets moto create the instance.
func (s *Sandbox) observeCreateDBInstance(_ http.ResponseWriter, p url.Values) bool {
	if pw := p.Get("MasterUserPassword"); pw != "" {
		s.mu.Lock()
		s.dbPasswords[p.Get("DBInstanceIdentifier")] = pw
		s.mu.Unlock()
	}
	return false
}
