variable "name" {
  description = "Name prefix of every resource (VPC, subnets, gateways, route tables)."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC. Each zone gets one public and one private subnet of 1/16 of it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "azs" {
  description = "Number of availability zones to use, taken in order from the region's available zones (2 to 6; 3 recommended)."
  type        = number
  default     = 3

  validation {
    condition     = var.azs >= 2 && var.azs <= 6
    error_message = "A highly available stack needs at least 2 availability zones, and the layout has room for 6."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per zone (true: losing a zone leaves the others online) or a single shared one (false: cheaper)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
