##############################################################################
# Stack
##############################################################################

output "url" {
  description = "URL of the application: `https://<domain_name>` or `http://<domain_name>` with the DNS record, the load balancer's URL otherwise."
  value       = var.create_dns_record ? "${local.https ? "https" : "http"}://${trimsuffix(var.domain_name, ".")}" : hawebapp_stack.this.url
}

output "lb_url" {
  description = "URL of the application at the load balancer's own DNS name."
  value       = hawebapp_stack.this.url
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = hawebapp_stack.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone ID of the load balancer (for alias records)."
  value       = hawebapp_stack.this.zone_id
}

output "load_balancer_arn" {
  description = "ARN of the load balancer."
  value       = hawebapp_stack.this.load_balancer_arn
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer (`app/<name>/<id>`), the `LoadBalancer` dimension of its CloudWatch metrics."
  value       = local.lb_arn_suffix
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = hawebapp_stack.this.target_group_arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (`targetgroup/<name>/<id>`), the `TargetGroup` dimension of its CloudWatch metrics."
  value       = local.tg_arn_suffix
}

output "http_listener_arn" {
  description = "ARN of the HTTP listener."
  value       = hawebapp_stack.this.http_listener_arn
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener; null without a certificate."
  value       = hawebapp_stack.this.https_listener_arn
}

output "security_group_ids" {
  description = "Security group IDs by role: `alb`, `app` and, with a database, `db`."
  value       = hawebapp_stack.this.security_group_ids
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = hawebapp_stack.this.launch_template_id
}

output "launch_template_version" {
  description = "Launch template version every zonal group is pinned to."
  value       = hawebapp_stack.this.launch_template_version
}

output "autoscaling_group_names" {
  description = "Auto Scaling group name by availability zone."
  value       = hawebapp_stack.this.autoscaling_group_names
}

output "instance_role_arn" {
  description = "ARN of the instance role the stack created; null with `instances.instance_profile_name`."
  value       = hawebapp_stack.this.instance_role_arn
}

output "capacity_after_zone_loss" {
  description = "Instances left serving, of the initial desired capacity, if one availability zone fails."
  value       = hawebapp_stack.this.capacity_after_zone_loss
}

output "on_demand_after_zone_loss" {
  description = "The on-demand instances, at the least, of capacity_after_zone_loss: what keeps serving if every Spot instance is reclaimed too."
  value       = hawebapp_stack.this.on_demand_after_zone_loss
}

output "db_instance_identifier" {
  description = "Identifier of the database instance; null without a database."
  value       = hawebapp_stack.this.db_instance_identifier
}

output "db_endpoint" {
  description = "Host name of the database; null without a database."
  value       = hawebapp_stack.this.db_endpoint
}

output "db_port" {
  description = "Port of the database; null without a database."
  value       = hawebapp_stack.this.db_port
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret with the database master credentials; null without a database."
  value       = hawebapp_stack.this.db_secret_arn
}

##############################################################################
# DNS and certificate
##############################################################################

output "fqdn" {
  description = "Name of the alias record; null without `create_dns_record`."
  value       = try(aws_route53_record.this[0].fqdn, null)
}

output "certificate_arn" {
  description = "ARN of the certificate the HTTPS listener serves (validated when the module requested it); null without HTTPS."
  value       = local.certificate_arn
}

##############################################################################
# Notifications, alarms, dashboard
##############################################################################

output "sns_topic_arn" {
  description = "ARN of the topic that receives the scaling notifications and the alarms; null when neither is on."
  value       = local.topic_arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by purpose (`http_5xx`, `unhealthy_hosts`, `latency`, `db_cpu`, `db_free_storage`)."
  value = { for k, v in {
    http_5xx        = try(aws_cloudwatch_metric_alarm.http_5xx[0].arn, null)
    unhealthy_hosts = try(aws_cloudwatch_metric_alarm.unhealthy_hosts[0].arn, null)
    latency         = try(aws_cloudwatch_metric_alarm.latency[0].arn, null)
    db_cpu          = try(aws_cloudwatch_metric_alarm.db_cpu[0].arn, null)
    db_free_storage = try(aws_cloudwatch_metric_alarm.db_free_storage[0].arn, null)
  } : k => v if v != null }
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null without `create_dashboard`."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "access_logs_bucket" {
  description = "The S3 bucket the load balancer writes its access logs to (null when they are off)."
  value       = local.logs_bucket
}

output "access_logs_bucket_arn" {
  description = "ARN of the access logs bucket the module made (null when it made none)."
  value       = try(aws_s3_bucket.access_logs[0].arn, null)
}
