##############################################################################
# Locals
##############################################################################

locals {
  https               = var.create_certificate || var.certificate_arn != null
  create_topic        = var.sns_topic_arn == null && (var.create_notifications || var.create_alarms)
  topic_arn           = var.sns_topic_arn != null ? var.sns_topic_arn : try(aws_sns_topic.this[0].arn, null)
  alarm_actions       = local.topic_arn == null ? [] : [local.topic_arn]
  has_database        = var.database != null
  certificate_domains = var.create_certificate ? distinct(concat([coalesce(var.domain_name, "-")], var.subject_alternative_names)) : []

  # The certificate the HTTPS listener serves: the validated one the module
  # requested, or the caller's.
  certificate_arn = var.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn

  # CloudWatch dimensions of Application Load Balancer metrics are ARN
  # suffixes: "app/<name>/<id>" and "targetgroup/<name>/<id>".
  lb_arn_suffix = regex("loadbalancer/(app/.+)$", hawebapp_stack.this.load_balancer_arn)[0]
  tg_arn_suffix = regex(":(targetgroup/.+)$", hawebapp_stack.this.target_group_arn)[0]
  region        = split(":", hawebapp_stack.this.load_balancer_arn)[3]
  group_names   = hawebapp_stack.this.autoscaling_group_names
}

##############################################################################
# Certificate (ACM, validated with DNS records in the hosted zone)
##############################################################################

resource "aws_acm_certificate" "this" {
  count = var.create_certificate ? 1 : 0

  domain_name               = var.domain_name
  subject_alternative_names = var.subject_alternative_names
  validation_method         = "DNS"

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = var.domain_name != null && var.route53_zone_id != null
      error_message = "create_certificate needs domain_name and route53_zone_id (the hosted zone for the validation records)."
    }
    precondition {
      condition     = var.certificate_arn == null
      error_message = "Give either certificate_arn or create_certificate = true, not both."
    }
  }
}

# One validation record per name, keyed by the configured names so that the
# keys are known at plan time. A name and its wildcard share a record.
resource "aws_route53_record" "validation" {
  for_each = toset(local.certificate_domains)

  zone_id         = var.route53_zone_id
  name            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [one([for o in aws_acm_certificate.this[0].domain_validation_options : o.resource_record_value if o.domain_name == each.key])]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = var.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

##############################################################################
# The stack: load balancer, listeners, target group, launch template, one
# Auto Scaling group per zone, security groups, instance role, database
##############################################################################

resource "hawebapp_stack" "this" {
  name           = var.name
  vpc_id         = var.vpc_id
  app_subnet_ids = var.app_subnet_ids
  lb_subnet_ids  = var.lb_subnet_ids

  internal                 = var.internal
  allowed_cidrs            = var.allowed_cidrs
  wait_for_healthy_targets = var.wait_for_healthy_targets
  group_metrics            = var.group_metrics
  deregistration_delay     = var.deregistration_delay
  evacuate_zones           = var.evacuate_zones
  evacuation_shift_timing  = var.evacuation_shift_timing
  zonal_autoshift          = var.zonal_autoshift

  listener = {
    http_port       = var.http_port
    https_port      = var.https_port
    ssl_policy      = var.ssl_policy
    certificate_arn = local.certificate_arn
  }

  health_check = var.health_check
  instances    = var.instances
  capacity     = var.capacity
  scaling      = var.scaling
  database     = var.database
  timeouts     = var.timeouts

  # Turned on once the bucket's policy exists (AWS checks that the load
  # balancer may write there when logging is turned on).
  access_logs = local.access_logs == null ? null : {
    bucket = local.create_logs_bucket ? aws_s3_bucket_policy.access_logs[0].bucket : local.logs_bucket
    prefix = local.logs_prefix
  }

  tags = var.tags
}

##############################################################################
# DNS: an alias record for the load balancer
##############################################################################

resource "aws_route53_record" "this" {
  count = var.create_dns_record ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = hawebapp_stack.this.dns_name
    zone_id                = hawebapp_stack.this.zone_id
    evaluate_target_health = true
  }

  lifecycle {
    precondition {
      condition     = var.domain_name != null && var.route53_zone_id != null
      error_message = "create_dns_record needs domain_name and route53_zone_id."
    }
  }
}

##############################################################################
# Notifications: an SNS topic for scaling events and alarms
##############################################################################

resource "aws_sns_topic" "this" {
  count = local.create_topic ? 1 : 0

  name              = "${var.name}-events"
  kms_master_key_id = var.sns_topic_kms_key_id

  tags = merge(var.tags, { Name = "${var.name}-events" })
}

# The account's principals (the Auto Scaling service-linked role among
# them) and CloudWatch alarms of this account may publish; nothing may use
# the topic without TLS.
resource "aws_sns_topic_policy" "this" {
  count = local.create_topic ? 1 : 0

  arn = aws_sns_topic.this[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountOwner"
        Effect    = "Allow"
        Principal = { AWS = "arn:${split(":", aws_sns_topic.this[0].arn)[1]}:iam::${split(":", aws_sns_topic.this[0].arn)[4]}:root" }
        Action = [
          "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
          "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish",
        ]
        Resource = aws_sns_topic.this[0].arn
      },
      {
        Sid       = "CloudWatchAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.this[0].arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = split(":", aws_sns_topic.this[0].arn)[4] }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "SNS:*"
        Resource  = aws_sns_topic.this[0].arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.create_topic ? toset(var.notification_emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# One configuration covers every zonal group.
resource "aws_autoscaling_notification" "this" {
  count = var.create_notifications ? 1 : 0

  group_names   = values(local.group_names)
  notifications = var.notification_types
  topic_arn     = local.topic_arn
}

##############################################################################
# Alarms
##############################################################################

resource "aws_cloudwatch_metric_alarm" "http_5xx" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-http-5xx-rate"
  alarm_description   = "More than ${var.alarm_5xx_rate_threshold}% of the requests to ${var.name} were answered 5xx (by the load balancer or the instances)."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_5xx_rate_threshold
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)"
    label       = "5xx responses (%)"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = {
      requests  = "RequestCount"
      elb5xx    = "HTTPCode_ELB_5XX_Count"
      target5xx = "HTTPCode_Target_5XX_Count"
    }
    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/ApplicationELB"
        metric_name = metric_query.value
        period      = var.alarm_period
        stat        = "Sum"
        dimensions  = { LoadBalancer = local.lb_arn_suffix }
      }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-unhealthy-hosts"
  alarm_description   = "More than ${var.alarm_unhealthy_hosts_threshold} of ${var.name}'s instances fail the load balancer's health checks."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = var.alarm_period
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_unhealthy_hosts_threshold
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = local.lb_arn_suffix
    TargetGroup  = local.tg_arn_suffix
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  count = var.create_alarms ? 1 : 0

  alarm_name          = "${var.name}-high-latency"
  alarm_description   = "The ${var.alarm_latency_statistic} target response time of ${var.name} is above ${var.alarm_latency_threshold} s."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  statistic           = startswith(var.alarm_latency_statistic, "p") ? null : var.alarm_latency_statistic
  extended_statistic  = startswith(var.alarm_latency_statistic, "p") ? var.alarm_latency_statistic : null
  period              = var.alarm_period
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_latency_threshold
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = local.lb_arn_suffix
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  count = var.create_alarms && local.has_database ? 1 : 0

  alarm_name          = "${var.name}-db-cpu"
  alarm_description   = "The CPU utilisation of ${var.name}'s database is above ${var.alarm_db_cpu_threshold}%."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = var.alarm_period
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alarm_db_cpu_threshold
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    DBInstanceIdentifier = hawebapp_stack.this.db_instance_identifier
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  count = var.create_alarms && local.has_database ? 1 : 0

  alarm_name          = "${var.name}-db-free-storage"
  alarm_description   = "${var.name}'s database has less than ${var.alarm_db_free_storage_threshold} GiB of free storage."
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  statistic           = "Minimum"
  period              = var.alarm_period
  comparison_operator = "LessThanThreshold"
  threshold           = var.alarm_db_free_storage_threshold * 1073741824
  evaluation_periods  = var.alarm_evaluation_periods
  treat_missing_data  = "missing"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    DBInstanceIdentifier = hawebapp_stack.this.db_instance_identifier
  }

  tags = var.tags
}

##############################################################################
# Dashboard
##############################################################################

locals {
  alarm_arns = concat(
    aws_cloudwatch_metric_alarm.http_5xx[*].arn,
    aws_cloudwatch_metric_alarm.unhealthy_hosts[*].arn,
    aws_cloudwatch_metric_alarm.latency[*].arn,
    aws_cloudwatch_metric_alarm.db_cpu[*].arn,
    aws_cloudwatch_metric_alarm.db_free_storage[*].arn,
  )

  lb_dim = ["LoadBalancer", local.lb_arn_suffix]

  widgets = concat(
    [
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Requests", region = local.region, view = "timeSeries", stat = "Sum", period = 60
          metrics = [
            concat(["AWS/ApplicationELB", "RequestCount"], local.lb_dim),
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "5xx responses", region = local.region, view = "timeSeries", stat = "Sum", period = 60
          metrics = [
            concat(["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"], local.lb_dim),
            concat(["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"], local.lb_dim),
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Target response time (s)", region = local.region, view = "timeSeries", period = 60
          metrics = [
            concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb_dim, [{ stat = "p50" }]),
            concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb_dim, [{ stat = "p95" }]),
            concat(["AWS/ApplicationELB", "TargetResponseTime"], local.lb_dim, [{ stat = "p99" }]),
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Target health", region = local.region, view = "timeSeries", stat = "Maximum", period = 60
          metrics = [
            concat(["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", local.tg_arn_suffix], local.lb_dim),
            concat(["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", local.tg_arn_suffix], local.lb_dim),
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Instances in service per zone (group metrics)", region = local.region, view = "timeSeries", stat = "Average", period = 60
          metrics = [
            for zone, group in local.group_names : ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", group, { label = zone }]
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Instance CPU per zone (%)", region = local.region, view = "timeSeries", stat = "Average", period = 60
          metrics = [
            for zone, group in local.group_names : ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", group, { label = zone }]
          ]
        }
      },
    ],
    [for w in [
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Database CPU (%) and connections", region = local.region, view = "timeSeries", stat = "Average", period = 60
          metrics = [
            ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", hawebapp_stack.this.db_instance_identifier],
            ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", hawebapp_stack.this.db_instance_identifier, { yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", width = 12, height = 6
        properties = {
          title = "Database free storage (bytes)", region = local.region, view = "timeSeries", stat = "Minimum", period = 60
          metrics = [
            ["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", hawebapp_stack.this.db_instance_identifier],
          ]
        }
      },
    ] : w if local.has_database],
    [for w in [
      {
        type       = "alarm", width = 24, height = 3
        properties = { title = "Alarms", alarms = local.alarm_arns }
      },
    ] : w if var.create_alarms],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = local.widgets })
}
