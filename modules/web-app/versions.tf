terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
    hawebapp = {
      source  = "hawebapp/hawebapp"
      version = ">= 0.1"
    }
  }
}
