package cloud

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	proxy "github.com/hawebapp/terraform-provider-hawebapp/test/recorder"
	"github.com/hawebapp/terraform-provider-hawebapp/test/strict"
)

// TestLoadBalancerAttributesUnknownToPartition applies a load balancer in a
// partition without ARC zonal shift: AWS refuses the key
// zonal_shift.config.enabled as "not recognized" (ValidationError), even
// when false (the strict layer's lb-attributes rule, told the partition
// lacks it). Left false, the attribute is never written; turned on, the key
// is dropped, the rest written, and the apply goes on with the attribute
// reported as AWS has it.
func TestLoadBalancerAttributesUnknownToPartition(t *testing.T) {
	cfg := testConfig(t, nil)
	c, rec, layer := behindStrict(t, strict.Options{Rules: map[strict.Rule]bool{strict.LBAttributes: true},
		UnknownLBAttributes: []string{attrZonalShift}})
	var (
		mu      sync.Mutex
		written []string // the form bodies of ModifyLoadBalancerAttributes
	)
	rec.Before = func(call proxy.Call, _ http.ResponseWriter, r *http.Request) bool {
		if call.Action == "ModifyLoadBalancerAttributes" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			mu.Lock()
			written = append(written, string(b))
			mu.Unlock()
		}
		return false
	}
	ctx := t.Context()
	spec := fullSpec("lb-partition", env.Network(t, cfg))
	bp := blueprint.Build(spec)
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer}
	refs := createInOrder(ctx, t, c, bp, keys, layer)
	mu.Lock()
	for _, body := range written {
		if strings.Contains(body, "zonal_shift") {
			t.Errorf("zonal shift left off, yet written: %s", body)
		}
	}
	if len(written) == 0 {
		t.Errorf("drop_invalid_header_fields (AWS's default false, the stack's true) never written")
	}
	written = nil
	mu.Unlock()

	spec.EnableZonalShift = true
	p, _ := blueprint.Build(spec).Part(blueprint.KeyLoadBalancer)
	o, err := c.Update(ctx, p, refs[blueprint.KeyLoadBalancer], refs)
	if err != nil {
		t.Fatalf("turning on an attribute the partition lacks: %v", err)
	}
	if got := layer.Layer.Fired()[strict.LBAttributes]; got != 1 {
		t.Errorf("lb-attributes fired %d times, want 1 (the one refused key)", got)
	}
	if !strings.Contains(strings.Join(o.Drift, "; "), attrZonalShift+" false, want true") {
		t.Errorf("drift %v, want the attribute AWS did not take", o.Drift)
	}
}
