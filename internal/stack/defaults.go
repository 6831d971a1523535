package stack

import (
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/hawebapp/terraform-provider-hawebapp/internal/blueprint"
)

// Defaults, chosen for production and documented in the schema.
const (
	defaultHTTPPort  = 80
	defaultHTTPSPort = 443
	// TLS 1.3 with TLS 1.2 fallback: AWS's recommended modern policy.
	defaultSSLPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06"

	defaultHealthPath = "/health"
	defaultMatcher    = "200-399"
	// A 10 s timeout and 4 misses in a row (about a minute at 15 s intervals)
	// before a target is taken out: an overloaded, slow instance keeps serving
	// instead of being killed and making the overload worse.
	defaultInterval           = 15
	defaultTimeout            = 10
	defaultHealthyThreshold   = 3
	defaultUnhealthyThreshold = 4
	defaultGracePeriod        = 300
	// Fail open below 25% healthy targets: see failOpenAttribute for why.
	defaultFailOpenPercent = 25
	// Launch before terminate, with room to replace a one-instance zone.
	defaultMinHealthyPercent = 100
	defaultMaxHealthyPercent = 200
	// Long enough for in-flight requests of a typical API; far below AWS's 300 s
	// default, which makes every deploy and scale-in wait five minutes per batch.
	defaultDeregistrationDelay = 30

	defaultInstanceType   = "t3.small"
	defaultInstancePort   = 8080
	defaultRootVolumeSize = 20

	defaultCapacityMin     = 3
	defaultCapacityDesired = 3
	defaultCapacityMax     = 9

	defaultMetric = "request_count_per_target"
	defaultTarget = 500
	defaultWarmup = 300

	defaultEngine              = "postgres"
	defaultInstanceClass       = "db.t3.micro"
	defaultAllocatedStorage    = 20
	defaultMaxAllocatedStorage = 100
	defaultBackupRetention     = 7
	defaultDBName              = "app"
	defaultDBUsername          = "app"
)

var (
	listenerAttrTypes = map[string]attr.Type{
		"http_port": types.Int64Type, "https_port": types.Int64Type, "certificate_arn": types.StringType, "ssl_policy": types.StringType,
	}
	healthCheckAttrTypes = map[string]attr.Type{
		"path": types.StringType, "matcher": types.StringType, "interval": types.Int64Type, "timeout": types.Int64Type,
		"healthy_threshold": types.Int64Type, "unhealthy_threshold": types.Int64Type, "grace_period": types.Int64Type,
		"time_to_detect": types.Int64Type, "fail_open_below_percent": types.Int64Type,
	}
	maintenanceAttrTypes = map[string]attr.Type{"min_healthy_percent": types.Int64Type, "max_healthy_percent": types.Int64Type}
	capacityAttrTypes    = map[string]attr.Type{"min": types.Int64Type, "desired": types.Int64Type, "max": types.Int64Type}
	scalingAttrTypes     = map[string]attr.Type{
		"metric": types.StringType, "target": types.Float64Type, "warmup": types.Int64Type, "disable_scale_in": types.BoolType,
	}
)

func defaultListener() types.Object {
	return types.ObjectValueMust(listenerAttrTypes, map[string]attr.Value{
		"http_port": types.Int64Value(defaultHTTPPort), "https_port": types.Int64Value(defaultHTTPSPort),
		"certificate_arn": types.StringNull(), "ssl_policy": types.StringValue(defaultSSLPolicy),
	})
}

func defaultHealthCheck() types.Object {
	return types.ObjectValueMust(healthCheckAttrTypes, map[string]attr.Value{
		"path": types.StringValue(defaultHealthPath), "matcher": types.StringValue(defaultMatcher),
		"interval": types.Int64Value(defaultInterval), "timeout": types.Int64Value(defaultTimeout),
		"healthy_threshold": types.Int64Value(defaultHealthyThreshold), "unhealthy_threshold": types.Int64Value(defaultUnhealthyThreshold),
		"grace_period":   types.Int64Value(defaultGracePeriod),
		"time_to_detect": types.Int64Value(int64(defaultTimings().Detect())), "fail_open_below_percent": types.Int64Value(defaultFailOpenPercent),
	})
}

// defaultTimings are the health check timings used when time_to_detect is not set.
func defaultTimings() blueprint.HealthTimings {
	return blueprint.HealthTimings{Interval: defaultInterval, Timeout: defaultTimeout, HealthyThreshold: defaultHealthyThreshold, UnhealthyThreshold: defaultUnhealthyThreshold}
}

func defaultMaintenance() types.Object {
	return types.ObjectValueMust(maintenanceAttrTypes, map[string]attr.Value{
		"min_healthy_percent": types.Int64Value(defaultMinHealthyPercent), "max_healthy_percent": types.Int64Value(defaultMaxHealthyPercent),
	})
}

func defaultCapacity() types.Object {
	return types.ObjectValueMust(capacityAttrTypes, map[string]attr.Value{
		"min": types.Int64Value(defaultCapacityMin), "desired": types.Int64Value(defaultCapacityDesired), "max": types.Int64Value(defaultCapacityMax),
	})
}

func defaultScaling() types.Object {
	return types.ObjectValueMust(scalingAttrTypes, map[string]attr.Value{
		"metric": types.StringValue(defaultMetric), "target": types.Float64Value(defaultTarget),
		"warmup": types.Int64Value(defaultWarmup), "disable_scale_in": types.BoolValue(false),
	})
}
