# Multi-AZ PostgreSQL whose master password AWS manages in Secrets Manager.

resource "aws_db_subnet_group" "this" {
  count = var.database ? 1 : 0

  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_db_instance" "this" {
  count = var.database ? 1 : 0

  identifier                  = var.name
  engine                      = "postgres"
  instance_class              = "db.t3.micro"
  allocated_storage           = 20
  max_allocated_storage       = 100
  storage_encrypted           = true
  multi_az                    = true
  db_name                     = "app"
  username                    = "app"
  manage_master_user_password = true
  db_subnet_group_name        = aws_db_subnet_group.this[0].name
  vpc_security_group_ids      = [aws_security_group.db[0].id]
  backup_retention_period     = 7
  deletion_protection         = false
  skip_final_snapshot         = true
}
