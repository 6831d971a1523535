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

# Credentials, region and endpoints come from the standard AWS environment;
# both providers read the same variables.
provider "aws" {}

provider "hawebapp" {}
