output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "azs" {
  description = "Availability zones used, in order."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, one per zone, in the order of `azs` (for the load balancer)."
  value       = [for az in local.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per zone, in the order of `azs` (for the instances and the database)."
  value       = [for az in local.azs : aws_subnet.private[az].id]
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways by zone."
  value       = { for az, n in aws_nat_gateway.this : az => n.id }
}
