package strict

import (
	"bytes"
	"strings"
	"time"
)

// Eventual consistency after create: what a create call just made is, for
// a window, unknown to the calls that use it.

// sgNotFound mirrors EC2's eventual consistency: a resource just created
// may not yet be visible to the next calls, which then answer its
// *.NotFound code (EC2 developer guide, "Eventual consistency in the Amazon
// EC2 API"), and
// hashicorp/aws internal/service/ec2/vpc_security_group.go, which after
// CreateSecurityGroup waits in waitSecurityGroupCreated (NotFoundChecks,
// ContinuousTargetOccurence 3) and tags with createTags retrying ".NotFound".
func sgNotFoundRule() *rule {
	return &rule{name: SGNotFound,
		before: func(l *Layer, c *call) *apiError {
			if c.Service != "ec2" {
				return nil
			}
			var ids []string
			switch c.Action {
			case "DescribeSecurityGroups":
				ids = c.list("GroupId", "")
			case "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
				"RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress":
				ids = c.params["GroupId"]
			case "CreateTags":
				ids = c.list("ResourceId", "")
			default:
				return nil
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, id := range ids {
				if within(l.st.sgCreated[id], l.opts.Consistency, c.now) {
					return errorf(400, "InvalidGroup.NotFound", "The security group '%s' does not exist", id)
				}
			}
			return nil
		},
		after: func(l *Layer, c *call, resp *response) bool {
			if c.is("ec2", "CreateSecurityGroup") && resp.ok() {
				if id := first(resp.body, "groupId"); id != "" {
					l.remember(l.st.sgCreated, id, c.now)
				}
			}
			return false
		}}
}

// roleNotFound mirrors IAM's eventual consistency (IAM User Guide,
// troubleshooting: changes made in IAM are not always immediately visible) as
// hashicorp/aws meets it in internal/service/iam/instance_profile.go,
// instanceProfileAddRole, which retries NoSuchEntity "The role with name".
func roleNotFoundRule() *rule {
	return unknownAfterCreate(RoleNotFound, "iam", "CreateRole", "AddRoleToInstanceProfile", "RoleName",
		func(st *state) map[string]time.Time { return st.roleCreated }, func(o *Options) time.Duration { return o.Consistency },
		404, "NoSuchEntity", "The role with name %s cannot be found.")
}

// unknownAfterCreate is a rule for a name that the call using it does not
// know yet for a while after the call that made it: a successful create
// (service's action create) remembers the name (the parameter param) in
// created, and for the window after it the use action naming it is refused
// with status and code, the message being format with the name.
func unknownAfterCreate(name Rule, service, create, use, param string, created func(*state) map[string]time.Time,
	window func(*Options) time.Duration, status int, code, format string) *rule {
	return &rule{name: name,
		before: func(l *Layer, c *call) *apiError {
			key := c.params.Get(param)
			if !c.is(service, use) || key == "" {
				return nil
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			if within(created(&l.st)[key], window(&l.opts), c.now) {
				return errorf(status, code, format, key)
			}
			return nil
		},
		after: func(l *Layer, c *call, resp *response) bool {
			if c.is(service, create) && resp.ok() {
				l.remember(created(&l.st), c.params.Get(param), c.now)
			}
			return false
		}}
}

// certNotFound mirrors a new certificate unknown to Elastic Load Balancing
// for a while: hashicorp/aws internal/service/elbv2/listener.go retries
// CertificateNotFound in retryListenerCreate and around ModifyListener
// ("IAM Server Certificate eventual consistency"); the code is
// CertificateNotFound, HTTP 400 (ELBv2 API reference, CreateListener errors).
func certNotFoundRule() *rule {
	return &rule{name: CertNotFound,
		before: func(l *Layer, c *call) *apiError {
			if c.Service != "elasticloadbalancing" || (c.Action != "CreateListener" && c.Action != "ModifyListener" &&
				c.Action != "AddListenerCertificates") {
				return nil
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			for _, arn := range c.list("Certificates.member", "CertificateArn") {
				if within(l.st.certCreated[arn], l.opts.Consistency, c.now) {
					return errorf(400, "CertificateNotFound", "Certificate '%s' not found", arn)
				}
			}
			return nil
		},
		after: func(l *Layer, c *call, resp *response) bool {
			if !resp.ok() {
				return false
			}
			switch {
			case c.is("acm", "ImportCertificate"), c.is("acm", "RequestCertificate"):
				if arn, _ := decodeJSON(resp.body)["CertificateArn"].(string); arn != "" {
					l.remember(l.st.certCreated, arn, c.now)
				}
			case c.is("iam", "UploadServerCertificate"):
				if arn := first(resp.body, "Arn"); arn != "" {
					l.remember(l.st.certCreated, arn, c.now)
				}
			}
			return false
		}}
}

// profileLaunch mirrors a new instance profile that EC2 does not know yet:
// Auto Scaling's launch fails with "Invalid IAM Instance Profile name" as a
// failed scaling activity, and Auto Scaling retries the launch itself
// (EC2 Auto Scaling User Guide, "Troubleshoot instance launch failure":
// "Invalid IAM Instance Profile name"; hashicorp/aws
// internal/service/iam/instance_profile.go quotes the same message as the
// IAM propagation error). The layer cannot stop moto launching, so for a
// group created while its template's profile is new it hides the group's
// instances until the window ends and reports the failed activity, which
// stays in the group's history as on AWS.
func profileLaunchRule() *rule {
	return &rule{name: ProfileLaunch,
		after: func(l *Layer, c *call, resp *response) bool {
			if !resp.ok() {
				return false
			}
			switch {
			case c.is("iam", "CreateInstanceProfile"):
				l.remember(l.st.profileCreated, c.params.Get("InstanceProfileName"), c.now)
			case c.is("ec2", "CreateLaunchTemplate"), c.is("ec2", "CreateLaunchTemplateVersion"):
				l.learnTemplateProfile(c, resp)
			case c.is("autoscaling", "CreateAutoScalingGroup"):
				l.markLaunchFailure(c)
			case c.is("autoscaling", "DescribeAutoScalingGroups"):
				return l.hideLaunches(c, resp)
			case c.is("autoscaling", "DescribeScalingActivities"):
				return l.addFailedActivities(c, resp)
			}
			return false
		}}
}

func (l *Layer) remember(m map[string]time.Time, key string, at time.Time) {
	if key == "" {
		return
	}
	l.mu.Lock()
	m[key] = at
	l.mu.Unlock()
}

// learnTemplateProfile records which instance profile a template launches with.
func (l *Layer) learnTemplateProfile(c *call, resp *response) {
	profile := c.params.Get("LaunchTemplateData.IamInstanceProfile.Name")
	if arn := c.params.Get("LaunchTemplateData.IamInstanceProfile.Arn"); profile == "" && arn != "" {
		profile = arn[strings.LastIndex(arn, "/")+1:]
	}
	if profile == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{first(resp.body, "launchTemplateId"), first(resp.body, "launchTemplateName"),
		c.params.Get("LaunchTemplateId"), c.params.Get("LaunchTemplateName")} {
		if k != "" {
			l.st.ltProfile[k] = profile
		}
	}
}

// launchFailure is a group whose first launches failed on a new profile.
type launchFailure struct {
	at, until time.Time
	profile   string
}

func (l *Layer) markLaunchFailure(c *call) {
	lt := c.params.Get("LaunchTemplate.LaunchTemplateId")
	if lt == "" {
		lt = c.params.Get("LaunchTemplate.LaunchTemplateName")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	profile := l.st.ltProfile[lt]
	created := l.st.profileCreated[profile]
	if !within(created, l.opts.Consistency, c.now) {
		return
	}
	l.st.asgLaunchFail[c.params.Get("AutoScalingGroupName")] = launchFailure{at: c.now,
		until: created.Add(l.opts.Consistency), profile: profile}
}

// hideLaunches empties the instance list of groups whose launches have not
// succeeded yet.
func (l *Layer) hideLaunches(c *call, resp *response) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.st.asgLaunchFail) == 0 {
		return false
	}
	changed, out := false, resp.body
	for name, f := range l.st.asgLaunchFail {
		if !c.now.Before(f.until) {
			continue
		}
		marker := []byte("<AutoScalingGroupName>" + esc(name) + "</AutoScalingGroupName>")
		at := bytes.Index(out, marker)
		if at < 0 {
			continue
		}
		i := bytes.Index(out[at:], []byte("<Instances>"))
		// The group's own fields end where the next group's name starts.
		next := bytes.Index(out[at+len(marker):], []byte("<AutoScalingGroupName>"))
		if i < 0 || (next >= 0 && at+len(marker)+next < at+i) {
			continue
		}
		i += at
		j := bytes.Index(out[i:], []byte("</Instances>"))
		if j < 0 {
			continue
		}
		j += i + len("</Instances>")
		out = append(append(append([]byte{}, out[:i]...), []byte("<Instances/>")...), out[j:]...)
		changed = true
	}
	resp.body = out
	return changed
}

// addFailedActivities reports the failed launch in the group's history.
func (l *Layer) addFailedActivities(c *call, resp *response) bool {
	name := c.params.Get("AutoScalingGroupName")
	l.mu.Lock()
	f, ok := l.st.asgLaunchFail[name]
	l.mu.Unlock()
	if !ok {
		return false
	}
	msg := "Invalid IAM Instance Profile name. Launching EC2 instance failed."
	act := "<member><ActivityId>" + requestID() + "</ActivityId><AutoScalingGroupName>" + esc(name) +
		"</AutoScalingGroupName><Description>Launching a new EC2 instance.  Status Reason: " + msg +
		"</Description><Cause>At " + f.at.UTC().Format(time.RFC3339) +
		" an instance was started in response to a difference between desired and actual capacity.</Cause><StartTime>" +
		f.at.UTC().Format(time.RFC3339) + "</StartTime><EndTime>" + f.at.UTC().Format(time.RFC3339) +
		"</EndTime><StatusCode>Failed</StatusCode><StatusMessage>" + msg + "</StatusMessage><Progress>100</Progress></member>"
	switch {
	case bytes.Contains(resp.body, []byte("<Activities>")):
		resp.body = bytes.Replace(resp.body, []byte("<Activities>"), []byte("<Activities>"+act), 1)
	case bytes.Contains(resp.body, []byte("<Activities/>")):
		resp.body = bytes.Replace(resp.body, []byte("<Activities/>"), []byte("<Activities>"+act+"</Activities>"), 1)
	case bytes.Contains(resp.body, []byte("</DescribeScalingActivitiesResult>")):
		resp.body = bytes.Replace(resp.body, []byte("</DescribeScalingActivitiesResult>"),
			[]byte("<Activities>"+act+"</Activities></DescribeScalingActivitiesResult>"), 1)
	default:
		return false
	}
	return true
}
