"""Where stateful tasks run: ECS Fargate (`ecs`) or local processes (`local`)."""
