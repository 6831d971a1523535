##############################################################################
# Locals
##############################################################################

locals {
  # ab needs a path: a bare host gets "/".
  target_url = can(regex("^https?://[^/]+$", var.target_url)) ? "${var.target_url}/" : var.target_url
  url_port   = try(tonumber(regex("^https?://[^/:]+:([0-9]+)", var.target_url)[0]), startswith(var.target_url, "https:") ? 443 : 80)
  # Keys from the variables only: the URL is often unknown until apply.
  egress_rules = { for pair in setproduct(var.egress_ports, var.egress_cidr_blocks) : "${pair[0]}-${pair[1]}" => { port = pair[0], cidr = pair[1] } }

  image_id       = var.image_id != null ? var.image_id : nonsensitive(data.aws_ssm_parameter.image[0].value)
  log_group_name = "/load-runner/${var.name}"

  # CloudWatch agent: only the ab log, one stream per instance, no metrics.
  agent_config = jsonencode({
    agent = { run_as_user = "cwagent" }
    logs = {
      logs_collected = {
        files = {
          collect_list = [{
            file_path       = "/var/log/load-runner/ab.log"
            log_group_name  = local.log_group_name
            log_stream_name = "{instance_id}"
          }]
        }
      }
    }
  })
}

data "aws_ssm_parameter" "image" {
  count = var.image_id == null ? 1 : 0

  name = var.image_ssm_parameter
}

##############################################################################
# Logs and the instance role (write to the fleet's log group, nothing else)
##############################################################################

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_id

  tags = var.tags
}

resource "aws_iam_role" "this" {
  name_prefix = "${var.name}-"
  description = "Load runner ${var.name}: writes ab output to ${local.log_group_name}"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "logs" {
  name = "write-logs"
  role = aws_iam_role.this.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.this.arn}:log-stream:*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "extra" {
  for_each = toset(var.managed_policy_arns)

  role       = aws_iam_role.this.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "this" {
  name_prefix = "${var.name}-"
  role        = aws_iam_role.this.name

  tags = var.tags
}

##############################################################################
# Security group: no inbound access; outbound only to web ports
##############################################################################

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-"
  description = "Load runner ${var.name}: no inbound access"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress_rules

  security_group_id = aws_security_group.this.id
  description       = "Outbound TCP ${each.value.port}: the target, package repositories, CloudWatch Logs"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr

  tags = var.tags
}

##############################################################################
# Launch template and Auto Scaling group
##############################################################################

resource "aws_launch_template" "this" {
  name_prefix = "${var.name}-"
  description = "Load runner ${var.name}"

  image_id      = local.image_id
  instance_type = var.instance_type
  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    url             = local.target_url
    requests        = var.requests
    concurrency     = var.concurrency
    period          = var.period
    request_timeout = var.request_timeout
    log_group       = local.log_group_name
    agent_config    = local.agent_config
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.this.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  network_interfaces {
    associate_public_ip_address = false
    delete_on_termination       = true
    security_groups             = [aws_security_group.this.id]
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = var.root_volume_size
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.root_volume_kms_key_id
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = var.name })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(var.tags, { Name = var.name })
  }

  # The template itself is left untagged (tags go to what it launches):
  # some AWS emulators echo a template's own tags back as a launch-template
  # tag specification, which would show as a change on every plan.

  lifecycle {
    precondition {
      condition     = var.concurrency <= var.requests
      error_message = "concurrency must not exceed requests (ab refuses it)."
    }
    precondition {
      condition     = contains(var.egress_ports, local.url_port)
      error_message = "The target URL's port is not in egress_ports: the instances could not reach it."
    }
  }
}

resource "aws_autoscaling_group" "this" {
  name_prefix         = "${var.name}-"
  vpc_zone_identifier = var.subnet_ids
  min_size            = var.instance_count
  max_size            = var.instance_count
  desired_capacity    = var.instance_count
  health_check_type   = "EC2"

  # Pinned to a numbered version (never $Latest): a change makes a new
  # version, which the instance refresh below rolls out.
  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 50
    }
  }

  dynamic "tag" {
    for_each = merge(var.tags, { Name = var.name })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  # The role must be able to write logs before the first instance boots.
  depends_on = [aws_iam_role_policy.logs]
}
