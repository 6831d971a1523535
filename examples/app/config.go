package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

type config struct {
	ListenHost   string
	Port         string
	Region       string
	DBEndpoint   string
	DBInstance   string
	DBPort       string
	DBName       string
	DBSecretARN  string
	DBSSLMode    string
	DBMaxConns   int
	InstanceID   string
	AZ           string
	DrainTimeout time.Duration
}

// defaultDBMaxConns is each instance's share of the database's connections.
// Every instance of the fleet holds up to this many, so the fleet's maximum
// size times this must stay below the database's max_connections (RDS:
// LEAST(memory/9531392, 5000) less reserved ones, about 80 on a db.t3.micro),
// with room for instances that are launching or draining during a
// replacement. 4 connections serve a 2-vCPU instance's short queries (a
// request waits for a pooled connection rather than opening more); 10 made a
// 9-instance fleet exhaust the database and answer 503s.
const defaultDBMaxConns = 4

func configFromEnv(getenv func(string) string) (config, error) {
	or := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	c := config{
		ListenHost:   getenv("HAWEBAPP_LISTEN_HOST"),
		Port:         or("HAWEBAPP_PORT", "8080"),
		Region:       or("HAWEBAPP_REGION", getenv("AWS_REGION")),
		DBEndpoint:   getenv("HAWEBAPP_DB_ENDPOINT"),
		DBInstance:   getenv("HAWEBAPP_DB_INSTANCE"),
		DBPort:       getenv("HAWEBAPP_DB_PORT"),
		DBName:       getenv("HAWEBAPP_DB_NAME"),
		DBSecretARN:  getenv("HAWEBAPP_DB_SECRET_ARN"),
		DBSSLMode:    or("HAWEBAPP_DB_SSLMODE", "prefer"),
		DBMaxConns:   defaultDBMaxConns,
		InstanceID:   getenv("INSTANCE_ID"),
		AZ:           getenv("AVAILABILITY_ZONE"),
		DrainTimeout: 30 * time.Second,
	}
	if v := getenv("HAWEBAPP_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("HAWEBAPP_DB_MAX_CONNS must be a positive number of connections, not %q", v)
		}
		c.DBMaxConns = n
	}
	// An explicit endpoint wins over a lookup by identifier (as before the
	// provider gave the identifier).
	if c.DBEndpoint != "" {
		if c.DBPort == "" {
			c.DBPort = "5432"
		}
		var missing []string
		if c.DBName == "" {
			missing = append(missing, "HAWEBAPP_DB_NAME")
		}
		if c.DBSecretARN == "" {
			missing = append(missing, "HAWEBAPP_DB_SECRET_ARN")
		}
		if len(missing) > 0 {
			return c, fmt.Errorf("HAWEBAPP_DB_ENDPOINT is set but %s is not: set it, or unset HAWEBAPP_DB_ENDPOINT to serve from memory", strings.Join(missing, " and "))
		}
	}
	return c, nil
}

// lookupIdentity takes the instance ID and zone from the environment, else
// from IMDSv2 (as on a real instance), else "unknown".
func lookupIdentity(ctx context.Context, c config) Identity {
	id := Identity{InstanceID: c.InstanceID, AvailabilityZone: c.AZ}
	if id.InstanceID != "" && id.AvailabilityZone != "" {
		return id
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	client := imds.New(imds.Options{})
	get := func(path string) string {
		out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: path})
		if err != nil {
			return ""
		}
		defer out.Content.Close()
		b, _ := io.ReadAll(out.Content)
		return strings.TrimSpace(string(b))
	}
	if id.InstanceID == "" {
		id.InstanceID = get("instance-id")
	}
	if id.AvailabilityZone == "" && ctx.Err() == nil {
		id.AvailabilityZone = get("placement/availability-zone")
	}
	if id.InstanceID == "" {
		id.InstanceID = "unknown"
	}
	if id.AvailabilityZone == "" {
		id.AvailabilityZone = "unknown"
	}
	return id
}

// secretCredentials reads the database user and password from Secrets
// Manager (the RDS managed master secret), caching them for a while so a
// rotated password reaches new connections without a restart.
type secretCredentials struct {
	client *secretsmanager.Client
	arn    string

	mu       sync.Mutex
	user     string
	password string
	fetched  time.Time
}

const secretTTL = 5 * time.Minute

func newSecretCredentials(ctx context.Context, region, arn string) (*secretCredentials, error) {
	cfg, err := loadAWSConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	return &secretCredentials{client: secretsmanager.NewFromConfig(cfg), arn: arn}, nil
}

// loadAWSConfig is the normal config loading: it honours AWS_ENDPOINT_URL
// (and the per-service AWS_ENDPOINT_URL_*), profiles and the instance role.
func loadAWSConfig(ctx context.Context, region string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	return cfg, nil
}

func (s *secretCredentials) get(ctx context.Context) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.password != "" && time.Since(s.fetched) < secretTTL {
		return s.user, s.password, nil
	}
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &s.arn})
	if err != nil {
		return "", "", fmt.Errorf("read database secret %s: %w", s.arn, err)
	}
	if out.SecretString == nil {
		return "", "", fmt.Errorf("database secret %s has no string value", s.arn)
	}
	var v struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(*out.SecretString), &v); err != nil {
		return "", "", fmt.Errorf("database secret %s is not JSON with username and password: %w", s.arn, err)
	}
	if v.Username == "" || v.Password == "" {
		return "", "", errors.New("database secret " + s.arn + " lacks username or password")
	}
	s.user, s.password, s.fetched = v.Username, v.Password, time.Now()
	return s.user, s.password, nil
}
