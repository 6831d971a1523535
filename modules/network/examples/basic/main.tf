# The network module on its own: a VPC with a public and a private subnet in
# each of three zones and a NAT gateway per zone (set nat_gateway_per_az =
# false for one shared NAT gateway, cheaper and not zone-independent).
module "network" {
  source = "../.."

  name = var.name
  cidr = "10.0.0.0/16"
  azs  = 3
}
