"""Infrastructure tests: the synthesized CDK stack, checked as CloudFormation."""
