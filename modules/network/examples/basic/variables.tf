variable "name" {
  description = "Name of the network, used in every resource's Name tag."
  type        = string
  default     = "fruit-api"
}
