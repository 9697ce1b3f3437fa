"""The Powertools logger, tracer and metrics every handler shares (service "stepthunk")."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "stepthunk"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Stepthunk", service=SERVICE)
