# An application team's root module on plain Terraform: a Python Lambda service, a role the
# Restate cluster may assume to invoke it, and its registration with the cluster through the
# generated restate-service-deployment module. The cluster is another team's (the
# restate-ecs-fargate-cluster module, examples/terraform-module): its outputs are the inputs here
# (pass them by hand, from terraform_remote_state, or from SSM parameters).
#
# The function's package is the team's own build (greeter.py of examples/service-deployment with
# restate-sdk vendored in: docs/services.md); `function_zip` is its path.
# Local AWS emulator: `terraform plan -var aws_endpoint=http://127.0.0.1:5000 ...` as in
# examples/terraform-module.

variable "region" {
  description = "AWS region of the cluster and the service."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint" {
  description = "Endpoint URL of a local AWS emulator (e.g. moto) for every service; null means real AWS."
  type        = string
  default     = null
}

variable "admin_url" {
  description = "The cluster module's admin_url output."
  type        = string
}

variable "restate_task_role_arn" {
  description = "The cluster module's restate_task_role_arn output: the role that invokes services."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the cluster's VPC (the deployer calls the internal admin URL)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "The cluster module's security_group_ids output (or groups with egress to port 9070)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "The cluster module's kms_key_arn output, for this application's logs and queues."
  type        = string
  default     = null
}

variable "function_zip" {
  description = "Path of the service's Lambda package (greeter.py plus restate-sdk)."
  type        = string
  default     = "greeter.zip"
}

provider "aws" {
  region = var.region

  skip_credentials_validation = var.aws_endpoint != null
  skip_metadata_api_check     = var.aws_endpoint != null
  skip_requesting_account_id  = var.aws_endpoint != null

  dynamic "endpoints" {
    for_each = var.aws_endpoint != null ? [var.aws_endpoint] : []
    content {
      cloudwatchlogs = endpoints.value
      ec2            = endpoints.value
      iam            = endpoints.value
      lambda         = endpoints.value
      sqs            = endpoints.value
      sts            = endpoints.value
    }
  }
}

locals {
  name = "restate-example-orders"
}

################################################################################
# The service: a published Lambda function (a version per code change)
################################################################################

resource "aws_cloudwatch_log_group" "orders" {
  name              = "/aws/lambda/${local.name}"
  retention_in_days = 30
  kms_key_id        = var.kms_key_arn
}

resource "aws_sqs_queue" "orders_dlq" {
  name                    = "${local.name}-dlq"
  kms_master_key_id       = var.kms_key_arn
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null
}

resource "aws_iam_role" "orders" {
  name = local.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "orders" {
  name = "logs-and-dead-letters"
  role = aws_iam_role.orders.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.orders.arn}:*"]
      },
      {
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = [aws_sqs_queue.orders_dlq.arn]
      },
      {
        # X-Ray has no resource-level permissions.
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ]
  })
}

resource "aws_lambda_function" "orders" {
  function_name                  = local.name
  role                           = aws_iam_role.orders.arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "greeter.handler"
  filename                       = var.function_zip
  source_code_hash               = filebase64sha256(var.function_zip)
  publish                        = true # Restate pins invocations to the version registered
  timeout                        = 60
  reserved_concurrent_executions = 50
  kms_key_arn                    = var.kms_key_arn
  tracing_config {
    mode = "Active"
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.orders_dlq.arn
  }
  depends_on = [aws_cloudwatch_log_group.orders, aws_iam_role_policy.orders]
}

################################################################################
# Who invokes it: a role of this account that only the cluster's Restate role may assume
################################################################################

resource "aws_iam_role" "invoker" {
  name = "${local.name}-restate-invoker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyTheRestateCluster"
      Effect    = "Allow"
      Principal = { AWS = var.restate_task_role_arn }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "invoker" {
  name = "invoke-orders"
  role = aws_iam_role.invoker.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [aws_lambda_function.orders.arn, "${aws_lambda_function.orders.arn}:*"]
    }]
  })
}

################################################################################
# The registration: at apply, for every new version
################################################################################

module "orders_registration" {
  source = "../../modules/restate-service-deployment"

  admin_url            = var.admin_url
  function_version_arn = aws_lambda_function.orders.qualified_arn
  assume_role_arn      = aws_iam_role.invoker.arn
  subnet_ids           = var.subnet_ids
  security_group_ids   = var.security_group_ids
  kms_key_arn          = var.kms_key_arn
  name                 = "${local.name}-deployer"

  # Restate must be allowed to assume the role before it discovers the function.
  depends_on = [aws_iam_role_policy.invoker]
}
