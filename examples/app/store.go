package main

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

// Fruit is the one resource the API serves.
type Fruit struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Color     string    `json:"color"`
	Quantity  int64     `json:"quantity"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FruitPatch is the body of POST and PUT. Absent fields keep their value.
// QuantityDelta adds to the stored quantity inside the database, so two
// clients counting stock never overwrite each other's change. Version, when
// given, makes the update conditional: a stale version is a conflict, never a
// silent lost update.
type FruitPatch struct {
	Name          *string `json:"name"`
	Color         *string `json:"color"`
	Quantity      *int64  `json:"quantity"`
	QuantityDelta *int64  `json:"quantity_delta"`
	Version       *int64  `json:"version"`
}

// Errors the handlers map to HTTP status codes.
var (
	ErrNotFound = errors.New("fruit not found")
	ErrConflict = errors.New("fruit was changed by someone else: re-read it and retry with its current version")
	ErrInvalid  = errors.New("invalid fruit")
)

// Store keeps fruits. The memory store serves when no database is configured;
// the PostgreSQL store is the real one.
type Store interface {
	List(ctx context.Context) ([]Fruit, error)
	Get(ctx context.Context, id int64) (Fruit, error)
	Create(ctx context.Context, p FruitPatch) (Fruit, error)
	Update(ctx context.Context, id int64, p FruitPatch) (Fruit, error)
	// Ping says whether the store can serve; /health reports it in its body,
	// /health/db fails on it.
	Ping(ctx context.Context) error
	Close()
}

// validate checks a fruit after a patch is applied, the same way for both stores.
func validate(f Fruit) error {
	if f.Name == "" {
		return errors.Join(ErrInvalid, errors.New("name must not be empty"))
	}
	if f.Quantity < 0 {
		return errors.Join(ErrInvalid, errors.New("quantity must not go below zero"))
	}
	return nil
}

func apply(f Fruit, p FruitPatch) Fruit {
	if p.Name != nil {
		f.Name = *p.Name
	}
	if p.Color != nil {
		f.Color = *p.Color
	}
	if p.Quantity != nil {
		f.Quantity = *p.Quantity
	}
	if p.QuantityDelta != nil {
		f.Quantity += *p.QuantityDelta
	}
	return f
}

type memStore struct {
	mu     sync.Mutex
	next   int64
	fruits map[int64]Fruit
}

func newMemStore() *memStore { return &memStore{next: 1, fruits: map[int64]Fruit{}} }

func (m *memStore) List(context.Context) ([]Fruit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Fruit, 0, len(m.fruits))
	for _, f := range m.fruits {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) Get(_ context.Context, id int64) (Fruit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fruits[id]
	if !ok {
		return Fruit{}, ErrNotFound
	}
	return f, nil
}

func (m *memStore) Create(_ context.Context, p FruitPatch) (Fruit, error) {
	f := apply(Fruit{}, p)
	if err := validate(f); err != nil {
		return Fruit{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f.ID, f.Version, f.UpdatedAt = m.next, 1, time.Now().UTC()
	m.next++
	m.fruits[f.ID] = f
	return f, nil
}

func (m *memStore) Update(_ context.Context, id int64, p FruitPatch) (Fruit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fruits[id]
	if !ok {
		return Fruit{}, ErrNotFound
	}
	if p.Version != nil && *p.Version != f.Version {
		return Fruit{}, ErrConflict
	}
	f = apply(f, p)
	if err := validate(f); err != nil {
		return Fruit{}, err
	}
	f.Version++
	f.UpdatedAt = time.Now().UTC()
	m.fruits[id] = f
	return f, nil
}

func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close()                     {}
