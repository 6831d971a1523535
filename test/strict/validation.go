package strict

import (
	"regexp"
	"strconv"
	"strings"
)

// Names and values AWS refuses and moto accepts. Each check cites the API
// reference page whose constraint it enforces; the error codes are the ones
// each service documents for a bad parameter.

var (
	reELBName     = regexp.MustCompile(`^[A-Za-z0-9-]{1,32}$`)
	reIAMName     = regexp.MustCompile(`^[\w+=,.@-]+$`)
	reRDSIdent    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	reSubnetGroup = regexp.MustCompile(`^[A-Za-z0-9._ -]{1,255}$`)
	reLTName      = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)
)

func validationRule() *rule {
	return &rule{name: Validation, before: func(_ *Layer, c *call) *apiError { return validate(c) }}
}

func validate(c *call) *apiError {
	p := c.params.Get
	switch c.Service + ":" + c.Action {
	case "elasticloadbalancing:CreateLoadBalancer":
		// ELBv2 API reference, CreateLoadBalancer, Name: at most 32
		// characters, only alphanumerics or hyphens, must not begin or end
		// with a hyphen, must not begin with "internal-".
		if e := elbName("load balancer", p("Name")); e != nil {
			return e
		}
		if strings.HasPrefix(p("Name"), "internal-") {
			return errorf(400, "ValidationError", "Load balancer name '%s' cannot begin with 'internal-'", p("Name"))
		}
	case "elasticloadbalancing:CreateTargetGroup":
		// ELBv2 API reference, CreateTargetGroup, Name: same rules (no
		// "internal-" rule); health check ranges below.
		if e := elbName("target group", p("Name")); e != nil {
			return e
		}
		return healthCheck(c)
	case "elasticloadbalancing:ModifyTargetGroup":
		return healthCheck(c)
	case "iam:CreateRole":
		// IAM API reference, CreateRole, RoleName: 1-64 characters of [\w+=,.@-].
		return iamName("RoleName", p("RoleName"), 64)
	case "iam:CreateInstanceProfile":
		// IAM API reference, CreateInstanceProfile, InstanceProfileName: 1-128.
		return iamName("InstanceProfileName", p("InstanceProfileName"), 128)
	case "iam:PutRolePolicy":
		// IAM API reference, PutRolePolicy, PolicyName: 1-128.
		return iamName("PolicyName", p("PolicyName"), 128)
	case "ec2:CreateSecurityGroup":
		// EC2 API reference, CreateSecurityGroup, GroupName: up to 255
		// characters, "Names are case-insensitive ... cannot start with sg-".
		if n := p("GroupName"); strings.HasPrefix(strings.ToLower(n), "sg-") {
			return errorf(400, "InvalidParameterValue", "Group names may not be in the format sg-*: %s", n)
		}
		if len(p("GroupName")) > 255 || len(p("GroupDescription")) > 255 {
			return errorf(400, "InvalidParameterValue", "security group name and description must be at most 255 characters")
		}
	case "ec2:CreateLaunchTemplate":
		// EC2 API reference, CreateLaunchTemplate, LaunchTemplateName:
		// 3-128 characters of [a-zA-Z0-9().\-/_].
		if !reLTName.MatchString(p("LaunchTemplateName")) {
			return errorf(400, "InvalidLaunchTemplateName.MalformedException",
				"A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.'")
		}
		return hopLimit(p("LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit"))
	case "ec2:CreateLaunchTemplateVersion":
		return hopLimit(p("LaunchTemplateData.MetadataOptions.HttpPutResponseHopLimit"))
	case "autoscaling:CreateAutoScalingGroup":
		// EC2 Auto Scaling API reference, CreateAutoScalingGroup,
		// AutoScalingGroupName: 1-255 characters.
		if n := p("AutoScalingGroupName"); n == "" || len(n) > 255 {
			return errorf(400, "ValidationError", "AutoScalingGroupName must be 1 to 255 characters: %q", n)
		}
		return oneLaunchSource(c)
	case "autoscaling:UpdateAutoScalingGroup":
		return oneLaunchSource(c)
	case "ec2:DeleteLaunchTemplate":
		// EC2 API reference, DeleteLaunchTemplate: "You must specify either
		// the launch template ID or the launch template name" (moto answers
		// HTTP 500 for neither).
		if p("LaunchTemplateId") == "" && p("LaunchTemplateName") == "" {
			return errorf(400, "MissingParameter", "The request must contain the parameter LaunchTemplateName or LaunchTemplateId")
		}
	case "rds:CreateDBInstance":
		// RDS API reference, CreateDBInstance, DBInstanceIdentifier: 1-63
		// letters, digits or hyphens; first a letter; no hyphen at the end
		// nor two in a row.
		if e := rdsIdent("DBInstanceIdentifier", p("DBInstanceIdentifier"), 63); e != nil {
			return e
		}
		if e := dbMaxStorage(p("AllocatedStorage"), p("MaxAllocatedStorage")); e != nil {
			return e
		}
		return dbUserAndName(p("Engine"), p("MasterUsername"), p("DBName"))
	case "rds:DeleteDBInstance":
		// RDS API reference, DeleteDBInstance, FinalDBSnapshotIdentifier:
		// 1-255 letters, digits or hyphens, same shape rules.
		if v := p("FinalDBSnapshotIdentifier"); v != "" {
			return rdsIdent("FinalDBSnapshotIdentifier", v, 255)
		}
	case "rds:CreateDBSubnetGroup":
		// RDS API reference, CreateDBSubnetGroup, DBSubnetGroupName: up to
		// 255 letters, numbers, periods, underscores, spaces or hyphens;
		// must not be "default".
		if n := p("DBSubnetGroupName"); !reSubnetGroup.MatchString(n) || strings.EqualFold(n, "default") {
			return errorf(400, "InvalidParameterValue", "The parameter DBSubnetGroupName is not a valid identifier: %q", n)
		}
	}
	return nil
}

// hopLimit enforces EC2 API reference,
// LaunchTemplateInstanceMetadataOptionsRequest, HttpPutResponseHopLimit:
// "Possible values: Integers from 1 to 64" (moto stores any number).
func hopLimit(v string) *apiError {
	if v == "" {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 64 {
		return errorf(400, "InvalidParameterValue", "The HttpPutResponseHopLimit %s is not valid: it must be an integer from 1 to 64", v)
	}
	return nil
}

func elbName(kind, n string) *apiError {
	if !reELBName.MatchString(n) || strings.HasPrefix(n, "-") || strings.HasSuffix(n, "-") {
		return errorf(400, "ValidationError",
			"The %s name '%s' must have a maximum of 32 characters, contain only alphanumeric characters or hyphens, and must not begin or end with a hyphen", kind, n)
	}
	return nil
}

func iamName(param, n string, maxLen int) *apiError {
	if n == "" || len(n) > maxLen || !reIAMName.MatchString(n) {
		return errorf(400, "ValidationError",
			"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to %d and match pattern [\\w+=,.@-]+", n, param, maxLen)
	}
	return nil
}

func rdsIdent(param, v string, maxLen int) *apiError {
	if len(v) == 0 || len(v) > maxLen || !reRDSIdent.MatchString(v) || strings.HasSuffix(v, "-") || strings.Contains(v, "--") {
		return errorf(400, "InvalidParameterValue",
			"The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.", param)
	}
	return nil
}

// healthCheck enforces ELBv2 API reference, CreateTargetGroup /
// ModifyTargetGroup: HealthCheckIntervalSeconds 5-300,
// HealthCheckTimeoutSeconds 2-120, HealthyThresholdCount and
// UnhealthyThresholdCount 2-10; and, for HTTP and HTTPS health checks of an
// instance target group, a timeout below the interval ("The timeout must
// be smaller than the interval", CreateTargetGroup,
// HealthCheckTimeoutSeconds).
func healthCheck(c *call) *apiError {
	ranges := []struct {
		param    string
		min, max int
	}{{"HealthCheckIntervalSeconds", 5, 300}, {"HealthCheckTimeoutSeconds", 2, 120},
		{"HealthyThresholdCount", 2, 10}, {"UnhealthyThresholdCount", 2, 10}}
	vals := map[string]int{}
	for _, r := range ranges {
		s := c.params.Get(r.param)
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < r.min || v > r.max {
			return errorf(400, "ValidationError", "%s must be between %d and %d, got %s", r.param, r.min, r.max, s)
		}
		vals[r.param] = v
	}
	in, to := vals["HealthCheckIntervalSeconds"], vals["HealthCheckTimeoutSeconds"]
	if in > 0 && to > 0 && to >= in {
		return errorf(400, "ValidationError", "Health check interval must be greater than the timeout.")
	}
	return nil
}

// oneLaunchSource refuses a group given both a launch template and a mixed
// instances policy (EC2 Auto Scaling API reference, CreateAutoScalingGroup
// and UpdateAutoScalingGroup: "you can specify a launch template or a mixed
// instances policy, but not both"); moto takes both and keeps the policy.
// The message is the one moto gives for two launch sources.
func oneLaunchSource(c *call) *apiError {
	template, policy := false, false
	for k := range c.params {
		template = template || strings.HasPrefix(k, "LaunchTemplate.")
		policy = policy || strings.HasPrefix(k, "MixedInstancesPolicy.")
	}
	if template && policy {
		return errorf(400, "ValidationError", "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
	}
	return nil
}
