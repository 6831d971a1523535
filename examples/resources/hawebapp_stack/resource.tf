resource "hawebapp_stack" "example" {
  name           = "fruit-api"
  vpc_id         = "vpc-0123456789abcdef0"
  app_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"] # private, one per zone
  lb_subnet_ids  = ["subnet-0ddddddddddddddd4", "subnet-0eeeeeeeeeeeeeee5", "subnet-0fffffffffffffff6"] # public

  listener = {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }

  health_check = {
    path    = "/health"
    matcher = "200-399"
  }

  instances = {
    image_id      = "ami-0123456789abcdef0"
    instance_type = "t3.small"
    port          = 8080
    user_data     = file("${path.module}/boot.sh")
  }

  capacity = {
    min     = 3
    desired = 3
    max     = 12
  }

  scaling = {
    metric = "request_count_per_target"
    target = 500
  }

  database = {
    engine         = "postgres"
    instance_class = "db.t3.micro"
    multi_az       = true
  }

  # While a zone is impaired, take it out of service (see the guide
  # "Evacuating a zone"); remove it from the list to bring the zone back.
  # evacuate_zones = ["us-east-1b"]

  tags = {
    team = "shop"
  }
}
