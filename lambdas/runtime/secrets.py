"""Secret references in node inputs (`{{secrets.NAME}}`) and masking plaintexts out of results."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from statemachine.catalog import SECRET_REFERENCE

MASK = "***"


def substitute_secrets(text: str, get_secret: Callable[[str], str]) -> tuple[str, list[str]]:
    """`text` with each `{{secrets.NAME}}` replaced by its plaintext, and the plaintexts used."""
    used: list[str] = []

    def plaintext(match: re.Match[str]) -> str:
        secret = get_secret(match.group(1))
        used.append(secret)
        return secret

    return SECRET_REFERENCE.sub(plaintext, text), used


def mask(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with every secret plaintext inside its strings replaced by `***`."""
    for secret in secrets:
        if secret:
            value = _mask_one(value, secret)
    return value


def _mask_one(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, MASK)
    if isinstance(value, list):
        return [_mask_one(item, secret) for item in value]
    if isinstance(value, dict):
        return {_mask_one(k, secret): _mask_one(v, secret) for k, v in value.items()}
    return value


def mask_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`data` with the UTF-8 bytes of every secret plaintext replaced by `***`."""
    for secret in secrets:
        if secret:
            data = data.replace(secret.encode("utf-8"), MASK.encode("ascii"))
    return data
