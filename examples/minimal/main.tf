##############################################################################
# Network: one VPC, a public and a private subnet in each of three zones,
# an internet gateway for the public subnets and one NAT gateway through
# which the private (application) subnets reach the internet.
# For production, use one NAT gateway per zone so losing a zone does not
# cut the other zones' instances off the internet.
##############################################################################

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  azs = slice(data.aws_availability_zones.available.names, 0, var.az_count)
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "public" {
  count = length(local.azs)

  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index)
  map_public_ip_on_launch = false

  tags = {
    Name = "${var.name}-public-${local.azs[count.index]}"
  }
}

resource "aws_subnet" "private" {
  count = length(local.azs)

  vpc_id            = aws_vpc.this.id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index + 8)

  tags = {
    Name = "${var.name}-private-${local.azs[count.index]}"
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = var.name
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }

  tags = {
    Name = "${var.name}-public"
  }
}

resource "aws_route_table_association" "public" {
  count = length(aws_subnet.public)

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  domain = "vpc"

  tags = {
    Name = "${var.name}-nat"
  }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id

  tags = {
    Name = var.name
  }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.this.id
  }

  tags = {
    Name = "${var.name}-private"
  }
}

resource "aws_route_table_association" "private" {
  count = length(aws_subnet.private)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

##############################################################################
# The application: load balancer, zonal Auto Scaling groups, launch
# template, security groups, instance role and a multi-AZ PostgreSQL
# database, all from one resource.
##############################################################################

data "aws_ssm_parameter" "image" {
  name = var.image_ssm_parameter
}

resource "hawebapp_stack" "app" {
  name           = var.name
  vpc_id         = aws_vpc.this.id
  app_subnet_ids = aws_subnet.private[*].id
  lb_subnet_ids  = aws_subnet.public[*].id

  instances = {
    image_id      = nonsensitive(data.aws_ssm_parameter.image.value)
    instance_type = var.instance_type
    port          = 8080
    user_data = templatefile("${path.module}/boot.sh", {
      app_release_url = var.app_release_url
    })
  }

  capacity = {
    min     = 3
    desired = 3
    max     = 9
  }

  # Target tracking adds instances (up to max) when the load balancer counts
  # more requests per instance and minute than this, and removes them (down
  # to min) when it counts fewer.
  scaling = {
    metric = "request_count_per_target"
    target = var.requests_per_instance
  }

  health_check = {
    path = "/health"
  }

  database = {
    engine         = "postgres"
    instance_class = "db.t3.micro"
    multi_az       = true

    # Example only: lets `terraform destroy` remove the database without a
    # final snapshot. Keep the defaults (true / false) for real data.
    deletion_protection = false
    skip_final_snapshot = true
  }

  # The zone to take out of service while it is impaired (see the guide
  # "Evacuating a zone"): `terraform apply -var 'evacuate_zones=["us-east-1b"]'`,
  # and `[]` again once the zone is healthy.
  evacuate_zones = var.evacuate_zones

  tags = {
    example = "minimal"
  }

  # The private subnets must reach the internet before instances boot.
  depends_on = [aws_route_table_association.private]
}
