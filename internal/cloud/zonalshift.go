package cloud

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/arczonalshift"
	zstypes "github.com/aws/aws-sdk-go-v2/service/arczonalshift/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// zonalShifts are ARC zonal shifts of the stack's load balancer. ARC shifts
// have no tags: the stack's shift is the active one on its load balancer
// whose comment is blueprint.ZonalShiftComment; any other shift is someone
// else's and never touched.
//
// A part that is not Away stands for a zone that returns: "creating" it
// makes nothing, updating it cancels the stack's shift and waits until the
// zone's targets are healthy again, so the surviving groups, which depend on
// it, shrink only then.
type zonalShifts struct{ *Cloud }

// Error codes of the ARC zonal shift API (API reference, Errors of
// StartZonalShift, UpdateZonalShift, CancelZonalShift).
const (
	errCodeZSResourceNotFound = "ResourceNotFoundException"
	errCodeZSConflict         = "ConflictException"
)

// zonalShiftRegistrationTimeout bounds how long StartZonalShift retries
// ResourceNotFoundException. ARC registers a load balancer itself once its
// zonal shift attribute is on ("Resources are automatically registered with
// ARC by AWS services", API reference, StartZonalShift; a resource "must be
// active and fully provisioned", Developer Guide, "Supported resources"),
// so a shift started right after the attribute is enabled (one apply that
// enables it and evacuates) can find the load balancer unknown for a
// while. Neither AWS nor hashicorp/aws (which has no zonal shift resource)
// gives a number; 5 minutes is the bound this package already gives AWS's
// other propagation delays (ec2PropagationTimeout), long against the seconds
// such registration takes and short enough that a load balancer that is
// really not managed fails the apply soon with what to do.
const zonalShiftRegistrationTimeout = 5 * time.Minute

// expiresIn renders a duration in the API's format: whole minutes with the
// suffix m (API reference, StartZonalShift, expiresIn: "120m").
func expiresIn(d time.Duration) string { return strconv.Itoa(int(d/time.Minute)) + "m" }

// findStackShift returns the stack's active shift on the load balancer
// with the comment, or ErrNotFound. ListZonalShifts lists only active shifts
// when no status is given (API reference, ListZonalShifts).
func (c zonalShifts) findStackShift(ctx context.Context, lbARN, comment string) (*zstypes.ZonalShiftSummary, error) {
	pages := arczonalshift.NewListZonalShiftsPaginator(c.arc, &arczonalshift.ListZonalShiftsInput{
		ResourceIdentifier: aws.String(lbARN), Status: zstypes.ZonalShiftStatusActive})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing zonal shifts of load balancer (%s): %w", arnSuffix(lbARN), err)
		}
		for i, s := range page.Items {
			if aws.ToString(s.Comment) == comment && s.Status == zstypes.ZonalShiftStatusActive {
				return &page.Items[i], nil
			}
		}
	}
	return nil, notFound("zonal shift", comment)
}

// zoneID is the Availability Zone ID of a zone name: ARC names zones by ID
// (StartZonalShift, awayFrom: "for example, use1-az1"), the stack by name.
func (c zonalShifts) zoneID(ctx context.Context, zone string) (string, error) {
	out, err := c.ec2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{zone}})
	if err != nil {
		return "", fmt.Errorf("reading the ID of availability zone %s: %w", zone, err)
	}
	for _, z := range out.AvailabilityZones {
		if aws.ToString(z.ZoneName) == zone {
			return aws.ToString(z.ZoneId), nil
		}
	}
	return "", fmt.Errorf("availability zone %s not found in %s", zone, c.region)
}

func (c zonalShifts) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.ZonalShiftProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	if !props.Away {
		return c.returnZone(ctx, p, props, refs)
	}
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return engine.Observation{}, err
	}
	// The zone's group first: nothing launches into the zone or replaces its
	// instances from here on, and nothing about it is waited for.
	if props.GroupName != "" {
		if err := autoScalingGroups(c).suspendEvacuated(ctx, props.GroupName); err != nil {
			return engine.Observation{}, err
		}
	}
	if cur, err := c.findStackShift(ctx, lb.ARN, props.Comment); err == nil {
		// Only a shift within the renewal margin is renewed: an apply that
		// reaches the shift because the groups it follows changed leaves
		// its expiry, which the plan showed, as it is.
		if expiry := aws.ToTime(cur.ExpiryTime); time.Until(expiry) >= props.RenewWithin {
			return shiftObservation(p, props, lb.ARN, aws.ToString(cur.ZonalShiftId), expiry, time.Now()), nil
		}
		return c.renew(ctx, p, props, lb.ARN, aws.ToString(cur.ZonalShiftId))
	} else if !errors.Is(err, ErrNotFound) {
		return engine.Observation{}, err
	}
	id, err := c.zoneID(ctx, props.Zone)
	if err != nil {
		return engine.Observation{}, err
	}
	out, err := c.start(ctx, lb.Name, &arczonalshift.StartZonalShiftInput{ResourceIdentifier: aws.String(lb.ARN),
		AwayFrom: aws.String(id), ExpiresIn: aws.String(expiresIn(props.ExpiresIn)), Comment: aws.String(props.Comment)})
	switch {
	case isCode(err, errCodeZSResourceNotFound):
		return engine.Observation{}, fmt.Errorf("starting zonal shift of load balancer (%s) away from %s: ARC does not manage the load balancer "+
			"(still unknown after %s): its zonal shift integration (zonal_shift.config.enabled, the stack's enable_zonal_shift) must be on: %w",
			lb.Name, props.Zone, zonalShiftRegistrationTimeout, err)
	case isCode(err, errCodeZSConflict):
		return engine.Observation{}, fmt.Errorf("starting zonal shift of load balancer (%s) away from %s: another zonal shift, practice run or autoshift "+
			"is active on it (ARC shifts a load balancer away from one zone at a time); cancel it or wait for it to end: %w", lb.Name, props.Zone, err)
	case err != nil:
		return engine.Observation{}, fmt.Errorf("starting zonal shift of load balancer (%s) away from %s: %w", lb.Name, props.Zone, err)
	}
	o := shiftObservation(p, props, lb.ARN, aws.ToString(out.ZonalShiftId), aws.ToTime(out.ExpiryTime), time.Now())
	if err := c.waitApplied(ctx, lb.ARN, aws.ToString(out.ZonalShiftId)); err != nil {
		return o, err
	}
	return o, nil
}

// start starts the shift, retrying ResourceNotFoundException (the load
// balancer not registered with ARC yet) for up to
// zonalShiftRegistrationTimeout. Any error is ARC's last one (after the
// bound, ResourceNotFoundException), so the caller can say what to do.
func (c zonalShifts) start(ctx context.Context, lbName string, in *arczonalshift.StartZonalShiftInput) (*arczonalshift.StartZonalShiftOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, zonalShiftRegistrationTimeout)
	defer cancel()
	var (
		out  *arczonalshift.StartZonalShiftOutput
		last error
	)
	err := retryWhile(ctx, "load balancer "+lbName+" to be registered with ARC", func(err error) bool {
		return isCode(err, errCodeZSResourceNotFound)
	}, func(ctx context.Context) error {
		out, last = c.arc.StartZonalShift(ctx, in)
		return last
	})
	if err != nil && last != nil {
		return nil, last // ARC's own error, not the wait's
	}
	return out, err
}

// waitApplied waits until ARC says the shift is the one in effect on the
// load balancer (GetManagedResource, zonalShifts[].appliedStatus APPLIED: of
// several active traffic shifts, the one applied; API reference).
func (c zonalShifts) waitApplied(ctx context.Context, lbARN, id string) error {
	return poll(ctx, "zonal shift "+id+" to be applied", func(ctx context.Context) (bool, string, error) {
		out, err := c.arc.GetManagedResource(ctx, &arczonalshift.GetManagedResourceInput{ResourceIdentifier: aws.String(lbARN)})
		if err != nil {
			return false, "", fmt.Errorf("reading managed resource (%s): %w", arnSuffix(lbARN), err)
		}
		for _, s := range out.ZonalShifts {
			if aws.ToString(s.ZonalShiftId) == id {
				return s.AppliedStatus == zstypes.AppliedStatusApplied, "appliedStatus " + string(s.AppliedStatus), nil
			}
		}
		return false, "not listed on the load balancer", nil
	})
}

// renew sets the shift's expiry to the full ExpiresIn from now.
func (c zonalShifts) renew(ctx context.Context, p blueprint.Part, props blueprint.ZonalShiftProps, lbARN, id string) (engine.Observation, error) {
	out, err := c.arc.UpdateZonalShift(ctx, &arczonalshift.UpdateZonalShiftInput{ZonalShiftId: aws.String(id),
		ExpiresIn: aws.String(expiresIn(props.ExpiresIn))})
	if err != nil {
		return engine.Observation{}, fmt.Errorf("renewing zonal shift (%s) away from %s: %w", id, props.Zone, err)
	}
	o := shiftObservation(p, props, lbARN, id, aws.ToTime(out.ExpiryTime), time.Now())
	return o, c.waitApplied(ctx, lbARN, id)
}

func (c zonalShifts) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.ZonalShiftProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	if !props.Away {
		return c.returnZone(ctx, p, props, refs)
	}
	return c.create(ctx, p, refs) // renews the stack's shift, or starts it again if it just ended
}

// returnZone cancels the stack's shift away from the zone, if one is
// active, and waits until the zone's in-service instances are healthy
// targets again.
func (c zonalShifts) returnZone(ctx context.Context, p blueprint.Part, props blueprint.ZonalShiftProps, refs engine.Refs) (engine.Observation, error) {
	lb, err := ref(refs, props.LoadBalancerKey)
	if err != nil {
		return engine.Observation{}, err
	}
	tg, err := ref(refs, props.TargetGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	group, err := ref(refs, props.AutoScalingGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	if err := c.cancel(ctx, lb.ARN, props); err != nil {
		return engine.Observation{}, err
	}
	g := autoScalingGroups(c)
	err = poll(ctx, "targets of returning zone "+props.Zone+" to be healthy", func(ctx context.Context) (bool, string, error) {
		found, err := g.findGroupByName(ctx, group.Name)
		if err != nil {
			return false, "", err
		}
		return g.allHealthy(ctx, tg.ARN, inService(found))
	})
	if err != nil {
		return engine.Observation{}, err
	}
	return newObservation(p, p.Name, "", "", nil), nil
}

// cancel ends the stack's active shift on the load balancer, if any. A shift
// that ended meanwhile (ConflictException: ZonalShiftStatusNotActive) is
// what cancel wants.
func (c zonalShifts) cancel(ctx context.Context, lbARN string, props blueprint.ZonalShiftProps) error {
	cur, err := c.findStackShift(ctx, lbARN, props.Comment)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = c.arc.CancelZonalShift(ctx, &arczonalshift.CancelZonalShiftInput{ZonalShiftId: cur.ZonalShiftId})
	var ce *zstypes.ConflictException
	if errors.As(err, &ce) && ce.Reason == zstypes.ConflictExceptionReasonZonalShiftStatusNotActive {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cancelling zonal shift (%s) away from %s: %w", aws.ToString(cur.ZonalShiftId), props.Zone, err)
	}
	return nil
}

// delete cancels the stack's shift: traffic returns to the zone.
func (c zonalShifts) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	lbARN := cur.Attrs["load_balancer_arn"]
	comment := cur.Attrs["comment"]
	if props, ok := p.Props.(blueprint.ZonalShiftProps); ok && comment == "" {
		comment = props.Comment
	}
	if lbARN == "" || comment == "" {
		return nil // nothing to find it by: nothing of the stack's is active
	}
	return c.cancel(ctx, lbARN, blueprint.ZonalShiftProps{Comment: comment, Zone: cur.Attrs["zone"]})
}

// shiftObservation describes the stack's active shift; one that expires
// within the renewal margin has drift, so the next apply renews it.
func shiftObservation(p blueprint.Part, props blueprint.ZonalShiftProps, lbARN, id string, expiry, now time.Time) engine.Observation {
	o := newObservation(p, p.Name, id, "", nil)
	o.Attrs["load_balancer_arn"] = lbARN
	o.Attrs["expiry"] = expiry.UTC().Format(time.RFC3339)
	o.Attrs["zone"] = props.Zone
	o.Attrs["comment"] = props.Comment
	o.Props = props
	if !props.Away {
		o.Drift = append(o.Drift, fmt.Sprintf("zonal shift %s away from %s is active, want none (the zone returns)", id, props.Zone))
	} else if left := expiry.Sub(now); left < props.RenewWithin {
		o.Drift = append(o.Drift, fmt.Sprintf("zonal shift %s expires at %s, within the renewal margin of %s", id, expiry.UTC().Format(time.RFC3339), props.RenewWithin))
	}
	return o
}
