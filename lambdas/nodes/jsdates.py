"""JavaScript's Date as Dafthunk's date nodes use it: what `new Date(text)` reads, and
adding to a date field by field as Date's setters do (an overflow carries over).

Times without a zone are UTC (a Lambda's and a Cloudflare Worker's local time). The range
is Python's, years 1 to 9999: a date beyond it is "Invalid time value", as JavaScript says
of one beyond its own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdas.runtime.errors import NodeError

INVALID_TIME = "Invalid time value"
MILLISECOND = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Digits are ASCII ([0-9], not \d, which takes other scripts' too): as JavaScript's Date reads.
_ISO = re.compile(
    r"(?P<year>[+-][0-9]{6}|[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?"
    r"(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]+))?)?)?"
    r"\s*(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
_WEEKDAY_NAMES = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_TOKEN = re.compile(
    r"(?P<time>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
    r"|(?P<zone>[+-][0-9]{2}:?[0-9]{2})"
    r"|(?P<slashed>[0-9]{1,4}/[0-9]{1,2}/[0-9]{1,4})"
    r"|(?P<number>[0-9]+)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<skip>[\s,.()-]+)"
)


def parse_js_date(text: str) -> datetime | None:
    """The moment `new Date(text)` reads (ISO-8601 or the common English forms such as
    "December 25, 2023", "12/25/2023" or "Mon, 25 Dec 2023 10:30:00 GMT"); None where
    JavaScript gives an invalid date."""
    text = text.strip()
    iso = _ISO.fullmatch(text)
    try:
        return _from_iso(iso) if iso else _from_words(text)
    except (ValueError, OverflowError):
        return None


def _from_iso(match: re.Match[str]) -> datetime:
    part = match.groupdict()
    fraction = (part["fraction"] or "0")[:3].ljust(3, "0")
    moment = datetime(
        int(part["year"]),
        int(part["month"] or 1),
        int(part["day"] or 1),
        int(part["hour"] or 0),
        int(part["minute"] or 0),
        int(part["second"] or 0),
        int(fraction) * 1000,
        tzinfo=UTC,
    )
    return moment - _offset(part["zone"])


def _offset(zone: str | None) -> timedelta:
    if zone is None or zone.upper() in ("Z", "GMT", "UTC", "UT"):
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return -offset if zone.startswith("-") else offset


def _from_words(text: str) -> datetime | None:
    """The legacy forms: a month by name or m/d/y, a day, a year, a time, a zone."""
    month = day = year = None
    clock = (0, 0, 0, 0)
    offset = timedelta(0)
    afternoon: bool | None = None
    numbers: list[int] = []
    position = 0
    while position < len(text):
        token = _TOKEN.match(text, position)
        if token is None:
            return None
        position = token.end()
        kind, value = token.lastgroup, token.group()
        if kind == "time":
            pieces = value.split(":")
            seconds, _, fraction = (pieces[2] if len(pieces) > 2 else "0").partition(".")
            clock = (int(pieces[0]), int(pieces[1]), int(seconds), int(fraction[:3].ljust(3, "0")))
        elif kind == "zone":
            offset = _offset(value)
        elif kind == "slashed":
            first, second, third = (int(piece) for piece in value.split("/"))
            month, day, year = (second, third, first) if first > 31 else (first, second, third)
        elif kind == "number":
            numbers.append(int(value))
        elif kind == "word":
            word = value.lower()
            if word in _MONTHS:
                month = _MONTHS[word]
            elif word in ("am", "pm"):
                afternoon = word == "pm"
            elif word in ("z", "gmt", "utc", "ut"):
                offset = timedelta(0)
            elif word not in _WEEKDAYS and word not in _WEEKDAY_NAMES:
                return None
    for number in numbers:
        if day is None and number <= 31 and month is not None:
            day = number
        elif year is None:
            year = number
        else:
            return None
    if month is None or year is None:
        return None
    hour = clock[0]
    if afternoon is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if afternoon else 0)
    year += 2000 if year < 50 else 1900 if year < 100 else 0
    moment = datetime(year, month, day or 1, hour, clock[1], clock[2], clock[3] * 1000, tzinfo=UTC)
    return moment - offset


def js_date(value: Any) -> datetime | None:
    """`new Date(value)` for a JSON value: a string parsed, a number as milliseconds since
    1970; None for anything else or an invalid date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return _EPOCH + timedelta(milliseconds=int(value))
        except (OverflowError, ValueError):
            return None
    return parse_js_date(value) if isinstance(value, str) else None


def iso_string(moment: datetime) -> str:
    """Date.prototype.toISOString: UTC, milliseconds, a trailing Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` with its month moved by `months`, the day carried over past the month's
    end as JavaScript's setMonth does (January 31 plus a month is March 2 or 3)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise NodeError(INVALID_TIME)
    first = moment.replace(year=year, month=month + 1, day=1)
    return first + timedelta(days=moment.day - 1)
