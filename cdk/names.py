"""Construct ids and output names made from our snake_case, camelCase and kebab-case names."""

from __future__ import annotations

import re


def pascal(name: str) -> str:
    """check_credits, apiKeys, text-json-pipeline -> CheckCredits, ApiKeys, TextJsonPipeline."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))
