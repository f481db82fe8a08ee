# A plain Terraform root module: a VPC with three private subnets (egress through one NAT
# gateway) and the Restate cluster from the generated module. Same cluster as the CDKTF
# examples/minimal stack.
#
# Real AWS: push the controller image to ECR first (docs/terraform-module.md: the restatectl
# Lambda is that image too); then `terraform init && terraform apply` here. Nothing to build:
# the module works as committed in git.
# Local AWS emulator (moto on 127.0.0.1:5000): `terraform plan -var aws_endpoint=http://127.0.0.1:5000`
# with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set to any value.

variable "region" {
  description = "AWS region of the cluster."
  type        = string
  default     = "us-east-1"
}

variable "availability_zones" {
  description = "Availability zones of the region, one private subnet each (at least three for the default replication {zone: 2})."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

variable "aws_endpoint" {
  description = "Endpoint URL of a local AWS emulator (e.g. moto) for every service; null means real AWS."
  type        = string
  default     = null
}

locals {
  emulated = var.aws_endpoint != null
  # The services the cluster uses; all are sent to the emulator when aws_endpoint is set.
  emulated_services = [
    "cloudwatch", "cloudwatchevents", "cloudwatchlogs", "ec2", "ecs", "elbv2", "iam",
    "kms", "lambda", "s3", "sqs", "sts", "ssm", "sns",
  ]
}

provider "aws" {
  region = var.region

  # Only for the emulator: no real credentials, account lookups or virtual-hosted S3.
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_requesting_account_id  = local.emulated
  s3_use_path_style           = local.emulated

  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint] : []
    content {
      cloudwatch       = endpoints.value
      cloudwatchevents = endpoints.value
      cloudwatchlogs   = endpoints.value
      ec2              = endpoints.value
      ecs              = endpoints.value
      elbv2            = endpoints.value
      iam              = endpoints.value
      kms              = endpoints.value
      lambda           = endpoints.value
      s3               = endpoints.value
      sqs              = endpoints.value
      sts              = endpoints.value
      ssm              = endpoints.value
      sns              = endpoints.value
    }
  }
}

################################################################################
# Network
################################################################################

resource "aws_vpc" "this" {
  cidr_block           = "10.0.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "restate-terraform-module" }
}

# The default security group of a new VPC allows all traffic between members: empty it.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "public" {
  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.0.0.0/24"
  availability_zone = var.availability_zones[0]
  tags              = { Name = "restate-public" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
}

resource "aws_route" "public_default" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  subnet_id      = aws_subnet.public.id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
}

resource "aws_nat_gateway" "this" {
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public.id
  depends_on    = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id
}

resource "aws_route" "private_default" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this.id
}

# S3 (Restate's metadata and snapshots) without the NAT gateway: no dependency on the NAT's zone
# and no NAT data charges. One NAT gateway keeps the example cheap; in production, one per zone.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
}

resource "aws_subnet" "private" {
  count = length(var.availability_zones)

  vpc_id            = aws_vpc.this.id
  cidr_block        = "10.0.${16 * (count.index + 1)}.0/20"
  availability_zone = var.availability_zones[count.index]
  tags              = { Name = "restate-private-${var.availability_zones[count.index]}" }
}

resource "aws_route_table_association" "private" {
  count = length(var.availability_zones)

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# Accepted and rejected traffic of the VPC, in a log group encrypted with the cluster's key.
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = "/vpc/restate-terraform-module/flow-logs"
  retention_in_days = 365
  kms_key_id        = module.restate.kms_key_arn
}

resource "aws_iam_role" "flow_logs" {
  name = "restate-terraform-module-vpc-flow-logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "flow_logs" {
  name = "write-flow-logs"
  role = aws_iam_role.flow_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
    }]
  })
}

resource "aws_flow_log" "this" {
  vpc_id               = aws_vpc.this.id
  traffic_type         = "ALL"
  log_destination_type = "cloud-watch-logs"
  log_destination      = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn         = aws_iam_role.flow_logs.arn
}

################################################################################
# Restate cluster
################################################################################

module "restate" {
  source = "../../modules/restate-ecs-fargate-cluster"

  cluster_name = "restate-tf"
  vpc_id       = aws_vpc.this.id
  subnets = [for subnet in aws_subnet.private : {
    subnet_id         = subnet.id
    availability_zone = subnet.availability_zone
  }]
}
