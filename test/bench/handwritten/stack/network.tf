# Security groups chained load balancer -> instances -> database.

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "${var.name}: load balancer"
  vpc_id      = var.vpc_id

  ingress {
    description = "listener 80"
    protocol    = "tcp"
    from_port   = 80
    to_port     = 80
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description = "to instances"
    protocol    = "tcp"
    from_port   = var.port
    to_port     = var.port
    cidr_blocks = [var.vpc_cidr]
  }
}

resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "${var.name}: instances"
  vpc_id      = var.vpc_id

  ingress {
    description     = "from load balancer"
    protocol        = "tcp"
    from_port       = var.port
    to_port         = var.port
    security_groups = [aws_security_group.alb.id]
  }

  egress {
    description = "outbound"
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "db" {
  count = var.database ? 1 : 0

  name        = "${var.name}-db"
  description = "${var.name}: database"
  vpc_id      = var.vpc_id

  ingress {
    description     = "from instances"
    protocol        = "tcp"
    from_port       = 5432
    to_port         = 5432
    security_groups = [aws_security_group.app.id]
  }
}

# Load balancer, target group and HTTP listener.

resource "aws_lb" "this" {
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
}

resource "aws_lb_target_group" "this" {
  name                 = "${var.name}-tg"
  port                 = var.port
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/health"
    matcher             = "200-399"
    interval            = 15
    timeout             = 10
    healthy_threshold   = 3
    unhealthy_threshold = 4
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}
