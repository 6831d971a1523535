##############################################################################
# Fleet
##############################################################################

variable "name" {
  description = "Name of the fleet: 2-32 characters of a-z, 0-9 and hyphens. Names the Auto Scaling group, launch template, security group, role and log group (`/load-runner/<name>`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(-[a-z0-9]+)*$", var.name)) && length(var.name) >= 2 && length(var.name) <= 32
    error_message = "name must be 2-32 characters of a-z, 0-9 and single hyphens, starting and ending with a letter or digit."
  }
}

variable "vpc_id" {
  description = "ID of the VPC of the fleet."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0a1b2c3d."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the instances (they need a route to the target and to CloudWatch Logs, for example through NAT). The instances get no public IP."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids needs at least one subnet ID such as subnet-0a1b2c3d."
  }
}

variable "instance_count" {
  description = "Number of load-running instances (0 pauses the fleet)."
  type        = number
  default     = 2

  validation {
    condition     = var.instance_count >= 0 && var.instance_count <= 100 && var.instance_count == floor(var.instance_count)
    error_message = "instance_count must be a whole number from 0 to 100."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the load runners."
  type        = string
  default     = "t3.micro"
}

variable "image_id" {
  description = "AMI of the instances (Amazon Linux 2023 or a compatible image with dnf). Null: the image in `image_ssm_parameter`."
  type        = string
  default     = null

  validation {
    condition     = var.image_id == null || can(regex("^ami-[0-9a-f]+$", coalesce(var.image_id, "-")))
    error_message = "image_id must be an AMI ID such as ami-0abc1234."
  }
}

variable "image_ssm_parameter" {
  description = "Public SSM parameter holding the AMI ID, used when `image_id` is null."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "root_volume_size" {
  description = "Root volume size in GiB (gp3, always encrypted). Null (the default): the size of the image's root snapshot, which EC2 uses when none is given; a smaller size fails every launch (InvalidBlockDeviceMapping)."
  type        = number
  default     = null

  validation {
    condition     = var.root_volume_size == null ? true : var.root_volume_size >= 8 && var.root_volume_size <= 16384
    error_message = "root_volume_size must be between 8 and 16384 GiB."
  }
}

variable "root_volume_kms_key_id" {
  description = "KMS key ARN encrypting the root volumes. Null: the account's default EBS key."
  type        = string
  default     = null
}

variable "managed_policy_arns" {
  description = "Extra managed policies for the instance role, such as `arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore` for Session Manager. By default the role can only write to the fleet's log group."
  type        = list(string)
  default     = []
}

##############################################################################
# Load
##############################################################################

variable "target_url" {
  description = "URL each instance loads, such as the stack's `url` (a bare host gets the path `/`)."
  type        = string

  validation {
    condition     = can(regex("^https?://[^/\\s]+(/\\S*)?$", var.target_url))
    error_message = "target_url must be an http:// or https:// URL."
  }
}

variable "requests" {
  description = "Requests per run of `ab` (its `-n`)."
  type        = number
  default     = 1000

  validation {
    condition     = var.requests >= 1 && var.requests == floor(var.requests)
    error_message = "requests must be a whole number, at least 1."
  }
}

variable "concurrency" {
  description = "Requests `ab` keeps in flight (its `-c`); at most `requests`."
  type        = number
  default     = 10

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 20000 && var.concurrency == floor(var.concurrency)
    error_message = "concurrency must be a whole number from 1 to 20000."
  }
}

variable "period" {
  description = "Seconds between the starts of two runs on an instance (a systemd timer; a run still going delays the next)."
  type        = number
  default     = 60

  validation {
    condition     = var.period >= 10 && var.period == floor(var.period)
    error_message = "period must be a whole number of seconds, at least 10."
  }
}

variable "request_timeout" {
  description = "Seconds `ab` waits for a response before counting it failed (its `-s`)."
  type        = number
  default     = 30

  validation {
    condition     = var.request_timeout >= 1 && var.request_timeout == floor(var.request_timeout)
    error_message = "request_timeout must be a whole number of seconds, at least 1."
  }
}

variable "egress_ports" {
  description = "TCP ports the instances may connect to: the target URL's port (checked at apply), and 443 for the package repositories and CloudWatch Logs."
  type        = list(number)
  default     = [80, 443]

  validation {
    condition     = length(var.egress_ports) > 0 && alltrue([for p in var.egress_ports : p >= 1 && p <= 65535 && p == floor(p)]) && contains(var.egress_ports, 443)
    error_message = "egress_ports must be TCP ports (1-65535) and include 443 (packages and CloudWatch Logs)."
  }
}

variable "egress_cidr_blocks" {
  description = "Where the instances may connect on `egress_ports`."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = length(var.egress_cidr_blocks) > 0 && alltrue([for c in var.egress_cidr_blocks : can(cidrhost(c, 0))])
    error_message = "egress_cidr_blocks needs at least one valid CIDR block."
  }
}

##############################################################################
# Logs
##############################################################################

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the `ab` output (0: forever)."
  type        = number
  default     = 14

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of CloudWatch Logs' retention values (0, 1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "log_kms_key_id" {
  description = "KMS key ARN encrypting the log group. Null: CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource (and the instances and their volumes)."
  type        = map(string)
  default     = {}
}
