output "url" {
  description = "URL of the application (the DNS name with HTTPS when a hosted zone was given, the load balancer's otherwise)."
  value       = module.web_app.url
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = module.web_app.dns_name
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "autoscaling_group_names" {
  description = "Auto Scaling group name per availability zone."
  value       = module.web_app.autoscaling_group_names
}

output "db_endpoint" {
  description = "Host name of the PostgreSQL database."
  value       = module.web_app.db_endpoint
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret with the database credentials."
  value       = module.web_app.db_secret_arn
}

output "capacity_after_zone_loss" {
  description = "Instances left serving if one availability zone fails."
  value       = module.web_app.capacity_after_zone_loss
}

output "sns_topic_arn" {
  description = "ARN of the SNS topic receiving scaling notifications and alarms."
  value       = module.web_app.sns_topic_arn
}

output "alarm_arns" {
  description = "ARNs of the CloudWatch alarms by purpose."
  value       = module.web_app.alarm_arns
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = module.web_app.dashboard_name
}

output "load_runner_group_name" {
  description = "Name of the load runners' Auto Scaling group."
  value       = module.load_runner.autoscaling_group_name
}

output "load_runner_log_group" {
  description = "CloudWatch Logs group with the Apache Bench output, one stream per load runner."
  value       = module.load_runner.log_group_name
}
