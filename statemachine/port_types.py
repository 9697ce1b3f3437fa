"""Port types: which connections are compatible and which values fit a port."""

from __future__ import annotations

import json
import math
import re
import sys
from datetime import date, datetime
from itertools import chain
from typing import Any

from statemachine.model import ParameterType

BLOB_FLAVOURS = frozenset(
    {ParameterType.IMAGE, ParameterType.AUDIO, ParameterType.VIDEO, ParameterType.DOCUMENT}
)
BLOB_TYPES = BLOB_FLAVOURS | {ParameterType.BLOB}
_JSON_ANY = frozenset({ParameterType.JSON, ParameterType.ANY})


# Deeper JSON cannot be stored or serialized everywhere a record goes (DynamoDB documents
# allow 32 levels, pydantic serializes 255); 64 leaves room for the record around a value.
MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_KEY_SHOWN = 100  # characters of a duplicate key a message quotes


class ValueTypeError(ValueError):
    """A value does not fit a port's type; the message says what was expected and what came."""


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice, which JSON readers settle differently (most
    keep the last, some the first, some refuse): `key` is that key."""

    def __init__(self, key: str) -> None:
        shown = key if len(key) <= _KEY_SHOWN else key[: _KEY_SHOWN - 1] + "…"
        super().__init__(f"the key '{shown}' appears twice in one object")
        self.key = key


def types_compatible(source: ParameterType, target: ParameterType) -> bool:
    """Equal types, `any` on either side, or `blob` against one of its flavours."""
    if source == target or ParameterType.ANY in (source, target):
        return True
    return ParameterType.BLOB in (source, target) and {source, target} <= BLOB_TYPES


def describe(value: Any) -> str:
    """The JSON type name of `value`, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if _finite(value) else "a non-finite number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def coerce(value: Any, port_type: ParameterType) -> Any:
    """Return `value` as a port of `port_type` receives it, or raise ValueTypeError.

    Only one conversion happens: a `json` or `any` port given a string that parses as JSON
    receives the parsed value (a `schema` port too, when that value is an object).
    Everything else must already have the right type.
    The string "null" stays a string: null is never a value (it would reach node code as None).
    """
    if port_type == ParameterType.SCHEMA and isinstance(value, str):
        try:
            parsed = loads_strict(value)
        except (ValueError, RecursionError):
            parsed = None
        value = parsed if isinstance(parsed, dict) else value
    if port_type in _JSON_ANY:
        if isinstance(value, str):
            try:
                parsed = loads_strict(value)
            except (ValueError, RecursionError):
                return value
            value = value if parsed is None else parsed
        if not within_depth(value):
            raise ValueTypeError(f"got a value nested deeper than {MAX_DEPTH} levels")
        return value
    if not fits(value, port_type):
        raise ValueTypeError(f"expected {_expected(port_type)}, got {describe(value)}")
    return value


def fits(value: Any, port_type: ParameterType) -> bool:
    """Whether `value` (JSON) is a valid value of `port_type` as it is."""
    match port_type:
        case ParameterType.STRING | ParameterType.SECRET:
            return isinstance(value, str)
        case ParameterType.NUMBER:
            return isinstance(value, int | float) and not isinstance(value, bool) and _finite(value)
        case ParameterType.BOOLEAN:
            return isinstance(value, bool)
        case ParameterType.DATE:
            return isinstance(value, str) and _is_iso_date(value)
        case ParameterType.JSON | ParameterType.ANY:
            return within_depth(value)
        case ParameterType.SCHEMA:
            return isinstance(value, dict) and within_depth(value)
        case _:
            return is_blob_reference(value)


def _finite(number: float) -> bool:
    # Python ints are unbounded (math.isfinite would overflow on huge ones); one beyond a
    # double's range is what JavaScript and most JSON readers see as Infinity.
    if isinstance(number, int):
        return abs(number) <= sys.float_info.max
    return math.isfinite(number)


def is_blob_reference(value: Any) -> bool:
    """`{id, mimeType, filename?}`: how a blob travels between nodes."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("id"), str)
        and isinstance(value.get("mimeType"), str)
        and isinstance(value.get("filename", ""), str)
    )


def _expected(port_type: ParameterType) -> str:
    if port_type == ParameterType.DATE:
        return "an ISO-8601 date string"
    if port_type == ParameterType.SECRET:
        return "a secret name (string)"
    if port_type == ParameterType.SCHEMA:
        return "a schema (an object)"
    if port_type in BLOB_TYPES:
        return f"{_article(port_type)} {port_type} reference {{id, mimeType}}"
    return f"{_article(port_type)} {port_type}"


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _is_iso_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        try:
            date.fromisoformat(text)
        except ValueError:
            return False
    return True


def within_depth(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest at most `limit` levels in `value` (`[[1]]` is 2).

    Level by level, each level's kinds of value taken in one pass in C (`map(type, ...)`):
    a level of scalars alone (most of a large array) ends the walk without a Python step
    per item."""
    level = [value]
    for depth in range(limit + 1):
        if not any(issubclass(kind, list | dict) for kind in set(map(type, level))):
            return True
        if depth == limit:
            return False
        level = _next_level(level)
    return True


def _next_level(level: list[Any]) -> list[Any]:
    """The items of a level's lists and the values of its dicts: the level below."""
    containers = [item for item in level if isinstance(item, list | dict)]
    return list(
        chain.from_iterable(
            item.values() if isinstance(item, dict) else item for item in containers
        )
    )


def unheld_number(value: Any) -> float | None:
    """The first number in `value` that JSON text cannot give, or None: an integer beyond a
    double's range, Infinity or NaN. Data made in Python (a workflow given to an engine as
    data, not text) can hold them; loads_strict refuses them in text. Level by level, as
    within_depth walks, each level's numbers picked out only where it has some."""
    level = [value]
    while level:
        kinds = set(map(type, level))
        if int in kinds:  # bool is not int here: type(True) is bool
            integers = [item for item in level if type(item) is int]
            for extreme in (max(integers), min(integers)):
                if abs(extreme) > LARGEST_INTEGER:
                    return extreme
        if float in kinds:
            doubles = [item for item in level if type(item) is float]
            if not all(map(math.isfinite, doubles)):
                return next(item for item in doubles if not math.isfinite(item))
        if not any(issubclass(kind, list | dict) for kind in kinds):
            return None
        level = _next_level(level)
    return None


def unheld_text(number: float) -> str:
    """What unheld_number's `number` is, for a message: `holds {unheld_text(number)}`."""
    if isinstance(number, float) and math.isnan(number):
        return "NaN, which is not valid JSON"
    return f"a number {_BEYOND_DOUBLE}"


def loads_strict(text: str | bytes, *, unique_keys: bool = False) -> Any:
    """json.loads refusing what JSON allows but no store can hold: NaN, Infinity, numbers
    beyond a double's range (`1e400` and integers of as many digits) and unpaired UTF-16
    surrogates (`"\\ud800"`, which no UTF-8 encoder accepts). With `unique_keys`, an object
    naming a key twice raises DuplicateKeyError instead of keeping the last."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    hook = _unique_keys if unique_keys else None
    # Integers are checked only in a text with a run of digits as long as the largest
    # double's (a C-speed scan): a hook on every integer would slow reading number-heavy JSON
    # by half, and a shorter integer is within a double's range
    integer = _integer_within_double if _long_digit_run(text) else None
    value = json.loads(
        text,
        parse_constant=_reject_constant,
        parse_float=_within_double,
        parse_int=integer,
        object_pairs_hook=hook,
    )
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text contains an unpaired UTF-16 surrogate") from None
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _within_double(text: str) -> float:
    """A JSON number with a fraction or an exponent, as a double; one beyond a double's range
    (`1e400`, which reads as Infinity) is refused: no store holds it, and it would not travel
    exactly (SPEC §1)."""
    number = float(text)
    if math.isinf(number):
        raise _beyond_double(text[:40])
    return number


def _integer_within_double(text: str) -> int:
    """A JSON integer, exactly; one beyond a double's range is refused as `1e400` is: JavaScript
    and other JSON readers hold it as Infinity or not at all, and a Python int that large
    raises OverflowError wherever it meets a float. Its digits are not all read (int() takes
    at most 4,300)."""
    digits = len(text.lstrip("-"))
    if digits <= DOUBLE_DIGITS:
        number = int(text)
        if abs(number) <= LARGEST_INTEGER:
            return number
    shown = text if len(text) <= 40 else f"{text[:30]}\u2026 ({digits} digits)"
    raise _beyond_double(shown)


def _beyond_double(shown: str) -> ValueError:
    return ValueError(f"the number {shown} is {_BEYOND_DOUBLE}")


LARGEST_INTEGER = int(sys.float_info.max)
DOUBLE_DIGITS = len(str(LARGEST_INTEGER))  # 309: an integer of more digits is beyond a double
_BEYOND_DOUBLE = "beyond the range of a number (at most about 1.8e308)"
_DIGITS_AS_ZEROS = bytes(0 if byte in b"0123456789" else 1 for byte in range(256))
_ZEROS = bytes(DOUBLE_DIGITS)


def _long_digit_run(text: str) -> bool:
    """Whether `text` has DOUBLE_DIGITS ASCII digits in a row (anywhere: in a string too)."""
    if len(text) < DOUBLE_DIGITS:
        return False
    return _ZEROS in text.encode("utf-8", "surrogatepass").translate(_DIGITS_AS_ZEROS)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return found
