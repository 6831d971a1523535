package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are applied in order, each once, recorded in schema_migrations.
// Append only: never edit an applied migration.
var migrations = []string{
	`CREATE TABLE fruits (
		id         bigserial PRIMARY KEY,
		name       text NOT NULL CHECK (name <> ''),
		color      text NOT NULL DEFAULT '',
		quantity   bigint NOT NULL DEFAULT 0 CHECK (quantity >= 0),
		version    bigint NOT NULL DEFAULT 1,
		updated_at timestamptz NOT NULL DEFAULT now()
	)`,
}

// migrateLockID serialises migrations across every instance starting at once.
const migrateLockID = 7_242_019

type pgStore struct{ pool *pgxpool.Pool }

// newPGStore makes a pool (sized by the connection string's pool_max_conns,
// else pgx's default) whose connections take their credentials from creds
// at connect time, so a rotated secret is picked up by new connections. It
// does not connect: callers run migrate, retrying while the database is away.
func newPGStore(connString string, creds func(context.Context) (user, password string, err error)) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("parse database settings: %w", err)
	}
	if creds != nil {
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			u, p, err := creds(ctx)
			if err != nil {
				return err
			}
			cc.User, cc.Password = u, p
			return nil
		}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	return &pgStore{pool: pool}, nil
}

// migrate applies pending migrations under an advisory lock in one transaction.
func (s *pgStore) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockID); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var applied int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for v := applied + 1; v <= len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migrate: version %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate: version %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

const fruitColumns = `id, name, color, quantity, version, updated_at`

func scanFruit(row pgx.Row) (Fruit, error) {
	var f Fruit
	err := row.Scan(&f.ID, &f.Name, &f.Color, &f.Quantity, &f.Version, &f.UpdatedAt)
	return f, err
}

func (s *pgStore) List(ctx context.Context) ([]Fruit, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+fruitColumns+` FROM fruits ORDER BY id`)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Fruit, error) { return scanFruit(r) })
	if out == nil {
		out = []Fruit{}
	}
	return out, err
}

func (s *pgStore) Get(ctx context.Context, id int64) (Fruit, error) {
	f, err := scanFruit(s.pool.QueryRow(ctx, `SELECT `+fruitColumns+` FROM fruits WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Fruit{}, ErrNotFound
	}
	return f, err
}

func (s *pgStore) Create(ctx context.Context, p FruitPatch) (Fruit, error) {
	f := apply(Fruit{}, p)
	if err := validate(f); err != nil {
		return Fruit{}, err
	}
	f, err := scanFruit(s.pool.QueryRow(ctx,
		`INSERT INTO fruits (name, color, quantity) VALUES ($1, $2, $3) RETURNING `+fruitColumns, f.Name, f.Color, f.Quantity))
	return f, mapErr(err)
}

// Update is one statement: the row lock it takes serialises concurrent
// updates, each sees the row as the previous one left it (READ COMMITTED
// re-checks the WHERE clause), so a delta is never lost and a stale version
// never matches.
func (s *pgStore) Update(ctx context.Context, id int64, p FruitPatch) (Fruit, error) {
	if p.Name != nil && *p.Name == "" {
		return Fruit{}, validate(Fruit{})
	}
	f, err := scanFruit(s.pool.QueryRow(ctx, `
		UPDATE fruits SET
			name = coalesce($2, name),
			color = coalesce($3, color),
			quantity = coalesce($4, quantity) + coalesce($5, 0),
			version = version + 1,
			updated_at = now()
		WHERE id = $1 AND ($6::bigint IS NULL OR version = $6)
		RETURNING `+fruitColumns, id, p.Name, p.Color, p.Quantity, p.QuantityDelta, p.Version))
	if errors.Is(err, pgx.ErrNoRows) {
		// Either the fruit is gone or the version precondition failed.
		if _, gerr := s.Get(ctx, id); gerr != nil {
			return Fruit{}, gerr
		}
		return Fruit{}, ErrConflict
	}
	return f, mapErr(err)
}

// mapErr turns constraint violations into ErrInvalid so clients get a 422.
func mapErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23514" || pgErr.Code == "23502") {
		return errors.Join(ErrInvalid, errors.New(strings.TrimSpace(pgErr.Message)))
	}
	return err
}

func (s *pgStore) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
}

func (s *pgStore) Close() { s.pool.Close() }
