variable "name" {
  description = "Name of the stack: 3-25 characters of a-z, 0-9 and '-', starting with a letter. Also used to name the network."
  type        = string
  default     = "fruit-api"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC. The example carves three public and three private /20 subnets out of it."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread the subnets and the zonal Auto Scaling groups over (2 or 3)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "The stack needs at least two availability zones and the example lays out at most three."
  }
}

variable "image_ssm_parameter" {
  description = "Public SSM parameter that holds the image ID the instances boot (latest Amazon Linux 2023 by default)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "instance_type" {
  description = "EC2 instance type of the application instances."
  type        = string
  default     = "t3.small"
}

variable "app_release_url" {
  description = "URL of the example app's linux/amd64 binary (a build of examples/app) that the instances download at boot. The default is the asset the release workflow (.github/workflows/release.yml) publishes on the project's latest release. Before any release exists, or to run your own build: build it (GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o hawebapp-app_linux_amd64 ./examples/app), host it where the instances can download it without credentials (for example an S3 object behind a presigned URL, `aws s3 presign`, valid up to 7 days), and set this to its URL; use the linux/arm64 build (GOARCH=arm64) for Graviton instance types."
  type        = string
  default     = "https://github.com/hawebapp/terraform-provider-hawebapp/releases/latest/download/hawebapp-app_linux_amd64"
}

variable "requests_per_instance" {
  description = "Target-tracking goal: requests per instance and minute, counted by the load balancer. Auto Scaling adds instances above it and removes them below it, between 3 and 9."
  type        = number
  default     = 500

  validation {
    condition     = var.requests_per_instance >= 1
    error_message = "The target must be at least one request per instance and minute."
  }
}

variable "evacuate_zones" {
  description = "Zones to take out of service while they are impaired, such as `[\"us-east-1b\"]`: the stack shifts traffic away from the zone and the other zones carry the load (see the guide *Evacuating a zone*). Set it back to `[]` (or remove it) when the zone is healthy again. Null by default, as an imported stack reads it, so a plan after `terraform import` is empty."
  type        = list(string)
  default     = null
}
