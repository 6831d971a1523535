# Test fixture for apply.tftest.hcl: a two-zone network (modules/network).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "name" {
  description = "Name prefix of the network."
  type        = string
}

module "network" {
  source = "../../../network"

  name               = var.name
  azs                = 2
  nat_gateway_per_az = false
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnet IDs."
  value       = module.network.private_subnet_ids
}
