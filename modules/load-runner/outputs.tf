output "autoscaling_group_name" {
  description = "Name of the Auto Scaling group of the load runners."
  value       = aws_autoscaling_group.this.name
}

output "launch_template_id" {
  description = "ID of the launch template."
  value       = aws_launch_template.this.id
}

output "launch_template_version" {
  description = "Launch template version the group is pinned to."
  value       = aws_launch_template.this.latest_version
}

output "security_group_id" {
  description = "ID of the instances' security group (no inbound rules)."
  value       = aws_security_group.this.id
}

output "iam_role_arn" {
  description = "ARN of the instance role."
  value       = aws_iam_role.this.arn
}

output "instance_profile_name" {
  description = "Name of the instance profile."
  value       = aws_iam_instance_profile.this.name
}

output "log_group_name" {
  description = "Name of the CloudWatch Logs group holding the `ab` output (one stream per instance)."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the CloudWatch Logs group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "target_url" {
  description = "URL the instances load (with `/` added to a bare host)."
  value       = local.target_url
}
