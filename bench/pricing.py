"""Published AWS prices (us-east-1, on-demand, free tier ignored) and an execution's cost.

Lambda is priced as the stack deploys it: Arm64 at 1,024 MB (cdk/bundling.py ARCHITECTURE,
cdk/config.py `memory_mb`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STANDARD_USD_PER_TRANSITION = 0.000025
EXPRESS_USD_PER_REQUEST = 1.00 / 1_000_000
EXPRESS_USD_PER_GB_SECOND = 0.00001667
EXPRESS_MEMORY_MB = 64
EXPRESS_BILLING_MS = 100
LAMBDA_USD_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_USD_PER_GB_SECOND = 0.0000133334
LAMBDA_MEMORY_MB = 1024
LAMBDA_BILLING_MS = 1
EXECUTIONS = 1_000_000

PRICES = (
    "Step Functions Standard: $0.025 per 1,000 state transitions ($0.000025 each).",
    "Step Functions Express: $1.00 per million requests, plus $0.00001667 per GB-second "
    f"(first tier), duration rounded up to {EXPRESS_BILLING_MS} ms, memory at the "
    f"{EXPRESS_MEMORY_MB} MB minimum (large values travel by reference, so the state stays "
    "small).",
    "Lambda (Arm64, as deployed): $0.20 per million requests, plus $0.0000133334 per "
    f"GB-second (first tier) at {LAMBDA_MEMORY_MB:,} MB, each invocation rounded up to "
    f"{LAMBDA_BILLING_MS} ms.",
    "All us-east-1 on-demand list prices; free tiers are ignored.",
)


@dataclass(frozen=True)
class Usage:
    """What one execution uses: state transitions, Lambda invocations, and the milliseconds
    of each invocation and of the whole execution."""

    transitions: int
    invocations: int
    lambda_ms: tuple[float, ...]
    duration_ms: float


def lambda_usd(usage: Usage) -> float:
    """Lambda's charge for one execution's invocations."""
    billed_ms = sum(_rounded_up(ms, LAMBDA_BILLING_MS) for ms in usage.lambda_ms)
    gb_seconds = billed_ms / 1000 * LAMBDA_MEMORY_MB / 1024
    return usage.invocations * LAMBDA_USD_PER_REQUEST + gb_seconds * LAMBDA_USD_PER_GB_SECOND


def standard_usd(usage: Usage) -> float:
    """One execution on a Standard state machine: its transitions and its Lambdas."""
    return usage.transitions * STANDARD_USD_PER_TRANSITION + lambda_usd(usage)


def express_usd(usage: Usage) -> float:
    """One execution on an Express state machine: the request, its duration, its Lambdas."""
    billed_ms = _rounded_up(usage.duration_ms, EXPRESS_BILLING_MS)
    gb_seconds = billed_ms / 1000 * EXPRESS_MEMORY_MB / 1024
    return EXPRESS_USD_PER_REQUEST + gb_seconds * EXPRESS_USD_PER_GB_SECOND + lambda_usd(usage)


def per_million(usd_per_execution: float) -> float:
    return usd_per_execution * EXECUTIONS


def _rounded_up(ms: float, step: int) -> int:
    """Billed milliseconds: up to the next whole `step`, and at least one step."""
    return max(step, math.ceil(ms / step) * step)
