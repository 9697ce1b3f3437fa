"""Random nodes: numbers, choices among values, strings and UUIDs.

None is inlinable (SPEC §3): each draw is its own unit, so that a retried or replayed unit
never mixes draws. Inputs are read as Dafthunk's nodes read them (JavaScript's Number() of
"5" is 5, of "many" an error naming the input).
"""

from __future__ import annotations

import math
import os
import random
import string
import time
import uuid
from collections.abc import Mapping
from typing import Any

from lambdas.nodes.jsvalues import js_number, js_string, js_to_number, js_truthy, js_type
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Random")

NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN
STRING = ParameterType.STRING
CHARSETS = {
    "alphanumeric": string.ascii_letters + string.digits,
    "alpha": string.ascii_letters,
    "numeric": string.digits,
    "hex": "0123456789abcdef",
    "base64": string.ascii_letters + string.digits + "+/",
}
UUID_VERSIONS = (1, 4, 7)


def _number(ctx: NodeContext, name: str, default: float, message: str) -> float:
    """Input `name` as JavaScript's Number() reads it; NodeError(`message`) when not a
    finite number."""
    value = ctx.inputs.get(name, default)
    number = js_to_number(value)
    if not math.isfinite(number):
        raise NodeError(f"{message}: expected number, got {js_type(value)}")
    return number


@family.node(
    "random-number",
    "Random Number",
    "A random number in [min, max); an integer when `integer` is true",
    inputs=(
        port("min", NUMBER, "The lowest value drawn", default=0, lenient=True),
        port("max", NUMBER, "The bound drawn values stay below", default=1, lenient=True),
        port("integer", BOOLEAN, "Draw whole numbers only", default=False, lenient=True),
    ),
    outputs=(port("value", NUMBER, "The number drawn"),),
    inlinable=False,
)
def random_number(ctx: NodeContext) -> Mapping[str, Any]:
    low = _number(ctx, "min", 0, "Invalid min value")
    high = _number(ctx, "max", 1, "Invalid max value")
    if low >= high:
        raise NodeError(f"min ({js_number(low)}) must be less than max ({js_number(high)})")
    if js_truthy(ctx.inputs.get("integer", False)):
        first, last = math.ceil(low), math.ceil(high) - 1
        if first > last:
            raise NodeError(f"There is no integer in [{js_number(low)}, {js_number(high)})")
        return {"value": random.randint(first, last)}
    # in doubles, as JavaScript draws it: max - min of exact integers may be beyond a double's
    # range (Infinity there), which Python's int-to-float conversion refuses (OverflowError)
    drawn = float(low) + random.random() * (float(high) - float(low))
    if not math.isfinite(drawn):
        raise NodeError("The result is not a finite number")
    return {"value": drawn}


@family.node(
    "random-choice",
    "Random Choice",
    "`count` values drawn from `options` (different ones unless `unique` is false): the "
    "value itself when `count` is 1, else an array",
    inputs=(
        port(
            "options",
            ParameterType.ANY,
            "The values to choose from",
            required=True,
            repeated=True,
            fallback=True,
            lenient=True,
        ),
        port("count", NUMBER, "How many to draw", default=1, lenient=True),
        port("unique", BOOLEAN, "Never draw the same option twice", default=True, lenient=True),
    ),
    outputs=(port("value", ParameterType.ANY, "The option drawn, or an array of them"),),
    inlinable=False,
)
def random_choice(ctx: NodeContext) -> Mapping[str, Any]:
    if "options" not in ctx.inputs:
        raise NodeError("Missing required input: options")
    options: list[Any] = ctx.inputs["options"]
    if not options:
        raise NodeError("options cannot be empty")
    count = js_to_number(ctx.inputs.get("count", 1))
    if math.isnan(count):
        raise NodeError(f"Invalid count: expected number, got {js_type(ctx.inputs['count'])}")
    if count < 1:
        raise NodeError(f"Invalid count: must be at least 1, got {js_number(count)}")
    if not float(count).is_integer():
        raise NodeError(f"Invalid count: must be an integer, got {js_number(count)}")
    unique = js_truthy(ctx.inputs.get("unique", True))
    if unique and count > len(options):
        raise NodeError(
            f"Cannot select {js_number(count)} unique items from {len(options)} options"
        )
    # Each item drawn takes two bytes at least: refused before drawing a huge count.
    ctx.environment.budget.refuse_over("value", 2 * int(count))
    drawn = random.sample(options, int(count)) if unique else random.choices(options, k=int(count))
    return {"value": drawn[0] if count == 1 else drawn}


@family.node(
    "random-string",
    "Random String",
    "`length` random characters of `charset` (alphanumeric, alpha, numeric, hex, base64, "
    "or custom: the characters of `customCharset`)",
    inputs=(
        port(
            "length",
            NUMBER,
            "How many characters",
            required=True,
            fallback=True,
            lenient=True,
        ),
        port(
            "charset",
            STRING,
            "alphanumeric, alpha, numeric, hex, base64 or custom",
            default="alphanumeric",
            lenient=True,
        ),
        port(
            "customCharset", STRING, "The characters to draw from, for the custom set", lenient=True
        ),
    ),
    outputs=(port("value", STRING, "The string drawn"),),
    inlinable=False,
)
def random_string(ctx: NodeContext) -> Mapping[str, Any]:
    if "length" not in ctx.inputs:
        raise NodeError("Missing required input: length")
    length = js_to_number(ctx.inputs["length"])
    if math.isnan(length):
        raise NodeError(f"Invalid length: expected number, got {js_type(ctx.inputs['length'])}")
    if length < 0:
        raise NodeError(f"Invalid length: must be non-negative, got {js_number(length)}")
    if not float(length).is_integer():
        raise NodeError(f"Invalid length: must be an integer, got {js_number(length)}")
    characters = _characters(ctx)
    ctx.environment.budget.refuse_over("value", int(length) + len('""'))
    return {"value": "".join(random.choices(characters, k=int(length)))}


def _characters(ctx: NodeContext) -> str:
    charset = js_string(ctx.inputs.get("charset", "alphanumeric"))
    if charset != "custom":
        if charset not in CHARSETS:
            raise NodeError(
                f"Invalid charset: '{charset}'. Must be one of: "
                "alphanumeric, alpha, numeric, hex, base64, custom"
            )
        return CHARSETS[charset]
    custom = ctx.inputs.get("customCharset")
    if custom is None:
        raise NodeError("customCharset is required when charset is 'custom'")
    if not isinstance(custom, str):
        raise NodeError("customCharset must be a string")
    if not custom:
        raise NodeError("customCharset cannot be empty")
    return custom


@family.node(
    "random-uuid",
    "Random UUID",
    "A new UUID of `version` 1 (time and node), 4 (random) or 7 (time-ordered random)",
    inputs=(port("version", NUMBER, "1, 4 or 7", default=4, lenient=True),),
    outputs=(port("uuid", STRING, "The UUID, in lower-case hex with hyphens"),),
    inlinable=False,
)
def random_uuid(ctx: NodeContext) -> Mapping[str, Any]:
    version = js_to_number(ctx.inputs.get("version", 4))
    if math.isnan(version):
        raise NodeError(f"Invalid version: expected number, got {js_type(ctx.inputs['version'])}")
    if version not in UUID_VERSIONS:
        raise NodeError(f"Invalid UUID version: {js_number(version)}. Must be 1, 4, or 7")
    if version == 1:
        return {"uuid": str(uuid.uuid1())}
    if version == 4:
        return {"uuid": str(uuid.uuid4())}
    return {"uuid": str(uuid7())}


def uuid7() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits."""
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 7 << 76  # version
    value = value & ~(0b11 << 62) | 0b10 << 62  # RFC 4122 variant
    return uuid.UUID(int=value)
