output "autoscaling_group_name" {
  description = "Name of the fleet's Auto Scaling group."
  value       = module.load_runner.autoscaling_group_name
}
