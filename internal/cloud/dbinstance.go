package cloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
	"github.com/hawebapp/terraform-provider-hawebapp/internal/engine"
)

// The database instance. AWS generates the master password and keeps it in
// a Secrets Manager secret (ManageMasterUserPassword): no password ever passes
// through Terraform or the provider.
type dbInstances struct{ *Cloud }

// ErrDeletionProtected is returned (wrapped) by Delete for a protected
// database. It is the engine's sentinel, so a rollback leaves the database
// (and what it needs) at once instead of retrying what cannot succeed.
var ErrDeletionProtected = engine.ErrDeletionProtected

func (c dbInstances) findDBInstanceByID(ctx context.Context, id string) (*rdstypes.DBInstance, error) {
	var found []rdstypes.DBInstance
	pages := rds.NewDescribeDBInstancesPaginator(c.rds, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading DB instance (%s): %w", id, asNotFound(err, "DB instance", id, errCodeDBInstanceNotFound))
		}
		found = append(found, page.DBInstances...)
	}
	if len(found) == 0 || aws.ToString(found[0].DBInstanceIdentifier) != id {
		return nil, notFound("DB instance", id)
	}
	return &found[0], nil
}

func (c dbInstances) create(ctx context.Context, p blueprint.Part, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.DBInstanceProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	db, err := c.findDBInstanceByID(ctx, p.Name)
	switch {
	case err == nil:
		if err := checkOwned(p, "DB instance", p.Name, fromRDSTags(db.TagList)); err != nil {
			return engine.Observation{}, err
		}
		return c.update(ctx, p, engine.Observation{}, refs)
	case !errors.Is(err, ErrNotFound):
		return engine.Observation{}, err
	}
	sg, err := ref(refs, props.SecurityGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	subnets, err := ref(refs, props.SubnetGroupKey)
	if err != nil {
		return engine.Observation{}, err
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(p.Name), Engine: aws.String(props.Engine), DBInstanceClass: aws.String(props.InstanceClass),
		AllocatedStorage: aws.Int32(props.AllocatedStorage), Port: aws.Int32(props.Port), MasterUsername: aws.String(props.Username),
		ManageMasterUserPassword: aws.Bool(props.ManageMasterPassword), StorageEncrypted: aws.Bool(props.StorageEncrypted),
		PubliclyAccessible: aws.Bool(props.PubliclyAccessible), MultiAZ: aws.Bool(props.MultiAZ),
		BackupRetentionPeriod: aws.Int32(props.BackupRetentionDays), DeletionProtection: aws.Bool(props.DeletionProtection),
		DBSubnetGroupName: aws.String(subnets.Name), VpcSecurityGroupIds: []string{sg.ID},
		CopyTagsToSnapshot: aws.Bool(true), Tags: rdsTags(p.Tags),
	}
	if props.EngineVersion != "" {
		in.EngineVersion = aws.String(props.EngineVersion)
	}
	if props.DBName != "" {
		in.DBName = aws.String(props.DBName)
	}
	if storageAutoscaling(props) {
		in.MaxAllocatedStorage = aws.Int32(props.MaxAllocatedStorage)
	}
	if _, err := createCall(ctx, c.rds.CreateDBInstance, in); err != nil {
		return engine.Observation{}, fmt.Errorf("creating DB instance (%s): %w", p.Name, err)
	}
	db, err = c.waitDBInstanceAvailable(ctx, p.Name, dbCreated, nil)
	if err != nil {
		return createdObservation(p, p.Name, p.Name, ""), err
	}
	return dbInstanceObservation(p, db, refs), nil
}

// update modifies, immediately, only what differs, then waits until the
// instance is available again.
func (c dbInstances) update(ctx context.Context, p blueprint.Part, _ engine.Observation, refs engine.Refs) (engine.Observation, error) {
	props, err := props[blueprint.DBInstanceProps](p)
	if err != nil {
		return engine.Observation{}, err
	}
	db, err := c.findDBInstanceByID(ctx, p.Name)
	if err != nil {
		return engine.Observation{}, err
	}
	if aws.ToString(db.DBInstanceStatus) != "available" {
		if db, err = c.waitDBInstanceAvailable(ctx, p.Name, dbUnchanged, nil); err != nil {
			return engine.Observation{}, err
		}
	}
	if e := aws.ToString(db.Engine); e != props.Engine || aws.ToBool(db.StorageEncrypted) != props.StorageEncrypted {
		return engine.Observation{}, fmt.Errorf("updating DB instance (%s): it runs %s with storage encrypted %t, and AWS cannot change the engine or the encryption in place; migrate to a new database",
			p.Name, e, aws.ToBool(db.StorageEncrypted))
	}
	in := &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(p.Name), ApplyImmediately: aws.Bool(true)}
	changed := false
	set := func(differs bool, apply func()) {
		if differs {
			apply()
			changed = true
		}
	}
	set(aws.ToString(db.DBInstanceClass) != props.InstanceClass, func() { in.DBInstanceClass = aws.String(props.InstanceClass) })
	set(aws.ToInt32(db.AllocatedStorage) < props.AllocatedStorage, func() { in.AllocatedStorage = aws.Int32(props.AllocatedStorage) })
	if storageAutoscaling(props) {
		set(maxStorage(db) != props.MaxAllocatedStorage, func() { in.MaxAllocatedStorage = aws.Int32(props.MaxAllocatedStorage) })
	} else {
		// AWS turns storage autoscaling off when the maximum is set equal
		// to the allocated storage (RDS User Guide, "Managing capacity
		// automatically with Amazon RDS storage autoscaling", turning it
		// off; hashicorp/aws rds/instance.go, resourceInstanceUpdate, sends
		// allocated_storage when max_allocated_storage is removed). That is
		// the storage after this modification: AWS's when it grew beyond
		// the desired.
		set(autoscalingOn(db), func() {
			in.MaxAllocatedStorage = aws.Int32(max(aws.ToInt32(db.AllocatedStorage), props.AllocatedStorage))
		})
	}
	set(aws.ToBool(db.MultiAZ) != props.MultiAZ, func() { in.MultiAZ = aws.Bool(props.MultiAZ) })
	set(aws.ToInt32(db.BackupRetentionPeriod) != props.BackupRetentionDays, func() { in.BackupRetentionPeriod = aws.Int32(props.BackupRetentionDays) })
	set(aws.ToBool(db.DeletionProtection) != props.DeletionProtection, func() { in.DeletionProtection = aws.Bool(props.DeletionProtection) })
	set(aws.ToBool(db.PubliclyAccessible) != props.PubliclyAccessible, func() { in.PubliclyAccessible = aws.Bool(props.PubliclyAccessible) })
	set(props.EngineVersion != "" && versionLess(aws.ToString(db.EngineVersion), props.EngineVersion), func() {
		in.EngineVersion, in.AllowMajorVersionUpgrade = aws.String(props.EngineVersion), aws.Bool(majorOf(props.EngineVersion) != majorOf(aws.ToString(db.EngineVersion)))
	})
	set(dbPort(db) != props.Port, func() { in.DBPortNumber = aws.Int32(props.Port) })
	if sg, ok := refs[props.SecurityGroupKey]; ok {
		set(!sameSet(dbSecurityGroups(db), []string{sg.ID}), func() { in.VpcSecurityGroupIds = []string{sg.ID} })
	}
	if g, ok := refs[props.SubnetGroupKey]; ok && db.DBSubnetGroup != nil {
		set(aws.ToString(db.DBSubnetGroup.DBSubnetGroupName) != g.Name, func() { in.DBSubnetGroupName = aws.String(g.Name) })
	}
	if changed {
		if _, err := c.rds.ModifyDBInstance(ctx, in); err != nil {
			return engine.Observation{}, fmt.Errorf("updating DB instance (%s): %w", p.Name, err)
		}
		// Each setting sent differed from AWS's, so no drift left means
		// every asked setting is in effect: the modification has shown.
		inEffect := func(db *rdstypes.DBInstance) bool { return len(dbInstanceDrift(db, props, refs)) == 0 }
		if db, err = c.waitDBInstanceAvailable(ctx, p.Name, dbModified, inEffect); err != nil {
			return engine.Observation{}, err
		}
	}
	if err := addRDSTags(ctx, c.rds, aws.ToString(db.DBInstanceArn), p.Tags, fromRDSTags(db.TagList)); err != nil {
		return engine.Observation{}, fmt.Errorf("updating DB instance (%s): %w", p.Name, err)
	}
	db.TagList = rdsTags(p.Tags)
	return dbInstanceObservation(p, db, refs), nil
}

// delete honours deletion protection (it never turns it off by itself) and
// takes a final snapshot unless told to skip it; an orphan (no properties)
// always gets one, named "<id>-final". A snapshot of that name left by an
// earlier destroy of the same stack is kept: the new one gets a time suffix.
func (c dbInstances) delete(ctx context.Context, p blueprint.Part, cur engine.Observation) error {
	id := cmp.Or(cur.ID, cur.Name, p.Name)
	db, err := c.findDBInstanceByID(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if aws.ToString(db.DBInstanceStatus) != "deleting" {
		if aws.ToBool(db.DeletionProtection) {
			return fmt.Errorf("deleting DB instance (%s): %w: set database.deletion_protection = false and apply, then delete again", id, ErrDeletionProtected)
		}
		in := &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(id)}
		props, ok := p.Props.(blueprint.DBInstanceProps)
		switch {
		case ok && props.SkipFinalSnapshot:
			in.SkipFinalSnapshot = aws.Bool(true)
		case ok && props.FinalSnapshotID != "":
			in.FinalDBSnapshotIdentifier = aws.String(props.FinalSnapshotID)
		default:
			in.FinalDBSnapshotIdentifier = aws.String(id + "-final")
		}
		// A database that is modifying or backing up refuses deletion for a
		// while (InvalidDBInstanceState, RDS API reference DeleteDBInstance).
		err := retryWhile(ctx, "DB instance "+id+" to accept deletion", func(err error) bool {
			return isCode(err, errCodeInvalidDBInstanceState)
		}, func(ctx context.Context) error {
			_, err := c.rds.DeleteDBInstance(ctx, in)
			if isCode(err, errCodeDBSnapshotAlreadyExists) && in.FinalDBSnapshotIdentifier != nil {
				// DBSnapshotAlreadyExists (RDS API reference DeleteDBInstance):
				// never overwrite or fail on an earlier final snapshot.
				taken := aws.ToString(in.FinalDBSnapshotIdentifier)
				in.FinalDBSnapshotIdentifier = aws.String(uniqueSnapshotName(taken, time.Now()))
				if aws.ToString(in.FinalDBSnapshotIdentifier) == taken {
					return err
				}
				_, err = c.rds.DeleteDBInstance(ctx, in)
			}
			if isCode(err, errCodeDBInstanceNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("deleting DB instance (%s): %w", id, err)
		}
	}
	if err := c.waitDBInstanceDeleted(ctx, id); err != nil {
		return fmt.Errorf("deleting DB instance (%s): %w", id, err)
	}
	return nil
}

// Snapshot identifier rules (RDS API reference, CreateDBSnapshot
// DBSnapshotIdentifier; the same for DeleteDBInstance's final snapshot):
// 1 to 255 letters, digits or hyphens, a letter first, no two hyphens in a
// row, no hyphen at the end.
const maxSnapshotIDLength = 255

// uniqueSnapshotName is base with a UTC time suffix to the second, kept
// within the identifier rules: base is cut to fit and loses trailing hyphens.
func uniqueSnapshotName(base string, now time.Time) string {
	suffix := "-" + now.UTC().Format("20060102150405")
	if len(base) > maxSnapshotIDLength-len(suffix) {
		base = base[:maxSnapshotIDLength-len(suffix)]
	}
	return strings.TrimRight(base, "-") + suffix
}

func dbSecurityGroups(db *rdstypes.DBInstance) []string {
	var ids []string
	for _, g := range db.VpcSecurityGroups {
		ids = append(ids, aws.ToString(g.VpcSecurityGroupId))
	}
	return ids
}

func dbPort(db *rdstypes.DBInstance) int32 {
	if db.Endpoint != nil && db.Endpoint.Port != nil {
		return *db.Endpoint.Port
	}
	return aws.ToInt32(db.DbInstancePort)
}

// versionLess compares dotted engine versions numerically ("15.10" > "15.9").
// A newer found version is not drift: AWS applies minor upgrades itself.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(pa), len(pb)) {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			return pa[i] < pb[i]
		}
		if x != y {
			return x < y
		}
	}
	return false // "16" wants any 16.x
}

// storageAutoscaling reports whether the desired database has storage
// autoscaling: a maximum above the allocated storage. Equal (or none) is off,
// and then CreateDBInstance must not carry MaxAllocatedStorage: AWS refuses
// it with InvalidParameterCombination "Max storage size must be greater than
// storage size" (moto accepts equal; the strict layer's validation rule
// answers as AWS does).
func storageAutoscaling(props blueprint.DBInstanceProps) bool {
	return props.MaxAllocatedStorage > props.AllocatedStorage
}

// autoscalingOn reports whether AWS has storage autoscaling on for the
// database: with it off, DescribeDBInstances reports no MaxAllocatedStorage.
func autoscalingOn(db *rdstypes.DBInstance) bool {
	return aws.ToInt32(db.MaxAllocatedStorage) > aws.ToInt32(db.AllocatedStorage)
}

// maxStorage is the storage ceiling as found: absent (autoscaling off) reads
// as the allocated storage, the value a user sets to turn autoscaling off,
// so that configuration shows no drift (hashicorp/aws rds/instance.go
// suppresses the same diff on max_allocated_storage).
func maxStorage(db *rdstypes.DBInstance) int32 {
	if !autoscalingOn(db) {
		return aws.ToInt32(db.AllocatedStorage)
	}
	return aws.ToInt32(db.MaxAllocatedStorage)
}

func majorOf(v string) string { major, _, _ := strings.Cut(v, "."); return major }

func dbInstanceDrift(db *rdstypes.DBInstance, props blueprint.DBInstanceProps, refs engine.Refs) []string {
	var drift []string
	add := func(differs bool, format string, args ...any) {
		if differs {
			drift = append(drift, fmt.Sprintf(format, args...))
		}
	}
	add(aws.ToString(db.Engine) != props.Engine, "engine %s, want %s", aws.ToString(db.Engine), props.Engine)
	add(props.EngineVersion != "" && versionLess(aws.ToString(db.EngineVersion), props.EngineVersion), "engine version %s, want %s", aws.ToString(db.EngineVersion), props.EngineVersion)
	add(aws.ToString(db.DBInstanceClass) != props.InstanceClass, "instance class %s, want %s", aws.ToString(db.DBInstanceClass), props.InstanceClass)
	// Storage autoscaling grows allocated storage: only less than asked is drift.
	add(aws.ToInt32(db.AllocatedStorage) < props.AllocatedStorage, "storage %d GiB, want %d", aws.ToInt32(db.AllocatedStorage), props.AllocatedStorage)
	if storageAutoscaling(props) {
		add(maxStorage(db) != props.MaxAllocatedStorage, "max storage %d GiB, want %d", maxStorage(db), props.MaxAllocatedStorage)
	} else {
		add(autoscalingOn(db), "max storage %d GiB, want storage autoscaling off", aws.ToInt32(db.MaxAllocatedStorage))
	}
	add(aws.ToBool(db.MultiAZ) != props.MultiAZ, "multi-AZ %t, want %t", aws.ToBool(db.MultiAZ), props.MultiAZ)
	add(aws.ToInt32(db.BackupRetentionPeriod) != props.BackupRetentionDays, "backup retention %d days, want %d", aws.ToInt32(db.BackupRetentionPeriod), props.BackupRetentionDays)
	add(aws.ToBool(db.DeletionProtection) != props.DeletionProtection, "deletion protection %t, want %t", aws.ToBool(db.DeletionProtection), props.DeletionProtection)
	add(aws.ToBool(db.PubliclyAccessible) != props.PubliclyAccessible, "publicly accessible %t, want %t", aws.ToBool(db.PubliclyAccessible), props.PubliclyAccessible)
	add(aws.ToBool(db.StorageEncrypted) != props.StorageEncrypted, "storage encrypted %t, want %t (needs a new database)", aws.ToBool(db.StorageEncrypted), props.StorageEncrypted)
	add(dbPort(db) != props.Port, "port %d, want %d", dbPort(db), props.Port)
	if sg, ok := refs[props.SecurityGroupKey]; ok {
		add(!sameSet(dbSecurityGroups(db), []string{sg.ID}), "security groups %s, want %s", words(dbSecurityGroups(db)), sg.ID)
	} else {
		drift = append(drift, "security group "+props.SecurityGroupKey+" missing")
	}
	if g, ok := refs[props.SubnetGroupKey]; ok && db.DBSubnetGroup != nil {
		add(aws.ToString(db.DBSubnetGroup.DBSubnetGroupName) != g.Name, "subnet group %s, want %s", aws.ToString(db.DBSubnetGroup.DBSubnetGroupName), g.Name)
	}
	return drift
}

// dbInstanceProps reads the database back. The final snapshot settings are
// the provider's, not AWS's: they stay zero.
func dbInstanceProps(db *rdstypes.DBInstance, refs engine.Refs) blueprint.DBInstanceProps {
	found := blueprint.DBInstanceProps{
		DatabaseSpec: blueprint.DatabaseSpec{
			Engine: aws.ToString(db.Engine), EngineVersion: aws.ToString(db.EngineVersion), InstanceClass: aws.ToString(db.DBInstanceClass),
			AllocatedStorage: aws.ToInt32(db.AllocatedStorage), MaxAllocatedStorage: maxStorage(db),
			MultiAZ: aws.ToBool(db.MultiAZ), BackupRetentionDays: aws.ToInt32(db.BackupRetentionPeriod),
			DeletionProtection: aws.ToBool(db.DeletionProtection), Port: dbPort(db), DBName: aws.ToString(db.DBName),
			Username: aws.ToString(db.MasterUsername),
		},
		SecurityGroupKey:     refKeyByID(refs, blueprint.KindSecurityGroup, firstOr(dbSecurityGroups(db))),
		StorageEncrypted:     aws.ToBool(db.StorageEncrypted),
		ManageMasterPassword: db.MasterUserSecret != nil,
		PubliclyAccessible:   aws.ToBool(db.PubliclyAccessible),
	}
	if db.DBSubnetGroup != nil {
		found.SubnetGroupKey = refKeyByName(refs, blueprint.KindDBSubnetGroup, aws.ToString(db.DBSubnetGroup.DBSubnetGroupName))
	}
	return found
}

func dbInstanceObservation(p blueprint.Part, db *rdstypes.DBInstance, refs engine.Refs) engine.Observation {
	id := aws.ToString(db.DBInstanceIdentifier)
	tags := fromRDSTags(db.TagList)
	o := newObservation(p, id, id, aws.ToString(db.DBInstanceArn), tags)
	if db.Endpoint != nil {
		o.Attrs["endpoint"] = aws.ToString(db.Endpoint.Address)
	}
	o.Attrs["port"] = strconv.Itoa(int(dbPort(db)))
	if db.MasterUserSecret != nil {
		o.Attrs["secret_arn"] = aws.ToString(db.MasterUserSecret.SecretArn)
	}
	o.Attrs["db_name"] = aws.ToString(db.DBName)
	o.Attrs["status"] = aws.ToString(db.DBInstanceStatus)
	o.Attrs["deletion_protection"] = strconv.FormatBool(aws.ToBool(db.DeletionProtection))
	o.Props = dbInstanceProps(db, refs)
	if props, ok := p.Props.(blueprint.DBInstanceProps); ok {
		o.Drift = append(dbInstanceDrift(db, props, refs), tagDrift(p.Tags, tags)...)
		if props.ManageMasterPassword && db.MasterUserSecret == nil {
			o.Drift = append(o.Drift, "master password not managed in Secrets Manager")
		}
	}
	return o
}
