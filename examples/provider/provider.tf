# Every argument is optional: by default the provider reads the standard AWS
# environment (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO,
# instance or container roles, AWS_REGION, AWS_ENDPOINT_URL). The blocks
# have hashicorp/aws's shape: its provider block's assume_role, default_tags,
# ignore_tags and account guards work here as written.
provider "hawebapp" {
  # region  = "eu-west-1"
  # profile = "production"

  # assume_role {
  #   role_arn     = "arn:aws:iam::123456789012:role/deployer"
  #   session_name = "hawebapp"
  # }

  # Refuse to run with credentials for any other account.
  # allowed_account_ids = ["123456789012"]

  # Tags on every child of every stack, under each stack's own `tags`.
  # default_tags {
  #   tags = {
  #     owner = "platform"
  #   }
  # }

  # Tags another system manages: written at create, never drift.
  # ignore_tags {
  #   key_prefixes = ["scanner:"]
  # }

  # max_retries = 25
  # retry_mode  = "standard"
}
