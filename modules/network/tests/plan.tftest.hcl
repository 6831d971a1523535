# Plan-level tests with a mocked AWS provider: no credentials, no calls.
mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
    }
  }
}

variables {
  name = "shop"
}

run "three_zones_nat_per_zone" {
  command = plan

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3
    error_message = "Expected one public and one private subnet in each of 3 zones."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3
    error_message = "Expected one NAT gateway per zone."
  }

  assert {
    condition     = aws_subnet.private["us-east-1c"].cidr_block == "10.0.160.0/20"
    error_message = "Private subnets are carved from the upper half of the VPC."
  }
}

run "single_nat" {
  command = plan

  variables {
    azs                = 2
    nat_gateway_per_az = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_route_table.private) == 2
    error_message = "Expected one shared NAT gateway and a private route table per zone."
  }
}

run "rejects_one_zone" {
  command = plan

  variables {
    azs = 1
  }

  expect_failures = [var.azs]
}
