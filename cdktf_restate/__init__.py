"""cdktf-restate: Restate clusters on AWS ECS Fargate, as CDKTF Python constructs."""
