package strict

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

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
// back, see dbModifiable below) the settings from before the call, as AWS does
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

// dbSubnetInUseRule refuses ModifyDBSubnetGroup when the new subnet list
// drops a subnet a database of the group runs in; moto accepts any list.
// AWS answers SubnetAlreadyInUse (RDS API reference, ModifyDBSubnetGroup,
// Errors: "The DB subnet is already in use in the Availability Zone"; AWS
// Knowledge Center, "How can I delete a subnet that is in an Amazon RDS DB
// subnet group?": a subnet can leave the group only when no instance runs
// in it). The instance runs in the group's subnet of its zone (primary, and
// the standby's for multi-AZ): a group with one subnet per zone, as a
// stack's, makes that subnet unambiguous; with several in a zone the layer
// takes all of them as in use.
func dbSubnetInUseRule() *rule {
	return &rule{name: DBSubnetInUse,
		before: func(l *Layer, c *call) *apiError {
			if !c.is("rds", "ModifyDBSubnetGroup") {
				return nil
			}
			keep := c.list("SubnetIds.SubnetIdentifier", "") // RDS's query list member name
			if len(keep) == 0 {
				return nil
			}
			if inUse := l.dbSubnetsInUse(c.region, c.params.Get("DBSubnetGroupName")); len(inUse) > 0 {
				var dropped []string
				for _, s := range inUse {
					if !slices.Contains(keep, s) {
						dropped = append(dropped, s)
					}
				}
				if len(dropped) > 0 {
					return errorf(400, "SubnetAlreadyInUse", "Some of the subnets to be deleted are currently in use: %s", strings.Join(dropped, ", "))
				}
			}
			return nil
		}}
}

// dbSubnetsInUse looks in the emulator for the subnets of the group that its
// databases run in. A failed look-up counts as none: the layer adds
// strictness, never outages.
func (l *Layer) dbSubnetsInUse(region, group string) []string {
	ctx, cancel := sideCtx()
	defer cancel()
	out, err := l.side.region(region).rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil {
		return nil
	}
	var inUse []string
	for _, db := range out.DBInstances {
		g := db.DBSubnetGroup
		if g == nil || aws.ToString(g.DBSubnetGroupName) != group {
			continue
		}
		zones := []string{aws.ToString(db.AvailabilityZone), aws.ToString(db.SecondaryAvailabilityZone)}
		for _, s := range g.Subnets {
			if s.SubnetAvailabilityZone != nil && slices.Contains(zones, aws.ToString(s.SubnetAvailabilityZone.Name)) {
				inUse = append(inUse, aws.ToString(s.SubnetIdentifier))
			}
		}
	}
	return inUse
}

// What a DB instance shows while a modification applied immediately is
// under way. AWS keeps the settings in effect in the DBInstance's own
// elements and lists the asked ones in PendingModifiedValues, which holds
// "the new DBInstanceClass for the DB instance that will be applied or is
// currently being applied" (RDS API reference, PendingModifiedValues; RDS
// User Guide, "Using the schedule modifications setting": describe the
// instance and read PendingModifiedValues to see what is pending). Only once
// the modification is done do the elements show the new values and
// PendingModifiedValues empty. moto applies a modification at once, so the
// layer shows the values from before the call until the modifying window
// ends: through the db-lag window (still "available", nothing pending) and
// the modifying one (status "modifying", the asked values pending).

// dbModifiable is one ModifyDBInstance parameter that AWS applies through
// PendingModifiedValues: its member there, and the DBInstance elements that
// show the value in effect (none for a value describe never shows).
type dbModifiable struct {
	param, pending string
	shown          []string
	value          func(*rdstypes.DBInstance) string // the value in effect, "" if unknown
}

func i32(v *int32) string {
	if v == nil {
		return ""
	}
	return strconv.Itoa(int(*v))
}

var dbModifiables = []dbModifiable{
	{"DBInstanceClass", "DBInstanceClass", []string{"DBInstanceClass"}, func(d *rdstypes.DBInstance) string { return aws.ToString(d.DBInstanceClass) }},
	{"AllocatedStorage", "AllocatedStorage", []string{"AllocatedStorage"}, func(d *rdstypes.DBInstance) string { return i32(d.AllocatedStorage) }},
	{"MultiAZ", "MultiAZ", []string{"MultiAZ"}, func(d *rdstypes.DBInstance) string {
		return strconv.FormatBool(aws.ToBool(d.MultiAZ))
	}},
	{"EngineVersion", "EngineVersion", []string{"EngineVersion"}, func(d *rdstypes.DBInstance) string { return aws.ToString(d.EngineVersion) }},
	{"BackupRetentionPeriod", "BackupRetentionPeriod", []string{"BackupRetentionPeriod"}, func(d *rdstypes.DBInstance) string {
		return i32(d.BackupRetentionPeriod)
	}},
	{"StorageType", "StorageType", []string{"StorageType"}, func(d *rdstypes.DBInstance) string { return aws.ToString(d.StorageType) }},
	{"Iops", "Iops", []string{"Iops"}, func(d *rdstypes.DBInstance) string { return i32(d.Iops) }},
	// The port shows in the endpoint (the first <Port> of the instance) and in DbInstancePort.
	{"DBPortNumber", "Port", []string{"Port", "DbInstancePort"}, func(d *rdstypes.DBInstance) string {
		if d.Endpoint != nil && d.Endpoint.Port != nil {
			return i32(d.Endpoint.Port)
		}
		return i32(d.DbInstancePort)
	}},
	{"DBSubnetGroupName", "DBSubnetGroupName", []string{"DBSubnetGroupName"}, func(d *rdstypes.DBInstance) string {
		if d.DBSubnetGroup == nil {
			return ""
		}
		return aws.ToString(d.DBSubnetGroup.DBSubnetGroupName)
	}},
	{"MasterUserPassword", "MasterUserPassword", nil, nil},
	{"NewDBInstanceIdentifier", "DBInstanceIdentifier", nil, nil},
}

// dbModification is one ModifyDBInstance with ApplyImmediately as the layer
// models it.
type dbModification struct {
	called  time.Time         // when the call was made
	pending string            // PendingModifiedValues content while modifying
	before  map[string]string // DBInstance element -> its text before the call
}

// dbBeforeModify reads, before the emulator applies it, what the asked
// settings are now. A failed look-up leaves them unknown: the instance then
// shows moto's values (the layer adds strictness, never outages).
func (l *Layer) dbBeforeModify(c *call) *dbModification {
	m := &dbModification{called: c.now, pending: pendingValues(c), before: map[string]string{}}
	ctx, cancel := sideCtx()
	defer cancel()
	out, err := l.side.region(c.region).rds.DescribeDBInstances(ctx,
		&rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(c.params.Get("DBInstanceIdentifier"))})
	if err != nil || len(out.DBInstances) == 0 {
		return m
	}
	for _, f := range dbModifiables {
		if c.params.Get(f.param) == "" || f.value == nil {
			continue
		}
		if v := f.value(&out.DBInstances[0]); v != "" {
			for _, e := range f.shown {
				m.before[e] = v
			}
		}
	}
	return m
}

// pendingValues is the PendingModifiedValues content a modification shows.
func pendingValues(c *call) string {
	var b bytes.Buffer
	for _, f := range dbModifiables {
		if v := c.params.Get(f.param); v != "" {
			if f.param == "MasterUserPassword" {
				v = "****"
			}
			b.WriteString("<" + f.pending + ">" + esc(v) + "</" + f.pending + ">")
		}
	}
	return b.String()
}

// showBefore puts the values from before the modification back into one
// <DBInstance> element, and sets its PendingModifiedValues to pending ("" for
// none). The emulator's own PendingModifiedValues is set aside first, so that
// only the instance's own elements are restored.
func (m *dbModification) showBefore(b []byte, pending string) []byte {
	b = rePending.ReplaceAll(b, nil)
	for e, v := range m.before {
		re := regexp.MustCompile(`<` + e + `>[^<]*</` + e + `>`)
		if loc := re.FindIndex(b); loc != nil {
			b = slices.Concat(b[:loc[0]], []byte("<"+e+">"+esc(v)+"</"+e+">"), b[loc[1]:])
		}
	}
	if pending != "" {
		b = bytes.Replace(b, []byte("</DBInstance>"), []byte("<PendingModifiedValues>"+pending+"</PendingModifiedValues></DBInstance>"), 1)
	}
	return b
}
