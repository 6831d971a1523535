##############################################################################
# Access logs: an optional S3 bucket the load balancer writes its access logs
# to (Elastic Load Balancing User Guide, "Enable access logs for your
# Application Load Balancer")
##############################################################################

locals {
  access_logs        = var.access_logs
  create_logs_bucket = local.access_logs != null && try(local.access_logs.create_bucket, false)
  logs_bucket        = local.create_logs_bucket ? aws_s3_bucket.access_logs[0].id : try(local.access_logs.bucket, null)
  logs_prefix        = try(local.access_logs.prefix, null)
  logs_key_prefix    = local.logs_prefix == null ? "" : "${local.logs_prefix}/"
  logs_region        = data.aws_region.current.name

  # Regions available before August 2022 take the access logs from an
  # Elastic Load Balancing account of the region; the later ones from the
  # log delivery service principal. The account IDs as the user guide lists
  # them (Step 2: Attach a policy to your S3 bucket).
  elb_log_account_ids = {
    us-east-1      = "127311923021"
    us-east-2      = "033677994240"
    us-west-1      = "027434742980"
    us-west-2      = "797873946194"
    af-south-1     = "098369216593"
    ap-east-1      = "754344448648"
    ap-southeast-3 = "589379963580"
    ap-south-1     = "718504428378"
    ap-northeast-3 = "383597477331"
    ap-northeast-2 = "600734575887"
    ap-southeast-1 = "114774131450"
    ap-southeast-2 = "783225319266"
    ap-northeast-1 = "582318560864"
    ca-central-1   = "985666609251"
    eu-central-1   = "054676820928"
    eu-west-1      = "156460612806"
    eu-west-2      = "652711504416"
    eu-south-1     = "635631232127"
    eu-west-3      = "009996457667"
    eu-north-1     = "897822967062"
    me-south-1     = "076674570225"
    sa-east-1      = "507241528517"
    us-gov-west-1  = "048591011584"
    us-gov-east-1  = "190560391635"
    cn-north-1     = "638102146993"
    cn-northwest-1 = "037604701340"
  }
  elb_log_account = lookup(local.elb_log_account_ids, local.logs_region, null)
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {
  count = local.create_logs_bucket ? 1 : 0
}
data "aws_partition" "current" {
  count = local.create_logs_bucket ? 1 : 0
}

resource "aws_s3_bucket" "access_logs" {
  count = local.create_logs_bucket ? 1 : 0

  # A bucket name is global: a prefix lets S3 add a unique suffix.
  bucket_prefix = "${var.name}-lb-logs-"
  force_destroy = try(local.access_logs.force_destroy, false)

  # The stack's tag, as its children carry it: the leak checker
  # (test/leaks) finds the bucket by it.
  tags = merge(var.tags, { Name = "${var.name}-lb-logs", "hawebapp:stack" = var.name })

  lifecycle {
    precondition {
      condition     = try(local.access_logs.bucket, null) == null
      error_message = "access_logs: give either bucket (your own) or create_bucket = true, not both."
    }
  }
}

# Elastic Load Balancing supports only SSE-S3 on the log bucket.
resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count  = local.create_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count  = local.create_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: the log objects belong to the bucket owner.
resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count  = local.create_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count  = local.create_logs_bucket && try(local.access_logs.expiration_days, null) != null ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = local.access_logs.expiration_days
    }
  }
}

# Elastic Load Balancing may put objects under <prefix>/AWSLogs/<account>/
# only; nothing may reach the bucket without TLS.
locals {
  logs_bucket_arn = try(aws_s3_bucket.access_logs[0].arn, "")
  logs_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ElasticLoadBalancingAccessLogs"
        Effect    = "Allow"
        Action    = "s3:PutObject"
        Resource  = "${local.logs_bucket_arn}/${local.logs_key_prefix}AWSLogs/${try(data.aws_caller_identity.current[0].account_id, "")}/*"
        Principal = local.elb_log_account != null ? { AWS = "arn:${try(data.aws_partition.current[0].partition, "aws")}:iam::${local.elb_log_account}:root" } : { Service = "logdelivery.elasticloadbalancing.amazonaws.com" }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "s3:*"
        Resource  = [local.logs_bucket_arn, "${local.logs_bucket_arn}/*"]
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_s3_bucket_policy" "access_logs" {
  count  = local.create_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.access_logs[0].id
  policy = local.logs_policy

  # The public access block first: S3 refuses a policy while it is applied.
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
