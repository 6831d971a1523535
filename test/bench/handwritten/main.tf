# The benchmark stack written by hand with hashicorp/aws resources (in
# ./stack), the same architecture hawebapp_stack makes. The network is an
# input; endpoint and credentials come from the standard AWS environment.

terraform {
  required_version = ">= 1.5.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}

provider "aws" {}

locals {
  names = var.stack_count == 1 ? [var.name] : [for i in range(var.stack_count) : format("%s-%02d", var.name, i)]
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

module "stack" {
  source   = "./stack"
  for_each = toset(local.names)

  name       = each.key
  vpc_id     = var.vpc_id
  vpc_cidr   = data.aws_vpc.this.cidr_block
  subnet_ids = var.subnet_ids
  image_id   = var.image_id
  database   = var.database
}

output "urls" {
  value = { for k, s in module.stack : k => s.url }
}
