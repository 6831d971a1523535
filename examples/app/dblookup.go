package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// The provider starts the fleet beside the database instead of after it, so
// the user data names the database (HAWEBAPP_DB_INSTANCE) instead of giving
// its endpoint, which does not exist while the database is being created.
// The app looks the endpoint up through its instance role (which may
// describe exactly that one database) and keeps trying until it answers.

// dbDescriber is the one RDS call the app makes.
type dbDescriber interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, optFns ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

// errNoEndpoint: the database exists but has no endpoint yet (RDS gives it
// one during creation; DescribeDBInstances leaves Endpoint out until then).
var errNoEndpoint = errors.New("no endpoint yet")

// describeDatabase completes cfg from the database's description: host and,
// the port it listens on and, unless the environment set them, name and secret.
func describeDatabase(ctx context.Context, client dbDescriber, cfg config) (config, error) {
	out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(cfg.DBInstance)})
	if err != nil {
		return cfg, fmt.Errorf("describe database %s: %w", cfg.DBInstance, err)
	}
	if len(out.DBInstances) == 0 {
		return cfg, fmt.Errorf("describe database %s: not found", cfg.DBInstance)
	}
	db := out.DBInstances[0]
	if db.Endpoint == nil || aws.ToString(db.Endpoint.Address) == "" {
		return cfg, fmt.Errorf("database %s is %s: %w", cfg.DBInstance, aws.ToString(db.DBInstanceStatus), errNoEndpoint)
	}
	cfg.DBEndpoint = aws.ToString(db.Endpoint.Address)
	// The endpoint's port is where the database listens, so it wins over the
	// port the user data asked for (on AWS the two agree; a database whose
	// port was changed, or a stand-in on another port, shows the difference).
	if db.Endpoint.Port != nil {
		cfg.DBPort = strconv.Itoa(int(*db.Endpoint.Port))
	}
	if cfg.DBName == "" {
		cfg.DBName = aws.ToString(db.DBName)
	}
	if cfg.DBSecretARN == "" && db.MasterUserSecret != nil {
		cfg.DBSecretARN = aws.ToString(db.MasterUserSecret.SecretArn)
	}
	if cfg.DBSecretARN == "" {
		return cfg, fmt.Errorf("database %s has no managed master secret and HAWEBAPP_DB_SECRET_ARN is unset", cfg.DBInstance)
	}
	return cfg, nil
}

// Lookup backoff: quick at first (the database may be up already), then
// every 10 s, a rate a fleet of instances can keep up for the 10 to 20
// minutes a multi-AZ database takes without crowding the account's RDS API
// rate (RDS throttles describe calls per account and region).
const (
	lookupInitialDelay = 200 * time.Millisecond
	lookupMaxDelay     = 10 * time.Second
)

// lookupDatabase describes the database until it has an endpoint, backing
// off between tries, and returns cfg completed. It ends only with ctx.
// answered is called after each try that found no endpoint yet.
func lookupDatabase(ctx context.Context, client dbDescriber, cfg config, log *slog.Logger, answered func()) (config, error) {
	delay := lookupInitialDelay
	for {
		found, err := describeDatabase(ctx, client, cfg)
		if err == nil {
			return found, nil
		}
		answered()
		log.Warn("database not found yet, retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return cfg, fmt.Errorf("looking up database %s: %w (last: %v)", cfg.DBInstance, ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, lookupMaxDelay)
	}
}

// errDatabaseNotReady is what every request gets while the database is
// still being looked up: the data handlers and /health/db answer 503, /health reports it.
var errDatabaseNotReady = errors.New("database not looked up yet")

// pendingStore stands in for the PostgreSQL store until the lookup is done.
type pendingStore struct {
	mu      sync.Mutex
	store   Store
	closed  bool
	started bool // the first lookup has had its answer
}

// Starting is true until RDS has answered the first lookup (with the
// database, with "no endpoint yet", or with an error): the app's own start,
// one API call long. /health fails meanwhile, so an instance that joins a
// fleet whose database is up (a scale-out, a rollout) gets traffic only
// once it can serve it. Whether the database is up does not count: see
// api.health.
func (p *pendingStore) Starting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.started
}

func (p *pendingStore) markStarted() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
}

func (p *pendingStore) get() (Store, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.store == nil {
		return nil, errDatabaseNotReady
	}
	return p.store, nil
}

// set installs the real store; after Close it closes it instead.
func (p *pendingStore) set(s Store) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.started = true
	if p.closed {
		s.Close()
		return
	}
	p.store = s
}

func (p *pendingStore) List(ctx context.Context) ([]Fruit, error) {
	s, err := p.get()
	if err != nil {
		return nil, err
	}
	return s.List(ctx)
}

func (p *pendingStore) Get(ctx context.Context, id int64) (Fruit, error) {
	s, err := p.get()
	if err != nil {
		return Fruit{}, err
	}
	return s.Get(ctx, id)
}

func (p *pendingStore) Create(ctx context.Context, f FruitPatch) (Fruit, error) {
	s, err := p.get()
	if err != nil {
		return Fruit{}, err
	}
	return s.Create(ctx, f)
}

func (p *pendingStore) Update(ctx context.Context, id int64, f FruitPatch) (Fruit, error) {
	s, err := p.get()
	if err != nil {
		return Fruit{}, err
	}
	return s.Update(ctx, id, f)
}

func (p *pendingStore) Ping(ctx context.Context) error {
	s, err := p.get()
	if err != nil {
		return err
	}
	return s.Ping(ctx)
}

func (p *pendingStore) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.store != nil {
		p.store.Close()
	}
}

// lookUpAndOpen resolves the database in the background and then opens it
// (openDatabase migrates, retrying until the database answers).
func lookUpAndOpen(ctx context.Context, cfg config, log *slog.Logger) (*pendingStore, error) {
	awsCfg, err := loadAWSConfig(ctx, cfg.Region)
	if err != nil {
		return nil, err
	}
	client := rds.NewFromConfig(awsCfg)
	p := &pendingStore{}
	go func() {
		found, err := lookupDatabase(ctx, client, cfg, log, p.markStarted)
		if err != nil {
			return // shutting down
		}
		log.Info("database found", "instance", cfg.DBInstance, "endpoint", found.DBEndpoint)
		pg, err := openDatabase(ctx, found, log)
		if err != nil {
			p.markStarted()
			log.Error("database settings refused", "err", err)
			return
		}
		p.set(pg)
	}()
	return p, nil
}
