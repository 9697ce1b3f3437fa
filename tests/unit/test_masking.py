"""Masking secret plaintexts out of what a node reports: every occurrence, every part."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.runtime.secret_references import MASK, mask, mask_bytes

SHORT, LONG = "VALUE99", "PRIVATEPREFIX-VALUE99"

# Secrets and filler from a small alphabet without "*", so that they nest, overlap and
# repeat often, and a mask can never form part of a secret.
ALPHABET = "abc-é"
secret_lists = st.lists(st.text(ALPHABET, min_size=1, max_size=6), min_size=1, max_size=4)


@st.composite
def texts_and_secrets(draw: st.DrawFn) -> tuple[str, list[str]]:
    secrets = draw(secret_lists)
    pieces = draw(st.lists(st.sampled_from(secrets) | st.text(ALPHABET, max_size=4), max_size=8))
    return "".join(pieces), secrets


def uncovered(text: str, secrets: list[str]) -> str:
    """The characters of `text` that no occurrence of any secret covers, in order."""
    covered = [False] * len(text)
    for secret in secrets:
        for start in range(len(text) - len(secret) + 1):
            if text.startswith(secret, start):
                covered[start : start + len(secret)] = [True] * len(secret)
    return "".join(c for c, hidden in zip(text, covered, strict=True) if not hidden)


def test_every_occurrence_of_a_secret_is_masked() -> None:
    assert mask("t0k, t0k", ["t0k"]) == "***, ***"
    assert mask({"t0k t0k": ["x t0k t0k"]}, ["t0k"]) == {"*** ***": ["x *** ***"]}
    assert mask_bytes(b"\x00t0k\xfft0k", ["t0k"]) == b"\x00***\xff***"


def test_a_secret_inside_a_longer_one_leaves_nothing_of_the_longer_one() -> None:
    for secrets in ([SHORT, LONG], [LONG, SHORT]):
        assert mask(f"{LONG} and {SHORT}", secrets) == "*** and ***"
        assert mask_bytes(f"<{LONG}>".encode(), secrets) == b"<***>"


def test_overlapping_secrets_are_masked_together_and_touching_ones_apart() -> None:
    assert mask("xabcx", ["ab", "bc"]) == "x***x"
    assert mask("ada:t0k", ["ada", "t0k"]) == "***:***"
    assert mask("adat0k", ["ada", "t0k"]) == "******"


@settings(max_examples=300, deadline=None)
@given(texts_and_secrets())
def test_no_part_of_any_secret_survives_masking(case: tuple[str, list[str]]) -> None:
    text, secrets = case
    masked = mask(text, secrets)
    masked_bytes = mask_bytes(text.encode(), secrets).decode()

    assert masked == masked_bytes
    for secret in secrets:
        assert secret not in masked
    # what is left besides the masks is exactly what no secret covered
    assert masked.replace(MASK, "") == uncovered(text, secrets)
