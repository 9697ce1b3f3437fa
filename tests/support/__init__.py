"""What tests of every kind share: workflow builders, a local HTTP server, time scaling."""
