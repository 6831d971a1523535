# Applies the module for real (a two-zone network, then a stack with a
# database, notifications, alarms and a dashboard) and destroys everything.
# It needs an AWS endpoint and credentials in the environment: the Go suite
# (TestModulesApply, test/minimal_test.go) runs it against a local emulator; plain checks
# run only the mocked tests/plan.tftest.hcl.

variables {
  name = "webapp-apply"
}

run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "apply" {
  command = apply

  variables {
    vpc_id         = run.setup.vpc_id
    app_subnet_ids = run.setup.private_subnet_ids
    lb_subnet_ids  = run.setup.public_subnet_ids
    instances = {
      image_id      = run.setup.image_id
      instance_type = "t3.micro"
    }
    capacity = { min = 2, desired = 2, max = 4 }
    database = {
      multi_az            = false
      deletion_protection = false
      skip_final_snapshot = true
      secret_rotation     = { automatically_after_days = 30 }
    }
    # The bucket, its policy, then the load balancer's logs: the endpoint
    # refuses logs to a bucket the load balancer may not write to.
    access_logs = { create_bucket = true, prefix = "lb", force_destroy = true }
  }

  assert {
    condition     = startswith(output.url, "http://") && output.url == output.lb_url
    error_message = "Without DNS the URL is the load balancer's."
  }

  assert {
    condition     = length(output.autoscaling_group_names) == 2 && toset(aws_autoscaling_notification.this[0].group_names) == toset(values(output.autoscaling_group_names))
    error_message = "The notification configuration must cover both zonal groups."
  }

  assert {
    condition     = length(output.alarm_arns) == 5
    error_message = "Expected five alarms with a database."
  }

  assert {
    condition     = startswith(output.load_balancer_arn_suffix, "app/webapp-apply") && startswith(output.target_group_arn_suffix, "targetgroup/")
    error_message = "The ARN suffixes must be the CloudWatch dimensions."
  }

  assert {
    condition     = startswith(output.access_logs_bucket, "webapp-apply-lb-logs-") && hawebapp_stack.this.access_logs.prefix == "lb"
    error_message = "The load balancer must write its access logs to the module's bucket."
  }

  assert {
    condition     = output.dashboard_name == "webapp-apply" && output.db_secret_arn != null
    error_message = "Expected the dashboard and a database secret."
  }
}
