variable "name" {
  description = "Name of the stack (3-25 characters of a-z, 0-9 and '-', starting with a letter), also the prefix of the network, the topic, the alarms and the dashboard."
  type        = string
  default     = "shop"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones (2 to 6; 3 recommended)."
  type        = number
  default     = 3

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be between 2 and 6."
  }
}

variable "nat_gateway_per_az" {
  description = "One NAT gateway per zone (losing a zone leaves the others online) or a single shared one (cheaper)."
  type        = bool
  default     = true
}

variable "image_ssm_parameter" {
  description = "Public SSM parameter holding the image ID the instances boot (latest Amazon Linux 2023 by default)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "instance_type" {
  description = "EC2 instance type of the application instances."
  type        = string
  default     = "t3.small"
}

variable "instance_types" {
  description = "Instance types in priority order: each zone launches the first it has capacity for (a mixed instances policy per zonal group). Null: instance_type alone."
  type        = list(string)
  default     = null
}

variable "timeouts" {
  description = "Timeouts of the stack's create, update and delete, such as `{ create = \"45m\" }`. Null: the provider's defaults."
  type = object({
    create = optional(string)
    update = optional(string)
    delete = optional(string)
  })
  default = null
}

variable "app_release_url" {
  description = "URL of the example app's linux/amd64 binary (a build of examples/app) that the instances download at boot. The default is the asset the release workflow (.github/workflows/release.yml) publishes on the project's latest release. Before any release exists, or to run your own build: build it (GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -o hawebapp-app_linux_amd64 ./examples/app), host it where the instances can download it without credentials (for example an S3 object behind a presigned URL, `aws s3 presign`, valid up to 7 days), and set this to its URL; use the linux/arm64 build (GOARCH=arm64) for Graviton instance types."
  type        = string
  default     = "https://github.com/hawebapp/terraform-provider-hawebapp/releases/latest/download/hawebapp-app_linux_amd64"
}

variable "capacity" {
  description = "Total instances over all zones; `desired` is the initial capacity, afterwards owned by autoscaling."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = { min = 3, desired = 3, max = 9 }
}

variable "scaling_target" {
  description = "Requests per instance and minute that target tracking keeps each zonal group at (ALBRequestCountPerTarget)."
  type        = number
  default     = 500

  validation {
    condition     = var.scaling_target > 0
    error_message = "scaling_target must be more than 0."
  }
}

variable "db_instance_class" {
  description = "Instance class of the multi-AZ PostgreSQL database."
  type        = string
  default     = "db.t3.micro"
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database. Off in this example so that `terraform destroy` works in one go; turn it on for real data."
  type        = bool
  default     = false
}

variable "notification_emails" {
  description = "E-mail addresses that receive scaling notifications and alarms (each must confirm its subscription)."
  type        = list(string)
  default     = []
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone for `domain_name`. With both set, the example creates an alias record and an ACM certificate validated by DNS, and serves HTTPS."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "Name of the application in `route53_zone_id`, such as `shop.example.com`. Null: no DNS record and no certificate (HTTP on the load balancer's name)."
  type        = string
  default     = null
}

variable "evacuate_zones" {
  description = "Zones to take out of service while they are impaired, such as `[\"us-east-1b\"]`: the stack shifts traffic away from the zone and the other zones carry the load (see the guide *Evacuating a zone*). Set it back to `[]` when the zone is healthy again."
  type        = list(string)
  default     = []
}

variable "zonal_autoshift" {
  description = "Turns on ARC zonal autoshift for the load balancer: AWS shifts traffic away from a zone it finds impaired, with no apply, and the stack creates the practice run configuration and its outcome alarm. Null: off. See the guide *Evacuating a zone*."
  type = object({
    enabled = optional(bool, true)
  })
  default = null
}
