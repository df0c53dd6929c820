"""Adapters of the engine's ports on AWS: DynamoDB, SQS, EventBridge Scheduler and S3."""
