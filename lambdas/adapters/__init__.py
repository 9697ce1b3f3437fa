"""boto3-backed implementations of the runtime's ports: one module per store."""
