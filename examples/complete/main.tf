##############################################################################
# Network: a VPC with a public and a private subnet in each zone, and NAT
##############################################################################

module "network" {
  source = "../../modules/network"

  name               = var.name
  cidr               = var.vpc_cidr
  azs                = var.az_count
  nat_gateway_per_az = var.nat_gateway_per_az
}

##############################################################################
# The application: hawebapp_stack (load balancer, one Auto Scaling group per
# zone, launch template, security groups, instance role, multi-AZ
# PostgreSQL) with scaling notifications, alarms and a dashboard; DNS and
# TLS when a hosted zone is given
##############################################################################

data "aws_ssm_parameter" "image" {
  name = var.image_ssm_parameter
}

locals {
  dns = var.route53_zone_id != null && var.domain_name != null
}

module "web_app" {
  source = "../../modules/web-app"

  name           = var.name
  vpc_id         = module.network.vpc_id
  app_subnet_ids = module.network.private_subnet_ids
  lb_subnet_ids  = module.network.public_subnet_ids

  instances = {
    image_id       = nonsensitive(data.aws_ssm_parameter.image.value)
    instance_type  = var.instance_types == null ? var.instance_type : null
    instance_types = var.instance_types
    port           = 8080
    user_data = templatefile("${path.module}/boot.sh", {
      app_release_url = var.app_release_url
    })
  }

  capacity       = var.capacity
  evacuate_zones = var.evacuate_zones
  timeouts       = var.timeouts
  scaling        = { metric = "request_count_per_target", target = var.scaling_target }
  health_check   = { path = "/health" }

  database = {
    engine         = "postgres"
    instance_class = var.db_instance_class
    multi_az       = true

    # Example only: lets `terraform destroy` remove the database without a
    # final snapshot. Keep the defaults (protection on, final snapshot) for
    # real data.
    deletion_protection = var.db_deletion_protection
    skip_final_snapshot = true
  }

  create_notifications = true
  create_alarms        = true
  create_dashboard     = true
  notification_emails  = var.notification_emails

  create_dns_record  = local.dns
  create_certificate = local.dns
  route53_zone_id    = var.route53_zone_id
  domain_name        = var.domain_name

  tags = {
    example = "complete"
  }

  zonal_autoshift = var.zonal_autoshift

  # The private subnets must reach the internet (NAT) before instances boot.
  depends_on = [module.network]
}
