package strict

import "time"

// defaultSideTimeout bounds each look-up the layer makes in the emulator.
const defaultSideTimeout = 10 * time.Second

// state is what the layer learned from the calls it saw. Guarded by Layer.mu.
type state struct {
	sgCreated      map[string]time.Time // security group ID -> created
	roleCreated    map[string]time.Time // role name -> created
	profileCreated map[string]time.Time // instance profile name -> created
	certCreated    map[string]time.Time // certificate ARN -> created
	ltProfile      map[string]string    // launch template ID and name -> instance profile name
	asgLaunchFail  map[string]launchFailure
	lbCreated      map[string]time.Time // load balancer ARN -> created
	dbs            map[string]*dbLife   // DB identifier -> its life so far
	dbInvisible    map[string]time.Time // DB identifier -> created, not found by it for a while
	groupsHeld     map[string]time.Time // security group ID -> until when a gone LB's or DB's interfaces hold it
	instancesGone  map[string]time.Time // instance ID -> first seen terminated
	buckets        map[string]*bucket   // service -> token bucket
}

func newState() state {
	return state{sgCreated: map[string]time.Time{}, roleCreated: map[string]time.Time{},
		profileCreated: map[string]time.Time{}, certCreated: map[string]time.Time{}, ltProfile: map[string]string{},
		asgLaunchFail: map[string]launchFailure{}, lbCreated: map[string]time.Time{}, dbs: map[string]*dbLife{}, dbInvisible: map[string]time.Time{},
		groupsHeld: map[string]time.Time{}, instancesGone: map[string]time.Time{}, buckets: map[string]*bucket{}}
}

// within reports whether now falls in [since, since+d).
func within(since time.Time, d time.Duration, now time.Time) bool {
	return !since.IsZero() && !now.Before(since) && now.Before(since.Add(d))
}
