variable "name" {
  description = "Name of the stack and its network: 3-24 characters of a-z, 0-9 and '-'."
  type        = string
  default     = "fruit-api"
}
