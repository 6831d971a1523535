# Plan-level tests with mocked providers: no credentials, no AWS calls.
# (tests/apply.tftest.hcl applies the module to an AWS endpoint; it runs from
# the Go suite in test/, which starts a local emulator.)

mock_provider "aws" {
  override_during = plan

  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:us-east-1:123456789012:shop-events"
    }
  }
}

mock_provider "hawebapp" {
  # Plausible computed values at plan time, so the module's ARN parsing
  # (metric dimensions) and per-zone logic can be checked.
  override_during = plan

  mock_resource "hawebapp_stack" {
    defaults = {
      url                     = "http://shop-123.us-east-1.elb.amazonaws.com"
      dns_name                = "shop-123.us-east-1.elb.amazonaws.com"
      zone_id                 = "Z35SXDOTRQ7X7K"
      load_balancer_arn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188"
      target_group_arn        = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop/73e2d6bc24d8a067"
      db_instance_identifier  = "shop"
      autoscaling_group_names = { "us-east-1a" = "shop-us-east-1a", "us-east-1b" = "shop-us-east-1b", "us-east-1c" = "shop-us-east-1c" }
    }
  }
}

variables {
  name           = "shop"
  vpc_id         = "vpc-0a1b2c3d"
  app_subnet_ids = ["subnet-0a1", "subnet-0b2", "subnet-0c3"]
  lb_subnet_ids  = ["subnet-0d4", "subnet-0e5", "subnet-0f6"]
  instances = {
    image_id = "ami-0abc1234"
  }
}

run "defaults" {
  command = plan

  assert {
    condition     = length(aws_sns_topic.this) == 1 && length(aws_autoscaling_notification.this) == 1
    error_message = "Expected one SNS topic and one notification configuration by default."
  }

  assert {
    condition     = length(aws_autoscaling_notification.this[0].group_names) == 3
    error_message = "The notification configuration must cover every zonal group."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.http_5xx) == 1 && length(aws_cloudwatch_metric_alarm.unhealthy_hosts) == 1 && length(aws_cloudwatch_metric_alarm.latency) == 1
    error_message = "Expected the load balancer alarms by default."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.db_cpu) == 0 && length(aws_cloudwatch_metric_alarm.db_free_storage) == 0
    error_message = "No database alarms without a database."
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 1
    error_message = "Expected a dashboard by default."
  }

  assert {
    condition     = length(aws_route53_record.this) == 0 && length(aws_acm_certificate.this) == 0 && length(aws_route53_record.validation) == 0
    error_message = "DNS and certificate are off by default."
  }

  assert {
    condition     = hawebapp_stack.this.listener.certificate_arn == null && hawebapp_stack.this.group_metrics
    error_message = "Without a certificate the listener is HTTP only; group metrics are on by default."
  }

  assert {
    condition     = output.url == "http://shop-123.us-east-1.elb.amazonaws.com"
    error_message = "Without a DNS record the URL is the load balancer's."
  }
}

run "metric_dimensions_from_arns" {
  command = plan

  assert {
    condition     = output.load_balancer_arn_suffix == "app/shop/50dc6c495c0c9188" && output.target_group_arn_suffix == "targetgroup/shop/73e2d6bc24d8a067"
    error_message = "ARN suffixes are derived from the stack's ARNs."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.unhealthy_hosts[0].dimensions["LoadBalancer"] == "app/shop/50dc6c495c0c9188" && aws_cloudwatch_metric_alarm.unhealthy_hosts[0].dimensions["TargetGroup"] == "targetgroup/shop/73e2d6bc24d8a067"
    error_message = "The unhealthy hosts alarm needs the load balancer and target group dimensions."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.latency[0].extended_statistic == "p95" && aws_cloudwatch_metric_alarm.latency[0].statistic == null
    error_message = "A percentile goes in extended_statistic."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 7
    error_message = "Expected 6 metric widgets and the alarm widget without a database."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"us-east-1\"") && strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "shop-us-east-1c")
    error_message = "The dashboard's widgets name the region and every zonal group."
  }
}

run "with_database" {
  command = plan

  variables {
    database = {
      instance_class = "db.t3.small"
    }
    alarm_latency_statistic = "Average"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.db_cpu) == 1 && length(aws_cloudwatch_metric_alarm.db_free_storage) == 1
    error_message = "Expected the database alarms with a database."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.db_free_storage[0].threshold == 2147483648 && aws_cloudwatch_metric_alarm.db_cpu[0].dimensions["DBInstanceIdentifier"] == "shop"
    error_message = "Free storage threshold is in bytes (2 GiB); database alarms watch the stack's database."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.latency[0].statistic == "Average" && aws_cloudwatch_metric_alarm.latency[0].extended_statistic == null
    error_message = "Average goes in statistic."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 9
    error_message = "Expected two database widgets on the dashboard."
  }
}

run "everything_off" {
  command = plan

  variables {
    create_notifications = false
    create_alarms        = false
    create_dashboard     = false
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_autoscaling_notification.this) == 0 && length(aws_cloudwatch_dashboard.this) == 0 && length(aws_cloudwatch_metric_alarm.http_5xx) == 0
    error_message = "With every switch off only the stack is created."
  }

  assert {
    condition     = output.sns_topic_arn == null
    error_message = "No topic, no topic ARN."
  }
}

run "existing_topic" {
  command = plan

  variables {
    sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:ops"
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && aws_autoscaling_notification.this[0].topic_arn == "arn:aws:sns:us-east-1:123456789012:ops"
    error_message = "An existing topic is used as is."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.http_5xx[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:ops"])
    error_message = "Alarms notify the existing topic."
  }
}

run "dns_and_certificate" {
  command = plan

  variables {
    create_dns_record         = true
    create_certificate        = true
    route53_zone_id           = "Z0123456789ABCDEFGHIJ"
    domain_name               = "shop.example.com"
    subject_alternative_names = ["www.shop.example.com"]
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 1 && length(aws_route53_record.validation) == 2 && length(aws_acm_certificate_validation.this) == 1
    error_message = "Expected a certificate with one validation record per name."
  }

  assert {
    condition     = aws_route53_record.this[0].name == "shop.example.com" && aws_route53_record.this[0].alias[0].zone_id == "Z35SXDOTRQ7X7K"
    error_message = "The alias record points at the load balancer's zone."
  }

  assert {
    condition     = output.url == "https://shop.example.com"
    error_message = "With a record and a certificate the URL is https://<domain_name>."
  }
}

run "existing_certificate" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = hawebapp_stack.this.listener.certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000" && length(aws_acm_certificate.this) == 0
    error_message = "An existing certificate goes to the stack's listener."
  }
}

run "dns_record_needs_a_zone" {
  command = plan

  variables {
    create_dns_record = true
    domain_name       = "shop.example.com"
  }

  expect_failures = [aws_route53_record.this]
}

run "rejects_bad_input" {
  command = plan

  variables {
    name                    = "Shop_1"
    app_subnet_ids          = ["subnet-0a1"]
    alarm_latency_statistic = "median"
    capacity                = { min = 4, max = 2 }
  }

  expect_failures = [var.name, var.app_subnet_ids, var.alarm_latency_statistic, var.capacity]
}

# The provider's derived names need at least 3 characters (a launch template
# name is 3-128 characters), so the module refuses a 2-character name at plan.
run "rejects_too_short_name" {
  command = plan

  variables {
    name = "ab"
  }

  expect_failures = [var.name]
}

# The module takes exactly the names the provider takes: up to 25 characters
# (the target group's name, <name>-<6 hex digits>, is at most 32).
run "accepts_longest_name" {
  command = plan

  variables {
    name = "abcdefghij-klmnopqrst-uvw"
  }

  assert {
    condition     = length(var.name) == 25 && hawebapp_stack.this.name == var.name
    error_message = "A 25-character name must be accepted, as the provider accepts it."
  }
}

run "rejects_too_long_name" {
  command = plan

  variables {
    name = "abcdefghij-klmnopqrst-uvwx"
  }

  expect_failures = [var.name]
}

run "rejects_name_starting_with_digit" {
  command = plan

  variables {
    name = "1shop"
  }

  expect_failures = [var.name]
}

run "rejects_reserved_name" {
  command = plan

  variables {
    name = "internal-shop"
  }

  expect_failures = [var.name]
}
