variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "subnet_ids" {
  description = "One subnet per zone: the load balancer spans them, and each gets its own Auto Scaling group."
  type        = list(string)
}

variable "image_id" {
  type = string
}

variable "port" {
  type    = number
  default = 8080
}

variable "database" {
  type    = bool
  default = true
}
