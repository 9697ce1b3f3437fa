"""Secret references in node inputs (`{{secrets.NAME}}`) and masking plaintexts out of results."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, AnyStr

from statemachine.catalog import SECRET_REFERENCE

MASK = "***"
# A shorter secret is refused when stored: masking it would star every "a" or "id" of a
# record, so every secret that can be stored is masked wherever it shows.
MIN_SECRET_LENGTH = 4


def too_short(name: str, value: str) -> str | None:
    """Why secret `name` cannot hold `value` (fewer than MIN_SECRET_LENGTH characters), or
    None; the value itself is never quoted."""
    if len(value) >= MIN_SECRET_LENGTH:
        return None
    size = f"{len(value)} character{'s' * (len(value) != 1)} long" if value else "empty"
    return (
        f"Secret '{name}' is {size}: a secret has at least {MIN_SECRET_LENGTH} characters, "
        "so that masking it in results never hides ordinary text"
    )


def substitute_secrets(text: str, get_secret: Callable[[str], str]) -> tuple[str, list[str]]:
    """`text` with each `{{secrets.NAME}}` replaced by its plaintext, and the plaintexts used."""
    used: list[str] = []

    def plaintext(match: re.Match[str]) -> str:
        secret = get_secret(match.group(1))
        used.append(secret)
        return secret

    return SECRET_REFERENCE.sub(plaintext, text), used


def mask(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with every secret plaintext inside its strings (keys too) replaced by `***`."""
    present = [secret for secret in set(secrets) if secret]
    if not present:
        return value
    return _mask_value(value, present)


def mask_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`data` with the UTF-8 bytes of every secret plaintext replaced by `***`."""
    encoded = [secret.encode("utf-8") for secret in set(secrets) if secret]
    return _mask_text(data, encoded, MASK.encode("ascii"))


def _mask_value(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _mask_text(value, secrets, MASK)
    if isinstance(value, list):
        return [_mask_value(item, secrets) for item in value]
    if isinstance(value, dict):
        return {_mask_value(k, secrets): _mask_value(v, secrets) for k, v in value.items()}
    return value


def _mask_text(text: AnyStr, secrets: list[AnyStr], mask: AnyStr) -> AnyStr:
    """`text` with every character of every occurrence of a secret masked.

    Occurrences may nest (`VALUE99` inside `PRIVATEPREFIX-VALUE99`) or overlap: each run of
    characters covered by one or more of them becomes one `mask`, so that no part of a longer
    secret is left beside the mask of a shorter one. Occurrences that only touch stay apart.
    """
    found = [secret for secret in secrets if secret in text]
    if not found:
        return text
    covered = sorted(_occurrences(text, found))
    pieces: list[AnyStr] = []
    position = 0
    run_start, run_end = covered[0]
    for start, end in covered[1:]:
        if start < run_end:  # overlaps the run: the run grows
            run_end = max(run_end, end)
            continue
        pieces += [text[position:run_start], mask]
        position, run_start, run_end = run_end, start, end
    pieces += [text[position:run_start], mask, text[run_end:]]
    return text[:0].join(pieces)


def _occurrences(text: AnyStr, secrets: list[AnyStr]) -> Iterable[tuple[int, int]]:
    """(start, end) of every occurrence of each secret in `text`, overlapping ones included."""
    for secret in secrets:
        start = text.find(secret)
        while start != -1:
            yield start, start + len(secret)
            start = text.find(secret, start + 1)
