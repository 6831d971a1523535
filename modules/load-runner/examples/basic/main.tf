# The load-runner module: two instances that run ab against a URL every
# minute and log the results to CloudWatch Logs. Point target_url at the
# application under test.
module "network" {
  source = "../../../network"

  name               = var.name
  azs                = 2
  nat_gateway_per_az = false
}

module "load_runner" {
  source = "../.."

  name        = var.name
  vpc_id      = module.network.vpc_id
  subnet_ids  = module.network.private_subnet_ids
  target_url  = var.target_url
  requests    = 1000
  concurrency = 10
}
