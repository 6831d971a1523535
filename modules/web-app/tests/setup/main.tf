# Test fixture for apply.tftest.hcl: a two-zone network (modules/network)
# and the latest Amazon Linux 2023 image.

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

data "aws_ssm_parameter" "image" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "public_subnet_ids" {
  description = "Public subnet IDs."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnet IDs."
  value       = module.network.private_subnet_ids
}

output "image_id" {
  description = "Amazon Linux 2023 image ID."
  value       = nonsensitive(data.aws_ssm_parameter.image.value)
}
