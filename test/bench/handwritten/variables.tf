variable "name" {
  description = "Name of the stack, or prefix of the stacks' names when stack_count > 1."
  type        = string
}

variable "stack_count" {
  description = "Number of identical stacks on the same network (scale series)."
  type        = number
  default     = 1
}

variable "database" {
  description = "Whether each stack has its multi-AZ database (the hand-written scale series runs without: see contributing/benchmarks.md)."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the stacks."
  type        = string
}

variable "subnet_ids" {
  description = "Three subnets in three zones, for the load balancer and the instances."
  type        = list(string)
}

variable "image_id" {
  description = "AMI of the instances."
  type        = string
  default     = "ami-12c6146b"
}
