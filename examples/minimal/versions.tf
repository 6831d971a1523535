terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
    hawebapp = {
      source  = "hawebapp/hawebapp"
      version = ">= 0.1"
    }
  }
}

# Credentials, region and endpoints come from the standard AWS environment
# (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION,
# AWS_ENDPOINT_URL); both providers read the same variables.
provider "aws" {
  default_tags {
    tags = {
      example = "hawebapp-minimal"
    }
  }
}

provider "hawebapp" {}
