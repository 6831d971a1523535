# Plan-level tests of the access logs bucket and the database secret's
# rotation schedule, with mocked providers: no credentials, no AWS calls.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      id  = "shop-lb-logs-20261207"
      arn = "arn:aws:s3:::shop-lb-logs-20261207"
    }
  }
}

mock_provider "hawebapp" {
  override_during = plan

  mock_resource "hawebapp_stack" {
    defaults = {
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

run "logs_off_by_default" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && hawebapp_stack.this.access_logs == null
    error_message = "Without access_logs the module must make no bucket and leave the load balancer's logs off."
  }
}

run "bucket_made_in_a_legacy_region" {
  command = plan

  variables {
    access_logs = { create_bucket = true, prefix = "lb", expiration_days = 90 }
  }

  assert {
    condition     = hawebapp_stack.this.access_logs.bucket == "shop-lb-logs-20261207" && hawebapp_stack.this.access_logs.prefix == "lb"
    error_message = "The stack must write its logs to the module's bucket under the prefix."
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.access_logs[0].rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The bucket must use SSE-S3, the only encryption Elastic Load Balancing supports."
  }
  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.access_logs[0]] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "The bucket must block public access."
  }
  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.access_logs[0].rule).expiration[0].days == 90
    error_message = "expiration_days must expire the logs."
  }
  assert {
    condition = jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement[0].Principal.AWS == "arn:aws:iam::127311923021:root" && (
    jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement[0].Resource == "arn:aws:s3:::shop-lb-logs-20261207/lb/AWSLogs/123456789012/*")
    error_message = "In us-east-1 the policy must let the region's ELB account put objects under <prefix>/AWSLogs/<account>/."
  }
  assert {
    condition     = output.access_logs_bucket == "shop-lb-logs-20261207" && output.access_logs_bucket_arn == "arn:aws:s3:::shop-lb-logs-20261207"
    error_message = "The outputs must name the bucket."
  }
}

run "bucket_made_in_a_newer_region" {
  command = plan

  variables {
    access_logs = { create_bucket = true }
  }

  override_data {
    target = data.aws_region.current
    values = { name = "ap-southeast-5" }
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement[0].Principal.Service == "logdelivery.elasticloadbalancing.amazonaws.com" && (
    jsondecode(aws_s3_bucket_policy.access_logs[0].policy).Statement[0].Resource == "arn:aws:s3:::shop-lb-logs-20261207/AWSLogs/123456789012/*")
    error_message = "In a Region from August 2022 on, the policy must name the log delivery service principal, at the bucket's root without a prefix."
  }
  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.access_logs) == 0 && hawebapp_stack.this.access_logs.prefix == null
    error_message = "No expiration_days, no lifecycle; no prefix, none on the stack."
  }
}

run "own_bucket" {
  command = plan

  variables {
    access_logs = { bucket = "company-lb-logs", prefix = "shop" }
  }

  assert {
    condition     = length(aws_s3_bucket.access_logs) == 0 && length(aws_s3_bucket_policy.access_logs) == 0
    error_message = "With the caller's bucket the module makes none."
  }
  assert {
    condition     = hawebapp_stack.this.access_logs.bucket == "company-lb-logs" && hawebapp_stack.this.access_logs.prefix == "shop"
    error_message = "The stack must write to the caller's bucket."
  }
}

run "bucket_and_create_bucket" {
  command = plan

  variables {
    access_logs = { bucket = "company-lb-logs", create_bucket = true }
  }

  expect_failures = [var.access_logs]
}

run "secret_rotation" {
  command = plan

  variables {
    database = { secret_rotation = { schedule_expression = "rate(10 days)", duration = "3h" } }
  }

  assert {
    condition     = hawebapp_stack.this.database.secret_rotation.schedule_expression == "rate(10 days)" && hawebapp_stack.this.database.secret_rotation.duration == "3h"
    error_message = "database.secret_rotation must reach the stack."
  }
}
