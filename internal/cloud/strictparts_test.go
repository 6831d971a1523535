package cloud

import (
	"context"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// behindStrict puts a strict layer with opts in front of the package's
// emulator and returns a cloud whose calls go through it, recorded.
func behindStrict(t *testing.T, opts strict.Options) (*Cloud, *proxy.Recorder, *strict.Server) {
	t.Helper()
	layer, err := strict.Start(endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(layer.Stop)
	c, rec := recordedCloudTo(t, layer.URL)
	return c, rec, layer
}

// createInOrder creates bp's parts named by keys, in that order, each with
// the references of those before it, and deletes what it created, in
// reverse, when the test ends. The strict layer's summary, when given,
// goes with a failure.
func createInOrder(ctx context.Context, t *testing.T, c *Cloud, bp blueprint.Blueprint, keys []string, layer *strict.Server) engine.Refs {
	t.Helper()
	refs := engine.Refs{}
	t.Cleanup(func() {
		for i := len(keys) - 1; i >= 0; i-- {
			if o, ok := refs[keys[i]]; ok {
				p, _ := bp.Part(keys[i])
				if err := c.Delete(context.Background(), p, o); err != nil {
					t.Errorf("deleting %s: %v", keys[i], err)
				}
			}
		}
	})
	for _, key := range keys {
		p, _ := bp.Part(key)
		o, err := c.Create(ctx, p, refs)
		if err != nil {
			if layer != nil {
				t.Fatalf("creating %s: %v (strict layer: %s)", key, err, layer.Layer.Summary())
			}
			t.Fatalf("creating %s: %v", key, err)
		}
		refs[key] = o
	}
	return refs
}
