variable "name" {
  description = "Name of the load-runner fleet and its network."
  type        = string
  default     = "load-runner"
}

variable "target_url" {
  description = "URL the instances load, such as a stack's url output."
  type        = string
}
