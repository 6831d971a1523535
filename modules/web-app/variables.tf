##############################################################################
# Stack
##############################################################################

variable "name" {
  description = "Name of the stack: 3 to 25 lower-case letters, digits and single hyphens, starting with a letter (for example `fruit-api`); the provider's rule for `hawebapp_stack.name`. Every resource's name derives from it."
  type        = string

  # The provider's limits: the target group is named <name>-<6 hex digits>
  # and AWS allows 32 characters, so at most 25; the launch template is named
  # <name> and AWS wants at least 3.
  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.name)) && length(var.name) >= 3 && length(var.name) <= 25
    error_message = "name must be 3-25 characters of a-z, 0-9 and single hyphens, starting with a letter and not ending with a hyphen."
  }

  # Names AWS refuses for a derived name: a load balancer name starting with
  # internal-, a security group name starting with sg-, a DB subnet group
  # named default.
  validation {
    condition     = !startswith(var.name, "internal-") && !startswith(var.name, "sg-") && var.name != "default"
    error_message = "name must not start with internal- or sg- and must not be default: AWS reserves them for the load balancer, security group and DB subnet group names derived from it."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the stack."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0a1b2c3d."
  }
}

variable "app_subnet_ids" {
  description = "Private subnets of the instances, one per availability zone (2 to 6 zones, 3 recommended). Each zone gets its own Auto Scaling group."
  type        = list(string)

  validation {
    condition     = length(var.app_subnet_ids) >= 2 && length(var.app_subnet_ids) <= 6 && length(distinct(var.app_subnet_ids)) == length(var.app_subnet_ids)
    error_message = "app_subnet_ids needs 2 to 6 distinct subnets, one per availability zone."
  }
}

variable "lb_subnet_ids" {
  description = "Subnets of the load balancer (public ones for an internet-facing stack), in at least 2 zones."
  type        = list(string)

  validation {
    condition     = length(var.lb_subnet_ids) >= 2 && length(distinct(var.lb_subnet_ids)) == length(var.lb_subnet_ids)
    error_message = "lb_subnet_ids needs at least 2 distinct subnets."
  }
}

variable "internal" {
  description = "Make the load balancer internal (reachable only inside the VPC). Changing it replaces the stack."
  type        = bool
  default     = false
}

variable "allowed_cidrs" {
  description = "CIDR blocks allowed to reach the listener ports. Nothing else reaches the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.allowed_cidrs) > 0 && alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "allowed_cidrs needs at least one valid CIDR block such as 10.0.0.0/8."
  }
}

variable "instances" {
  description = "The application instances (`hawebapp_stack.instances`): `image_id` is required; `instance_type`, `instance_types` (priority order, a mixed instances policy per zone), `port`, `user_data`, `root_volume_size`, `metadata_hop_limit`, `key_name`, `instance_profile_name` and `managed_policy_arns` are optional (null: the provider's default)."
  type = object({
    image_id              = string
    instance_type         = optional(string)
    instance_types        = optional(list(string))
    port                  = optional(number)
    user_data             = optional(string)
    root_volume_size      = optional(number)
    metadata_hop_limit    = optional(number)
    key_name              = optional(string)
    instance_profile_name = optional(string)
    managed_policy_arns   = optional(list(string))
  })

  validation {
    condition     = can(regex("^ami-[0-9a-f]+$", var.instances.image_id))
    error_message = "instances.image_id must be an AMI ID such as ami-0abc1234."
  }
}

variable "capacity" {
  description = "Total instances over all zones (`min`, `desired`, `max`; null: the provider's defaults 3/3/9). `desired` is the initial capacity: afterwards autoscaling owns it."
  type = object({
    min     = optional(number)
    desired = optional(number)
    max     = optional(number)
  })
  default = {}

  validation {
    condition = (
      coalesce(var.capacity.min, 1) <= coalesce(var.capacity.max, 1000) &&
      coalesce(var.capacity.min, 1) <= coalesce(var.capacity.desired, 1000) &&
      coalesce(var.capacity.desired, 1) <= coalesce(var.capacity.max, 1000)
    )
    error_message = "capacity must satisfy min <= desired <= max."
  }
}

variable "scaling" {
  description = "Target-tracking scaling of every zonal group (`metric`: `request_count_per_target` or `cpu`; `target`; `warmup` seconds; `disable_scale_in`). Null fields take the provider's defaults."
  type = object({
    metric           = optional(string)
    target           = optional(number)
    warmup           = optional(number)
    disable_scale_in = optional(bool)
  })
  default = {}

  validation {
    condition     = contains(["request_count_per_target", "cpu"], coalesce(var.scaling.metric, "cpu"))
    error_message = "scaling.metric must be request_count_per_target or cpu."
  }
}

variable "health_check" {
  description = "Target group health check (`path`, `matcher`, `interval`, `timeout`, `healthy_threshold`, `unhealthy_threshold`, `grace_period`). Null fields take the provider's defaults."
  type = object({
    path                = optional(string)
    matcher             = optional(string)
    interval            = optional(number)
    timeout             = optional(number)
    healthy_threshold   = optional(number)
    unhealthy_threshold = optional(number)
    grace_period        = optional(number)
  })
  default = {}
}

variable "deregistration_delay" {
  description = "Seconds a draining instance keeps serving its in-flight requests (0-3600). Null: the provider's default (30)."
  type        = number
  default     = null

  validation {
    condition     = var.deregistration_delay == null || (coalesce(var.deregistration_delay, 0) >= 0 && coalesce(var.deregistration_delay, 0) <= 3600)
    error_message = "deregistration_delay must be between 0 and 3600 seconds."
  }
}

variable "database" {
  description = "The database (`hawebapp_stack.database`), or null for a stack without one. Fields: `engine`, `engine_version`, `instance_class`, `allocated_storage`, `max_allocated_storage`, `multi_az`, `backup_retention_days`, `deletion_protection`, `skip_final_snapshot`, `final_snapshot_identifier`, `port`, `db_name`, `username`, `secret_rotation` (the managed secret's rotation schedule: `automatically_after_days` or `schedule_expression`, and `duration`; null keeps RDS's 7 days); null fields take the provider's (secure) defaults: multi-AZ, deletion protection on, final snapshot kept."
  type = object({
    engine                    = optional(string)
    engine_version            = optional(string)
    instance_class            = optional(string)
    allocated_storage         = optional(number)
    max_allocated_storage     = optional(number)
    multi_az                  = optional(bool)
    backup_retention_days     = optional(number)
    deletion_protection       = optional(bool)
    skip_final_snapshot       = optional(bool)
    final_snapshot_identifier = optional(string)
    port                      = optional(number)
    db_name                   = optional(string)
    username                  = optional(string)
    secret_rotation = optional(object({
      automatically_after_days = optional(number)
      schedule_expression      = optional(string)
      duration                 = optional(string)
    }))
  })
  default = null
}

variable "wait_for_healthy_targets" {
  description = "Return from create and update only when every zone's instances pass the load balancer's health checks."
  type        = bool
  default     = true
}

variable "group_metrics" {
  description = "Collect every zonal Auto Scaling group's size metrics (GroupInServiceInstances, GroupDesiredCapacity, ...) in CloudWatch each minute; the dashboard's capacity widget needs them."
  type        = bool
  default     = true
}

variable "timeouts" {
  description = "Timeouts of the stack's create, update and delete, such as `{ create = \"45m\" }`. Null: the provider's defaults."
  type = object({
    create = optional(string)
    update = optional(string)
    delete = optional(string)
  })
  default = null
}

variable "tags" {
  description = "Tags for every resource the module creates (keys starting with `hawebapp:` are reserved)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.tags) : !startswith(k, "hawebapp:")])
    error_message = "Tag keys starting with hawebapp: are reserved for the provider."
  }
}

##############################################################################
# Listener, certificate and DNS
##############################################################################

variable "http_port" {
  description = "HTTP listener port. Null: the provider's default (80)."
  type        = number
  default     = null
}

variable "https_port" {
  description = "HTTPS listener port, used with a certificate. Null: the provider's default (443)."
  type        = number
  default     = null
}

variable "ssl_policy" {
  description = "Security policy of the HTTPS listener. Null: the provider's default (ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 and 1.2)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "ARN of an existing ACM certificate for the HTTPS listener (turns on HTTPS and the HTTP to HTTPS redirect). Not used with `create_certificate`."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:(acm|iam):", coalesce(var.certificate_arn, "-")))
    error_message = "certificate_arn must be an ACM or IAM certificate ARN."
  }
}

variable "create_certificate" {
  description = "Request an ACM certificate for `domain_name` (and `subject_alternative_names`), validate it with DNS records in `route53_zone_id`, and serve HTTPS with it (HTTP redirects to HTTPS)."
  type        = bool
  default     = false
}

variable "create_dns_record" {
  description = "Create an alias record `domain_name` in `route53_zone_id` pointing at the load balancer."
  type        = bool
  default     = false
}

variable "route53_zone_id" {
  description = "ID of the Route 53 hosted zone for the alias record and the certificate's validation records. Required with `create_dns_record` or `create_certificate`."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Fully qualified name of the application, such as `shop.example.com`: the alias record's name and the certificate's domain. Required with `create_dns_record` or `create_certificate`."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^(\\*\\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}\\.?$", coalesce(var.domain_name, "-")))
    error_message = "domain_name must be a lower-case fully qualified domain name such as shop.example.com."
  }
}

variable "subject_alternative_names" {
  description = "Other names the certificate covers (each must be in `route53_zone_id`)."
  type        = list(string)
  default     = []
}

##############################################################################
# Notifications
##############################################################################

variable "create_notifications" {
  description = "Send every zonal Auto Scaling group's launch and terminate events (and their failures) to the SNS topic."
  type        = bool
  default     = true
}

variable "notification_types" {
  description = "Auto Scaling events sent to the topic."
  type        = list(string)
  default = [
    "autoscaling:EC2_INSTANCE_LAUNCH",
    "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE",
    "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
  ]

  validation {
    condition = length(var.notification_types) > 0 && alltrue([for t in var.notification_types : contains([
      "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
      "autoscaling:EC2_INSTANCE_TERMINATE", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
      "autoscaling:TEST_NOTIFICATION",
    ], t)])
    error_message = "notification_types must be Auto Scaling notification types such as autoscaling:EC2_INSTANCE_LAUNCH."
  }
}

variable "sns_topic_arn" {
  description = "ARN of an existing SNS topic for notifications and alarms. Null: the module creates `<name>-events` when notifications or alarms are on."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:", coalesce(var.sns_topic_arn, "-")))
    error_message = "sns_topic_arn must be an SNS topic ARN."
  }
}

variable "sns_topic_kms_key_id" {
  description = "KMS key (ID, ARN or alias) encrypting the created topic at rest. Use a customer managed key whose policy lets `cloudwatch.amazonaws.com` and the Auto Scaling service-linked role use it; the AWS managed `alias/aws/sns` key does not, and alarms could not publish."
  type        = string
  default     = null
}

variable "notification_emails" {
  description = "E-mail addresses subscribed to the created topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "notification_emails must be e-mail addresses."
  }
}

##############################################################################
# Alarms and dashboard
##############################################################################

variable "create_alarms" {
  description = "Create CloudWatch alarms that notify the topic: load balancer 5xx rate, unhealthy hosts, high latency and, with a database, database CPU and free storage."
  type        = bool
  default     = true
}

variable "alarm_period" {
  description = "Period of every alarm's metric, in seconds (60 or a multiple of 60)."
  type        = number
  default     = 60

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period % 60 == 0
    error_message = "alarm_period must be 60 or a multiple of 60 seconds."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive breaching periods before an alarm fires."
  type        = number
  default     = 3

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods == floor(var.alarm_evaluation_periods)
    error_message = "alarm_evaluation_periods must be a whole number, at least 1."
  }
}

variable "alarm_5xx_rate_threshold" {
  description = "Percentage of requests answered 5xx (by the load balancer or the targets) above which the 5xx alarm fires."
  type        = number
  default     = 5

  validation {
    condition     = var.alarm_5xx_rate_threshold > 0 && var.alarm_5xx_rate_threshold <= 100
    error_message = "alarm_5xx_rate_threshold is a percentage: more than 0, at most 100."
  }
}

variable "alarm_unhealthy_hosts_threshold" {
  description = "Number of unhealthy targets above which the unhealthy-hosts alarm fires (0: any unhealthy target)."
  type        = number
  default     = 0

  validation {
    condition     = var.alarm_unhealthy_hosts_threshold >= 0
    error_message = "alarm_unhealthy_hosts_threshold must not be negative."
  }
}

variable "alarm_latency_threshold" {
  description = "Target response time, in seconds, above which the latency alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_latency_threshold > 0
    error_message = "alarm_latency_threshold must be more than 0 seconds."
  }
}

variable "alarm_latency_statistic" {
  description = "Statistic of the target response time the latency alarm watches: `Average`, `Maximum` or a percentile such as `p95` or `p99.9`."
  type        = string
  default     = "p95"

  validation {
    condition     = contains(["Average", "Maximum"], var.alarm_latency_statistic) || can(regex("^p(\\d{1,2}(\\.\\d+)?|100)$", var.alarm_latency_statistic))
    error_message = "alarm_latency_statistic must be Average, Maximum or a percentile such as p95."
  }
}

variable "alarm_db_cpu_threshold" {
  description = "Database CPU utilisation (%) above which the database CPU alarm fires."
  type        = number
  default     = 80

  validation {
    condition     = var.alarm_db_cpu_threshold > 0 && var.alarm_db_cpu_threshold <= 100
    error_message = "alarm_db_cpu_threshold is a percentage: more than 0, at most 100."
  }
}

variable "alarm_db_free_storage_threshold" {
  description = "Free database storage, in GiB, below which the free storage alarm fires."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_db_free_storage_threshold > 0
    error_message = "alarm_db_free_storage_threshold must be more than 0 GiB."
  }
}

variable "create_dashboard" {
  description = "Create a CloudWatch dashboard `<name>` with the stack's traffic, errors, latency, target health, capacity and CPU per zone, the database and the alarms."
  type        = bool
  default     = true
}

variable "evacuate_zones" {
  description = "Zones to take out of service while they are impaired (`hawebapp_stack.evacuate_zones`): an ARC zonal shift away from the zone, its group suspended, the other zones raised. At most one zone. Empty or null: every zone serves. See the guide *Evacuating a zone*."
  type        = list(string)
  default     = null
}

variable "evacuation_shift_timing" {
  description = "When the zonal shift of `evacuate_zones` starts (`hawebapp_stack.evacuation_shift_timing`): `auto`, `immediate` or `after_capacity`. Null: the provider's default (`auto`). A zone that is down is shifted away at once whatever the value."
  type        = string
  default     = null

  validation {
    condition     = var.evacuation_shift_timing == null || contains(["auto", "immediate", "after_capacity"], coalesce(var.evacuation_shift_timing, "auto"))
    error_message = "evacuation_shift_timing must be auto, immediate or after_capacity."
  }
}

variable "zonal_autoshift" {
  description = "ARC zonal autoshift of the load balancer (`hawebapp_stack.zonal_autoshift`): AWS shifts traffic away from a zone it finds impaired, with no apply, and runs practice runs watched by the stack's own outcome alarm. `enabled` (default true), `blocked_windows`, `blocked_dates`, `blocking_alarm_arns` as the resource's. Null: not managed. See the guide *Evacuating a zone*."
  type = object({
    enabled             = optional(bool, true)
    blocked_windows     = optional(list(string))
    blocked_dates       = optional(list(string))
    blocking_alarm_arns = optional(list(string))
  })
  default = null
}

variable "access_logs" {
  description = "The load balancer's access logs (`hawebapp_stack.access_logs`), or null to keep them off. `create_bucket = true` makes an S3 bucket for them (SSE-S3, public access blocked, ACLs off, TLS only, and a bucket policy letting Elastic Load Balancing write under `<prefix>/AWSLogs/<account>/`: the region's ELB account in Regions available before August 2022, the `logdelivery.elasticloadbalancing.amazonaws.com` service principal in later ones), with `expiration_days` (null: keep the logs) and `force_destroy`; or give `bucket`, your own bucket in the same region with such a policy. `prefix` (no leading or trailing `/`, no `AWSLogs`) is the key prefix; null writes at the bucket's root."
  type = object({
    bucket          = optional(string)
    create_bucket   = optional(bool, false)
    prefix          = optional(string)
    expiration_days = optional(number)
    force_destroy   = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.access_logs == null || (try(var.access_logs.bucket, null) != null) != try(var.access_logs.create_bucket, false)
    error_message = "access_logs: set either bucket (your own bucket) or create_bucket = true."
  }
}
