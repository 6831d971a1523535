# The benchmark stack written with hawebapp_stack: one resource per stack.
# The network (VPC and three subnets in three zones) is an input, created
# once by the bench before the runs. Endpoint and credentials come from the
# standard AWS environment variables.

terraform {
  required_version = ">= 1.5.7"

  required_providers {
    hawebapp = {
      source = "hawebapp/hawebapp"
    }
  }
}

provider "hawebapp" {}

locals {
  # One stack is named var.name; a scale run names its stacks <name>-00 ...
  names = var.stack_count == 1 ? [var.name] : [for i in range(var.stack_count) : format("%s-%02d", var.name, i)]
}

resource "hawebapp_stack" "app" {
  for_each = toset(local.names)

  name           = each.key
  vpc_id         = var.vpc_id
  app_subnet_ids = var.subnet_ids
  lb_subnet_ids  = var.subnet_ids

  instances = {
    image_id      = var.image_id
    instance_type = "t3.small"
    port          = 8080
    user_data     = file("${path.module}/boot.sh")
  }

  capacity = {
    min     = 3
    desired = 3
    max     = 9
  }

  scaling = {
    metric = "request_count_per_target"
    target = 500
  }

  database = var.database ? {
    engine              = "postgres"
    instance_class      = "db.t3.micro"
    multi_az            = true
    deletion_protection = false
    skip_final_snapshot = true
  } : null
}

output "urls" {
  value = { for k, s in hawebapp_stack.app : k => s.url }
}
