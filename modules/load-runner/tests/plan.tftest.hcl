# Plan-level tests with a mocked AWS provider: no credentials, no AWS calls.
# (tests/apply.tftest.hcl applies the module to an AWS endpoint; it runs from
# the Go suite in test/, which starts a local emulator.)

mock_provider "aws" {
  override_during = plan

  mock_data "aws_ssm_parameter" {
    defaults = {
      value = "ami-0abc1234"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/load-runner/soak"
    }
  }
}

variables {
  name       = "soak"
  vpc_id     = "vpc-0a1b2c3d"
  subnet_ids = ["subnet-0a1", "subnet-0b2"]
  target_url = "http://shop-123.us-east-1.elb.amazonaws.com"
}

run "defaults" {
  command = plan

  assert {
    condition     = aws_autoscaling_group.this.min_size == 2 && aws_autoscaling_group.this.max_size == 2 && aws_autoscaling_group.this.desired_capacity == 2
    error_message = "Expected a fixed fleet of two instances."
  }

  assert {
    condition     = aws_launch_template.this.image_id == "ami-0abc1234" && length(data.aws_ssm_parameter.image) == 1
    error_message = "The image comes from the SSM parameter by default."
  }

  assert {
    condition     = aws_launch_template.this.metadata_options[0].http_tokens == "required" && aws_launch_template.this.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "IMDSv2 must be required."
  }

  assert {
    condition     = aws_launch_template.this.network_interfaces[0].associate_public_ip_address == "false"
    error_message = "The instances must get no public IP."
  }

  assert {
    condition     = aws_launch_template.this.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.this.block_device_mappings[0].ebs[0].volume_type == "gp3"
    error_message = "The root volume must be encrypted gp3."
  }

  assert {
    condition     = output.target_url == "http://shop-123.us-east-1.elb.amazonaws.com/"
    error_message = "A bare host gets the path / (ab needs one)."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.this.user_data), "ab -n 1000 -c 10 -s 30 -r -l http://shop-123.us-east-1.elb.amazonaws.com/")
    error_message = "The user data must run ab with the requested load."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.this.user_data), "OnUnitActiveSec=60") && strcontains(base64decode(aws_launch_template.this.user_data), "\"log_group_name\":\"/load-runner/soak\"")
    error_message = "The timer period and the agent's log group must be in the user data."
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_egress_rule.this)) == toset(["80-0.0.0.0/0", "443-0.0.0.0/0"])
    error_message = "Outbound only to ports 80 and 443."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.logs.policy).Statement[0].Action == ["logs:CreateLogStream", "logs:PutLogEvents"] && jsondecode(aws_iam_role_policy.logs.policy).Statement[0].Resource == "arn:aws:logs:us-east-1:123456789012:log-group:/load-runner/soak:log-stream:*"
    error_message = "The role may only create streams in and write to the fleet's log group."
  }
}

run "custom_port_and_image" {
  command = plan

  variables {
    target_url     = "https://app.example.com:8443/health"
    egress_ports   = [443, 8443]
    image_id       = "ami-0def5678"
    instance_count = 0
    period         = 300
  }

  assert {
    condition     = length(data.aws_ssm_parameter.image) == 0 && aws_launch_template.this.image_id == "ami-0def5678"
    error_message = "An explicit image skips the SSM lookup."
  }

  assert {
    condition     = toset(keys(aws_vpc_security_group_egress_rule.this)) == toset(["443-0.0.0.0/0", "8443-0.0.0.0/0"]) && output.target_url == "https://app.example.com:8443/health"
    error_message = "Outbound rules follow egress_ports; a URL with a path is kept."
  }

  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 0 && strcontains(base64decode(aws_launch_template.this.user_data), "OnUnitActiveSec=300")
    error_message = "instance_count 0 pauses the fleet; the period reaches the timer."
  }
}

run "concurrency_above_requests" {
  command = plan

  variables {
    requests    = 10
    concurrency = 20
  }

  expect_failures = [aws_launch_template.this]
}

run "target_port_not_open" {
  command = plan

  variables {
    target_url = "http://app.example.com:8080/"
  }

  expect_failures = [aws_launch_template.this]
}

run "rejects_bad_input" {
  command = plan

  variables {
    target_url         = "ftp://example.com"
    period             = 5
    log_retention_days = 10
  }

  expect_failures = [var.target_url, var.period, var.log_retention_days]
}
