output "url" {
  description = "URL of the application behind the load balancer."
  value       = hawebapp_stack.app.url
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = hawebapp_stack.app.dns_name
}

output "autoscaling_group_names" {
  description = "Name of the Auto Scaling group in each availability zone."
  value       = hawebapp_stack.app.autoscaling_group_names
}

output "db_endpoint" {
  description = "Endpoint (host:port) of the PostgreSQL database."
  value       = hawebapp_stack.app.db_endpoint
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds the database credentials."
  value       = hawebapp_stack.app.db_secret_arn
}

output "capacity_after_zone_loss" {
  description = "Instances left serving if one availability zone fails."
  value       = hawebapp_stack.app.capacity_after_zone_loss
}
