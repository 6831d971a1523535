variable "name" {
  description = "Name of the stack and its network: 3-25 characters of a-z, 0-9 and '-', starting with a letter."
  type        = string
  default     = "fruit-api"
}
