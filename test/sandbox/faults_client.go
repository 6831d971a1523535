package sandbox

import "context"

// Go helpers over POST /_sandbox/fail for the zone-wide faults, for suites
// that inject them (README: zone impairment, gray failure).

// ImpairZone starts the FIS "AZ Availability: Power Interruption" fault in
// zone: power lost, launches of types (every type if none) refused with
// InsufficientInstanceCapacity, databases whose primary is there failed
// over. It returns once the power is off and the databases are cut.
func (c *Client) ImpairZone(ctx context.Context, zone string, types ...string) error {
	return c.Fail(ctx, Failure{Kind: "impair", Zone: zone, InstanceTypes: types})
}

// RecoverZone ends zone's impairment.
func (c *Client) RecoverZone(ctx context.Context, zone string) error {
	return c.Fail(ctx, Failure{Kind: "impair", Zone: zone, Recover: true})
}

// GrayZone starts a gray failure in zone: slowPercent of its instances' new
// connections wait ms milliseconds, dropPercent are reset.
func (c *Client) GrayZone(ctx context.Context, zone string, ms, slowPercent, dropPercent int) error {
	return c.Fail(ctx, Failure{Kind: "gray", Zone: zone, MS: ms, SlowPercent: slowPercent, DropPercent: dropPercent})
}

// EndGray ends zone's gray failure.
func (c *Client) EndGray(ctx context.Context, zone string) error {
	return c.Fail(ctx, Failure{Kind: "gray", Zone: zone, Recover: true})
}

// EventsOf are the events of kind in evs for which match (nil: any) holds,
// oldest first: e.g. the launches refused in a zone, to count.
func EventsOf(evs []Event, kind string, match func(Event) bool) []Event {
	var out []Event
	for _, e := range evs {
		if e.Kind == kind && (match == nil || match(e)) {
			out = append(out, e)
		}
	}
	return out
}

// ShortZone makes zone short of types (every type if none): their launches
// there fail with InsufficientInstanceCapacity, the power stays on, and a
// group with a prioritized mixed instances policy launches its next type.
// RecoverZone ends it.
func (c *Client) ShortZone(ctx context.Context, zone string, types ...string) error {
	return c.Fail(ctx, Failure{Kind: "short", Zone: zone, InstanceTypes: types})
}
