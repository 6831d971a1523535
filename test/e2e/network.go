package e2e

import (
	"github.com/hawebapp/terraform-provider-hawebapp/test/env"
)

// RootHeader opens the Terraform roots the suites write for one
// hawebapp_stack: the provider requirement and the variables every such
// root takes (the stack's name and the network NetworkVars gives). A root
// appends its own variables, the resource and its outputs.
const RootHeader = `
terraform {
  required_providers {
    hawebapp = { source = "hawebapp/hawebapp" }
  }
}

provider "hawebapp" {}

variable "name" { type = string }
variable "vpc_id" { type = string }
variable "app_subnet_ids" { type = list(string) }
variable "lb_subnet_ids" { type = list(string) }
`

// StackOpen opens a root's hawebapp_stack "app" on the network RootHeader
// declares; the root goes on with the stack's own arguments and closes it.
const StackOpen = `resource "hawebapp_stack" "app" {
  name           = var.name
  vpc_id         = var.vpc_id
  app_subnet_ids = var.app_subnet_ids
  lb_subnet_ids  = var.lb_subnet_ids
`

// NetworkVars are the root variables RootHeader declares for n, a network
// made by env.NetworkOf with LB subnets (no hashicorp/aws in the roots: its
// start-up alone costs seconds a command).
func NetworkVars(n env.Net) map[string]any {
	return map[string]any{"vpc_id": n.VPCID, "app_subnet_ids": n.App, "lb_subnet_ids": n.LB}
}
