package strict

import "time"

// dbLagRule models how RDS's answers trail its calls. Right after
// CreateDBInstance, DescribeDBInstances naming the new instance may answer
// DBInstanceNotFound (404); right after ModifyDBInstance with
// ApplyImmediately, the instance may still show "available" with nothing in
// PendingModifiedValues before it turns "modifying". hashicorp/aws
// internal/service/rds/instance.go waits for both: waitDBInstanceAvailable
// reads for the first time a minute after the call (Delay) and takes
// DBInstanceNotFound as "not yet" (its status function answers nil,
// StateChangeConf's NotFoundChecks). The rule refuses by-identifier
// describes for DBLag after the create, and (with db-states) starts the
// modifying window DBLag after the modification; in the meantime the
// instance shows "available" with nothing pending and (db-states puts them
// back, see dbmodify.go) the settings from before the call, as AWS does
// before it starts.
func dbLagRule() *rule {
	return unknownAfterCreate(DBLag, "rds", "CreateDBInstance", "DescribeDBInstances", "DBInstanceIdentifier",
		func(st *state) map[string]time.Time { return st.dbInvisible }, func(o *Options) time.Duration { return o.DBLag },
		404, "DBInstanceNotFound", "DBInstance %s not found.")
}

// dbModifyLag is how long after ModifyDBInstance the db-states rule starts
// showing "modifying": DBLag with the db-lag rule on, else at once.
func (l *Layer) dbModifyLag() time.Duration {
	if l.opts.Rules[DBLag] {
		return l.opts.DBLag
	}
	return 0
}
