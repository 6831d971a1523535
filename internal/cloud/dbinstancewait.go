package cloud

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Waiting for a DB instance. The SDK's DBInstanceAvailable waiter is wrong
// for us in three ways: it waits through storage-optimization (which can last
// a day although the database serves), it waits out its whole budget on a
// state AWS will never leave by itself (stopped, storage-full,
// incompatible-*), and it believes "available" the first time it sees it,
// which right after ModifyDBInstance may still be the state from before the
// call. These waits poll with the project's backoff instead.

// dbSettleCount is how many consecutive polls must agree before a state is
// believed. hashicorp/aws internal/service/rds/instance.go
// waitDBInstanceAvailableSDKv2 and waitDBInstanceDeleted use a continuous
// target occurrence of 3 for the same reason: describe answers lag behind
// the last call for a while.
const dbSettleCount = 3

// How long RDS's answers may lag behind a call of ours. Our polls start at
// 100 ms, so dbSettleCount reads agree within a second: too soon to believe
// them right after a call RDS has not shown yet. hashicorp/aws
// waitDBInstanceAvailableSDKv2 (the wait after create and after modify)
// reads for the first time a minute after the call (Delay 1 min), then every
// 10 s (PollInterval), and counts DBInstanceNotFound as "not yet" for 20
// reads (StateChangeConf's default NotFoundChecks) before it gives up.
const (
	// dbModifySettle: after ModifyDBInstance, agreeing "available" reads are
	// believed only when they span a minute (the time hashicorp/aws gives
	// RDS to show a modification, its Delay) or when the wait has seen the
	// modification (a state other than available, pending values, or the
	// asked settings in effect): a change RDS has accepted but not yet put
	// in PendingModifiedValues shows as "available" with the settings from
	// before the call until it turns "modifying". The settings in effect
	// change only once the modification is done (RDS API reference,
	// PendingModifiedValues: the new values "that will be applied or [are]
	// currently being applied"), so seeing the asked ones is proof.
	dbModifySettle = time.Minute
	// dbCreateVisible: after CreateDBInstance, DBInstanceNotFound means "not
	// visible yet" for as long as hashicorp/aws tolerates it: its Delay plus
	// 20 not-found reads 10 s apart. After that, or once the instance was
	// seen, not found is an error.
	dbCreateVisible = time.Minute + 20*10*time.Second
)

// dbChange is the call of ours a wait for availability follows.
type dbChange int

const (
	dbUnchanged dbChange = iota // no call of ours: waiting for AWS's own change
	dbCreated                   // CreateDBInstance
	dbModified                  // ModifyDBInstance with ApplyImmediately
)

// dbReadyStates are the states a wait for availability ends in. AWS's status
// table (RDS User Guide, "Viewing Amazon RDS DB instance status") says an
// instance in storage-optimization is operational; hashicorp/aws
// waitDBInstanceAvailableSDKv2 targets both states for that reason.
var dbReadyStates = map[string]bool{"available": true, "storage-optimization": true}

// dbStuckStates are states AWS does not leave by itself: waiting for
// availability fails at once, naming the state and what to do. Every
// "incompatible-" state is stuck too (RDS User Guide, "Viewing Amazon RDS DB
// instance status": incompatible-create, -network, -option-group,
// -parameters, -restore, -credentials). hashicorp/aws keeps storage-full and
// stopping pending; we do not, because neither ends in available unless
// someone acts.
var dbStuckStates = map[string]string{
	"stopped":                             "start it, then apply again",
	"stopping":                            "it is being stopped; start it once stopped, then apply again",
	"storage-full":                        "raise database.allocated_storage (or max_allocated_storage) and apply again",
	"failed":                              "AWS could not recover it; restore it from a snapshot",
	"restore-error":                       "AWS could not restore it; restore it again from another point",
	"inaccessible-encryption-credentials": "its KMS key is disabled or deleted; re-enable the key or restore from a backup",
	"inaccessible-encryption-credentials-recoverable": "its KMS key is disabled; re-enable the key and start the instance",
	"insufficient-capacity":                           "AWS has no capacity for this instance class now; try another class or later",
	"deleting":                                        "it is being deleted",
	"delete-precheck":                                 "it is being deleted",
}

// dbDeletePendingStates are the states a deletion wait polls through: those
// of hashicorp/aws internal/service/rds/instance.go waitDBInstanceDeleted,
// plus stopped (DeleteDBInstance accepts a stopped instance, and the next
// describe may still show it so). Any other state fails the wait.
var dbDeletePendingStates = map[string]bool{
	"available": true, "backing-up": true, "configuring-enhanced-monitoring": true, "configuring-log-exports": true,
	"creating": true, "delete-precheck": true, "deleting": true, "incompatible-parameters": true, "incompatible-restore": true,
	"modifying": true, "starting": true, "stopping": true, "stopped": true, "storage-full": true, "storage-optimization": true,
}

// errDBInstanceStuck is returned (wrapped) when the instance is in a state
// it will not leave by itself.
var errDBInstanceStuck = errors.New("DB instance is in a state AWS does not leave by itself")

// dbAvailability decides one poll of a wait for availability: done when the
// instance is ready (and, after a modification, nothing is pending any more),
// an error for a stuck state, otherwise the state in words.
func dbAvailability(db *rdstypes.DBInstance, afterModify bool) (ready bool, state string, err error) {
	status := aws.ToString(db.DBInstanceStatus)
	if hint, stuck := dbStuckStates[status]; stuck {
		return false, status, fmt.Errorf("%w: %s (%s)", errDBInstanceStuck, status, hint)
	}
	if strings.HasPrefix(status, "incompatible-") {
		return false, status, fmt.Errorf("%w: %s (fix what the state names, see the RDS events of the instance, then apply again)", errDBInstanceStuck, status)
	}
	if !dbReadyStates[status] {
		return false, status, nil
	}
	// ModifyDBInstance with ApplyImmediately lists what it has still to do in
	// PendingModifiedValues (RDS API reference, DBInstance): the change is done
	// only when that is empty. Outside a modification of ours, something
	// pending (left for the maintenance window by someone else) is not waited for.
	if pending := pendingModifications(db.PendingModifiedValues); afterModify && len(pending) > 0 {
		return false, status + ", pending " + strings.Join(pending, ", "), nil
	}
	return true, status, nil
}

// pendingModifications names the fields set in p.
func pendingModifications(p *rdstypes.PendingModifiedValues) []string {
	if p == nil {
		return nil
	}
	var names []string
	v := reflect.ValueOf(*p)
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && !v.Field(i).IsZero() {
			names = append(names, f.Name)
		}
	}
	return names
}

// waitDBInstanceAvailable polls until the instance is ready dbSettleCount
// times in a row. After a modification it also waits for
// PendingModifiedValues to empty, and for the ready reads to span
// dbModifySettle unless the modification has shown (inEffect, when not nil,
// reports whether a read shows every asked setting in effect, each of which
// differed before the call); after a create, not found is "not yet" for
// dbCreateVisible.
func (c dbInstances) waitDBInstanceAvailable(ctx context.Context, id string, after dbChange,
	inEffect func(*rdstypes.DBInstance) bool) (*rdstypes.DBInstance, error) {
	var db *rdstypes.DBInstance
	start := time.Now()
	var runStart time.Time // first read of the current run of ready reads
	seen, changeShown := 0, false
	err := poll(ctx, "DB instance "+id+" to be available", func(ctx context.Context) (bool, string, error) {
		found, err := c.findDBInstanceByID(ctx, id)
		if errors.Is(err, ErrNotFound) && after == dbCreated && db == nil && time.Since(start) < dbCreateVisible {
			return false, "not visible yet after create", nil
		}
		if err != nil {
			return false, "", err
		}
		db = found
		ready, state, err := dbAvailability(found, after == dbModified)
		if !ready {
			seen, changeShown = 0, true
			return false, state, err
		}
		if after == dbModified && !changeShown && inEffect != nil && inEffect(found) {
			// The settings changed: the reads from before that do not count.
			seen, changeShown = 0, true
		}
		if seen == 0 {
			runStart = time.Now()
		}
		seen++
		settled := seen >= dbSettleCount
		if after == dbModified && !changeShown && time.Since(runStart) < dbModifySettle {
			settled = false
			state += " (the modification has not shown yet)"
		}
		return settled, state, nil
	})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// waitDBInstanceDeleted polls until the instance is not found dbSettleCount
// times in a row, through the states hashicorp/aws waits through.
func (c dbInstances) waitDBInstanceDeleted(ctx context.Context, id string) error {
	gone := 0
	return poll(ctx, "DB instance "+id+" deletion", func(ctx context.Context) (bool, string, error) {
		db, err := c.findDBInstanceByID(ctx, id)
		if errors.Is(err, ErrNotFound) {
			gone++
			return gone >= dbSettleCount, "not found", nil
		}
		if err != nil {
			return false, "", err
		}
		gone = 0
		status := aws.ToString(db.DBInstanceStatus)
		if !dbDeletePendingStates[status] {
			return false, status, fmt.Errorf("DB instance %s is %s, which a deletion does not pass through", id, status)
		}
		return false, status, nil
	})
}

// errCodeDBSnapshotAlreadyExists is DeleteDBInstance's answer when the final
// snapshot's identifier is taken (RDS API reference, DeleteDBInstance errors).
const errCodeDBSnapshotAlreadyExists = "DBSnapshotAlreadyExists"
