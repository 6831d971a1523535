# Applies the module for real (a two-zone network and a fleet of two load
# runners), then destroys everything. It needs an AWS endpoint and
# credentials in the environment: the Go suite (TestModulesApply, test/minimal_test.go)
# runs it against a local emulator; plain checks run only the mocked
# tests/plan.tftest.hcl.

variables {
  name = "load-apply"
}

run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "apply" {
  command = apply

  variables {
    vpc_id     = run.setup.vpc_id
    subnet_ids = run.setup.private_subnet_ids
    target_url = "http://app.example.com"
    requests   = 200
    period     = 30
  }

  assert {
    condition     = aws_autoscaling_group.this.desired_capacity == 2 && startswith(output.autoscaling_group_name, "load-apply-")
    error_message = "Expected a group of two instances."
  }

  assert {
    condition     = output.log_group_name == "/load-runner/load-apply" && output.launch_template_version == 1
    error_message = "Expected the log group and the first launch template version."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.this) == 2
    error_message = "Expected outbound rules for ports 80 and 443 only."
  }
}
