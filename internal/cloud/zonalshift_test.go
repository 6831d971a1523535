package cloud

import (
	"context"
	"testing"
	"time"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
	"github.com/hawebapp/terraform-provider-hawebapp/test/zonalshift"
)

// registrationDelay is how long the ARC emulator keeps a load balancer
// unknown after its zonal shift attribute is turned on.
const registrationDelay = 2 * time.Second

// TestZonalShiftAfterRegistrationDelay enables a load balancer's zonal shift
// integration and starts a shift at once, as one apply that turns on
// enable_zonal_shift and evacuates a zone does. ARC registers the load
// balancer only later (the emulator answers ResourceNotFoundException for
// registrationDelay); the shift still starts.
func TestZonalShiftAfterRegistrationDelay(t *testing.T) {
	cfg := testConfig(t, nil)
	arc, err := zonalshift.Start(endpoint, endpoint, zonalshift.Options{RegistrationDelay: registrationDelay})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(arc.Stop)
	c, rec := recordedCloudTo(t, arc.URL)
	ctx := t.Context()
	spec := fullSpec("zs-registration", env.Network(t, cfg))
	spec.EnableZonalShift = true
	bp := blueprint.Build(spec)
	keys := []string{blueprint.KeyALBSecurityGroup, blueprint.KeyLoadBalancer}
	refs := createInOrder(ctx, t, c, bp, keys, nil)
	enabled := time.Now()
	shift := blueprint.Part{Kind: blueprint.KindZonalShift, Key: "zonal_shift/us-east-1a", Name: "zs-registration-us-east-1a",
		Props: blueprint.ZonalShiftProps{LoadBalancerKey: blueprint.KeyLoadBalancer, Zone: "us-east-1a", Away: true,
			ExpiresIn: time.Hour, RenewWithin: time.Minute, Comment: blueprint.ZonalShiftComment("zs-registration", "us-east-1a")}}
	rec.Reset()
	o, err := c.Create(ctx, shift, refs)
	if err != nil {
		t.Fatalf("zonal shift right after enabling the integration: %v (calls: %s)", err, rec.Summary())
	}
	t.Cleanup(func() {
		if err := c.Delete(context.Background(), shift, o); err != nil {
			t.Errorf("cancelling the shift: %v", err)
		}
	})
	if waited := time.Since(enabled); waited < registrationDelay {
		t.Errorf("shift started after %s, before ARC registered the load balancer (%s)", waited, registrationDelay)
	}
	if n := rec.Counts()["arc-zonal-shift:StartZonalShift"]; n < 2 {
		t.Errorf("StartZonalShift called %d times, want retries while ARC did not know the load balancer (%s)", n, rec.Summary())
	}
}
