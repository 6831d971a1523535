# The web-app module on the network module: a highly available web tier
# (load balancer, one Auto Scaling group per zone, a multi-AZ PostgreSQL
# database) behind the module's alarms and dashboard.
module "network" {
  source = "../../../network"

  name = var.name
  azs  = 3
}

data "aws_ssm_parameter" "image" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

module "web_app" {
  source = "../.."

  name           = var.name
  vpc_id         = module.network.vpc_id
  app_subnet_ids = module.network.private_subnet_ids
  lb_subnet_ids  = module.network.public_subnet_ids

  instances = {
    image_id  = nonsensitive(data.aws_ssm_parameter.image.value)
    user_data = file("${path.module}/boot.sh")
  }

  database = {
    # Example only: lets `terraform destroy` remove the database. Keep the
    # defaults (protection on, final snapshot kept) for real data.
    deletion_protection = false
    skip_final_snapshot = true
  }
}
