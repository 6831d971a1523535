output "url" {
  description = "URL of the application."
  value       = module.web_app.url
}

output "autoscaling_group_names" {
  description = "Auto Scaling group name per availability zone."
  value       = module.web_app.autoscaling_group_names
}
