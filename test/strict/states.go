package strict

import (
	"bytes"
	"regexp"
	"time"
)

// State machines with compressed durations.

// lbProvisioning mirrors a new load balancer's state: "provisioning" until
// it is ready, then "active" (ELBv2 API reference, LoadBalancerState:
// active | provisioning | active_impaired | failed); hashicorp/aws
// internal/service/elbv2/load_balancer.go waits for it in
// waitLoadBalancerActive (Pending provisioning, Target active).
func lbProvisioningRule() *rule {
	return &rule{name: LBProvisioning,
		after: func(l *Layer, c *call, resp *response) bool {
			if c.Service != "elasticloadbalancing" || !resp.ok() {
				return false
			}
			switch c.Action {
			case "CreateLoadBalancer":
				l.remember(l.st.lbCreated, first(resp.body, "LoadBalancerArn"), c.now)
			case "DescribeLoadBalancers":
				l.mu.Lock()
				defer l.mu.Unlock()
				out, changed := rewriteBlocks(resp.body, "member", func(b []byte) []byte {
					arn := first(b, "LoadBalancerArn")
					if !within(l.st.lbCreated[arn], l.opts.LBProvisioning, c.now) {
						return b
					}
					return bytes.Replace(b, []byte("<State><Code>active</Code>"), []byte("<State><Code>provisioning</Code>"), 1)
				})
				resp.body = out
				return changed
			}
			return false
		}}
}

// dbLife is what the layer saw of one database.
type dbLife struct {
	created, modified, deleted time.Time
	backups                    bool
	mod                        *dbModification // the last modification applied immediately
	deletingXML                []byte          // the <DBInstance> element DeleteDBInstance answered
}

// dbStates mirrors RDS's instance states (RDS User Guide, "Viewing Amazon
// RDS DB instance status"): creating (no Endpoint yet: DBInstance.Endpoint
// "might not be shown until the DB instance is available", RDS API
// reference, DBInstance), backing-up (the first automated backup right after
// creation when BackupRetentionPeriod > 0), modifying with
// PendingModifiedValues after ModifyDBInstance with ApplyImmediately, and
// deleting before DBInstanceNotFound. hashicorp/aws
// internal/service/rds/instance.go waits through the same states
// (waitDBInstanceAvailable's pending list, waitDBInstanceDeleted).
func dbStatesRule() *rule {
	return &rule{name: DBStates,
		before: func(l *Layer, c *call) *apiError {
			if c.is("rds", "ModifyDBInstance") && c.params.Get("ApplyImmediately") == "true" {
				c.dbModification = l.dbBeforeModify(c)
			}
			return nil
		},
		after: func(l *Layer, c *call, resp *response) bool {
			if c.Service != "rds" {
				return false
			}
			id := c.params.Get("DBInstanceIdentifier")
			switch c.Action {
			case "CreateDBInstance":
				if resp.ok() {
					l.mu.Lock()
					l.st.dbs[id] = &dbLife{created: c.now, backups: c.params.Get("BackupRetentionPeriod") != "0"}
					l.mu.Unlock()
				}
			case "ModifyDBInstance":
				if m := c.dbModification; resp.ok() && m != nil {
					l.mu.Lock()
					defer l.mu.Unlock()
					d := l.db(id)
					d.modified, d.mod = c.now.Add(l.dbModifyLag()), m
					// AWS answers the call with the settings in effect and
					// the asked ones pending, as its describes do.
					out, changed := rewriteBlocks(resp.body, "DBInstance", func(b []byte) []byte { return m.showBefore(b, m.pending) })
					resp.body = out
					return changed
				}
			case "DeleteDBInstance":
				if resp.ok() {
					if b := blocks(resp.body, "DBInstance"); len(b) > 0 {
						l.mu.Lock()
						d := l.db(id)
						d.deleted, d.deletingXML = c.now, append([]byte(nil), resp.body[b[0][0]:b[0][1]]...)
						l.mu.Unlock()
					}
				}
			case "DescribeDBInstances":
				return l.rewriteDBs(c, resp, id)
			}
			return false
		}}
}

// db returns the life of id, starting one for a database created before
// the layer saw it. Callers hold l.mu.
func (l *Layer) db(id string) *dbLife {
	d := l.st.dbs[id]
	if d == nil {
		d = &dbLife{}
		l.st.dbs[id] = d
	}
	return d
}

var (
	reStatus   = regexp.MustCompile(`<DBInstanceStatus>[^<]*</DBInstanceStatus>`)
	reEndpoint = regexp.MustCompile(`<Endpoint>.*?</Endpoint>`)
	rePending  = regexp.MustCompile(`<PendingModifiedValues>.*?</PendingModifiedValues>|<PendingModifiedValues/>`)
)

// status is the state AWS would show now, or "" to keep moto's.
func (d *dbLife) status(o Options, now time.Time) string {
	switch {
	case within(d.deleted, o.DBDeleting, now):
		return "deleting"
	case within(d.created, o.DBCreating, now):
		return "creating"
	case d.backups && within(d.created.Add(o.DBCreating), o.DBBackingUp, now):
		return "backing-up"
	case within(d.modified, o.DBModifying, now):
		return "modifying"
	}
	return ""
}

func (l *Layer) rewriteDBs(c *call, resp *response, id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	changed := false
	// A database being deleted is gone from moto already: answer with what
	// DeleteDBInstance returned, as AWS still lists it while deleting.
	if id != "" && !resp.ok() && bytes.Contains(resp.body, []byte("DBInstanceNotFound")) {
		if d := l.st.dbs[id]; d != nil && d.status(l.opts, c.now) == "deleting" {
			resp.status, resp.body = 200, []byte(`<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">`+
				`<DescribeDBInstancesResult><DBInstances>`+string(d.deletingXML)+`</DBInstances></DescribeDBInstancesResult>`+
				`<ResponseMetadata><RequestId>`+requestID()+`</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`)
			resp.header.Set("Content-Type", "text/xml")
			return true
		}
		return false
	}
	if !resp.ok() {
		return false
	}
	if id == "" {
		for _, d := range l.st.dbs {
			if d.status(l.opts, c.now) == "deleting" && len(d.deletingXML) > 0 {
				resp.body = bytes.Replace(resp.body, []byte("<DBInstances>"), append([]byte("<DBInstances>"), d.deletingXML...), 1)
				changed = true
			}
		}
	}
	out, rewritten := rewriteBlocks(resp.body, "DBInstance", func(b []byte) []byte {
		d := l.st.dbs[first(b, "DBInstanceIdentifier")]
		if d == nil {
			return b
		}
		st := d.status(l.opts, c.now)
		if st == "deleting" {
			return b
		}
		// From the call to the end of the modifying window the settings
		// from before the call are in effect; the asked ones are pending
		// only once the instance is modifying.
		if m := d.mod; m != nil && within(m.called, d.modified.Add(l.opts.DBModifying).Sub(m.called), c.now) {
			pending := ""
			if st == "modifying" {
				pending = m.pending
			}
			b = m.showBefore(b, pending)
		}
		if st == "" {
			return b
		}
		b = reStatus.ReplaceAll(b, []byte("<DBInstanceStatus>"+st+"</DBInstanceStatus>"))
		if st == "creating" {
			b = reEndpoint.ReplaceAll(b, nil)
		}
		return b
	})
	resp.body = out
	return changed || rewritten
}
