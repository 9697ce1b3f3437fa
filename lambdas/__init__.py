"""The code that runs inside stepthunk's Lambdas: node runtime, node catalog, adapters, handlers."""
