"""The CDK app that deploys stepthunk: `npx cdk deploy` (cdk.json runs `cdk.app`)."""
