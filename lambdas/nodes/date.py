"""Time nodes: the current time, reading, shifting, comparing and formatting dates, waiting.

The date nodes behave as Dafthunk's: a date that cannot be read, or an unknown unit, is
not an error but a missing output (the node completes without it).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from lambdas.nodes.jsdates import INVALID_TIME, MILLISECOND, add_months, iso_string, js_date
from lambdas.nodes.jsvalues import js_string, js_to_number, js_trim, js_truthy
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from lambdas.runtime.record import utc_now
from lambdas.runtime.waits import MAX_WAIT_SECONDS, wait_seconds
from statemachine.catalog import Duration
from statemachine.limits import EXPRESS_MAX_SECONDS
from statemachine.model import ParameterType

family = NodeFamily("Date")

DATE = ParameterType.DATE
STRING = ParameterType.STRING
UNITS = ("milliseconds", "seconds", "minutes", "hours", "days", "weeks", "months", "years")
UNIT_DESCRIPTION = "milliseconds, seconds, minutes, hours, days, weeks, months or years"

SECONDS = Duration(
    input="seconds",
    maximum=MAX_WAIT_SECONDS,
    reason="a Step Functions Wait state waits at most a year",
    whole_seconds=True,
)


@family.node(
    "date-now",
    "Now",
    "The current UTC date and time",
    outputs=(port("date", ParameterType.DATE, "Now, as an ISO-8601 UTC date and time"),),
    inlinable=False,
)
def date_now(ctx: NodeContext) -> Mapping[str, Any]:
    return {"date": utc_now()}


def normalize_unit(value: Any) -> str | None:
    """One of UNITS for a unit written in any case, singular or plural; None if unknown."""
    unit = js_trim(js_string(value)).lower()
    unit = unit if unit in UNITS else unit + "s"
    return unit if unit in UNITS else None


@family.node(
    "date-parse",
    "Parse Date",
    'A date read from text (ISO-8601, "December 25, 2023", "12/25/2023", ...) or from '
    "milliseconds since 1970, as an ISO-8601 UTC date; no output when it cannot be read",
    inputs=(
        port(
            "value",
            ParameterType.ANY,
            "The text or number to read",
            required=True,
            fallback=True,
        ),
    ),
    outputs=(port("date", DATE, "The date, as an ISO-8601 UTC date and time"),),
)
def date_parse(ctx: NodeContext) -> Mapping[str, Any]:
    moment = js_date(ctx.inputs.get("value"))
    return {"date": None if moment is None else _iso(moment)}


def _iso(moment: datetime) -> str:
    if not 1 <= moment.year <= 9999:
        raise NodeError(INVALID_TIME)
    return iso_string(moment)


def _shift(unit: str, moment: datetime, amount: float) -> datetime:
    """`moment` moved by `amount` of `unit` as JavaScript's setters move it: the field's
    new value is truncated to a whole number, and a calendar unit carries over."""
    if unit == "months":
        return add_months(moment, math.trunc(amount))
    if unit == "years":
        return add_months(moment, 12 * math.trunc(amount))
    if unit == "milliseconds":
        return moment + timedelta(milliseconds=math.trunc(amount))
    if unit == "weeks":  # setDate(getDate() + amount * 7)
        unit, amount = "days", amount * 7
    size, field = _FIELDS[unit]
    return moment + size * (math.trunc(field(moment) + amount) - field(moment))


_FIELDS: dict[str, tuple[timedelta, Callable[[datetime], int]]] = {
    "seconds": (timedelta(seconds=1), lambda moment: moment.second),
    "minutes": (timedelta(minutes=1), lambda moment: moment.minute),
    "hours": (timedelta(hours=1), lambda moment: moment.hour),
    "days": (timedelta(days=1), lambda moment: moment.day),
}


@family.node(
    "date-add",
    "Add to Date",
    "The date moved by `amount` (negative: back) of `unit`; a month or year added to the "
    "31st carries over into the next month, as in JavaScript. No output for a date that "
    "cannot be read or an unknown unit",
    inputs=(
        port("date", DATE, "The date (ISO-8601)", required=True, fallback=True, lenient=True),
        port(
            "amount",
            ParameterType.NUMBER,
            "How much to add (negative to subtract)",
            required=True,
            fallback=True,
            lenient=True,
        ),
        port("unit", STRING, UNIT_DESCRIPTION, required=True, fallback=True, lenient=True),
    ),
    outputs=(port("date", DATE, "The date moved, as an ISO-8601 UTC date and time"),),
)
def date_add(ctx: NodeContext) -> Mapping[str, Any]:
    unit = normalize_unit(ctx.inputs.get("unit"))
    moment = js_date(ctx.inputs.get("date"))
    if unit is None or moment is None:
        return {}
    amount = js_to_number(ctx.inputs.get("amount"))
    if not math.isfinite(amount) or "amount" not in ctx.inputs:
        raise NodeError(INVALID_TIME)
    try:
        return {"date": _iso(_shift(unit, moment, amount))}
    except OverflowError:
        raise NodeError(INVALID_TIME) from None


@family.node(
    "date-diff",
    "Date Difference",
    "a - b in `unit` (a fraction where it is not whole; months and years by the calendar), "
    "its absolute value with `absolute`. No output for a date that cannot be read or an "
    "unknown unit",
    inputs=(
        port("a", DATE, "The first date (ISO-8601)", required=True, fallback=True, lenient=True),
        port("b", DATE, "The second date (ISO-8601)", required=True, fallback=True, lenient=True),
        port(
            "unit",
            STRING,
            f"{UNIT_DESCRIPTION} (milliseconds when none is given)",
            required=True,
            fallback=True,
            lenient=True,
        ),
        port("absolute", ParameterType.BOOLEAN, "Never negative", lenient=True),
    ),
    outputs=(port("value", ParameterType.NUMBER, "The difference, in `unit`"),),
)
def date_diff(ctx: NodeContext) -> Mapping[str, Any]:
    unit = normalize_unit(ctx.inputs.get("unit", "milliseconds"))
    a = js_date(js_string(ctx.inputs.get("a", "")))
    b = js_date(js_string(ctx.inputs.get("b", "")))
    if unit is None or a is None or b is None:
        return {}
    value = _difference(unit, a, b)
    if js_truthy(ctx.inputs.get("absolute", False)):
        value = abs(value)
    return {"value": int(value) if float(value).is_integer() else value}


_MILLISECONDS = {
    "milliseconds": 1,
    "seconds": 1000,
    "minutes": 60_000,
    "hours": 3_600_000,
    "days": 86_400_000,
    "weeks": 604_800_000,
}


def _difference(unit: str, a: datetime, b: datetime) -> float:
    if unit == "months":
        return (a.year - b.year) * 12 + a.month - b.month + (a.day - b.day) / 31
    if unit == "years":
        return a.year - b.year + (a.month - b.month) / 12
    milliseconds: int = (a - b) // MILLISECOND
    per_unit = _MILLISECONDS[unit]
    return milliseconds // per_unit if milliseconds % per_unit == 0 else milliseconds / per_unit


# Intl.DateTimeFormat's numeric date and 24-hour time, for the locales people use most;
# any other locale writes as en-US does (Intl's fallback).
_LOCALE_FORMATS = {
    "en-us": "MM/DD/YYYY, hh:mm:ss",
    "en-gb": "DD/MM/YYYY, hh:mm:ss",
    "fr-fr": "DD/MM/YYYY hh:mm:ss",
    "fr": "DD/MM/YYYY hh:mm:ss",
    "de-de": "DD.MM.YYYY, hh:mm:ss",
    "de": "DD.MM.YYYY, hh:mm:ss",
    "es-es": "DD/MM/YYYY, hh:mm:ss",
    "es": "DD/MM/YYYY, hh:mm:ss",
    "it-it": "DD/MM/YYYY, hh:mm:ss",
    "it": "DD/MM/YYYY, hh:mm:ss",
    "nl-nl": "DD-MM-YYYY, hh:mm:ss",
    "pt-br": "DD/MM/YYYY, hh:mm:ss",
    "ja-jp": "YYYY/MM/DD hh:mm:ss",
    "zh-cn": "YYYY/MM/DD hh:mm:ss",
    "sv-se": "YYYY-MM-DD hh:mm:ss",
}
_LOCALE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")
DEFAULT_PATTERN = "YYYY-MM-DDThh:mm:ssZ"


@family.node(
    "date-format",
    "Format Date",
    "The date as text: in `pattern`, YYYY, MM, DD, hh, mm and ss stand for the UTC year, "
    "month, day, hour, minute and second; a pattern without any of them and a `locale` "
    '(en-US, fr-FR, ...) write the locale\'s numeric date and time. "" for a date that '
    "cannot be read",
    inputs=(
        port("date", DATE, "The date (ISO-8601)", required=True, fallback=True, lenient=True),
        port("pattern", STRING, f"The pattern ({DEFAULT_PATTERN} when none is given)"),
        port("locale", STRING, "A locale such as en-US, used when the pattern has no field"),
    ),
    outputs=(port("text", STRING, "The date as text"),),
)
def date_format(ctx: NodeContext) -> Mapping[str, Any]:
    moment = js_date(js_string(ctx.inputs.get("date", "")))
    if moment is None:
        return {"text": ""}
    pattern = ctx.inputs.get("pattern") or DEFAULT_PATTERN
    text = _fill(pattern, moment)
    locale = ctx.inputs.get("locale")
    if text == pattern and locale and _LOCALE_TAG.fullmatch(locale):
        language = locale.lower().split("-")[0]
        layout = _LOCALE_FORMATS.get(locale.lower(), _LOCALE_FORMATS.get(language))
        text = _fill(layout or _LOCALE_FORMATS["en-us"], moment)
    return {"text": text}


def _fill(pattern: str, moment: datetime) -> str:
    fields = (
        ("YYYY", str(moment.year)),
        ("MM", f"{moment.month:02}"),
        ("DD", f"{moment.day:02}"),
        ("hh", f"{moment.hour:02}"),
        ("mm", f"{moment.minute:02}"),
        ("ss", f"{moment.second:02}"),
    )
    for token, value in fields:
        pattern = pattern.replace(token, value)
    return pattern


@family.node(
    "wait",
    "Wait",
    "Waits `seconds`, then passes `value` on (a Step Functions Wait state: no compute is used)",
    inputs=(
        port(
            "seconds",
            ParameterType.NUMBER,
            "Whole seconds to wait (a fraction is rounded up)",
            required=True,
        ),
        port("value", ParameterType.ANY, "Passed on unchanged after the wait"),
    ),
    outputs=(port("value", ParameterType.ANY, "`value`, once the wait is over"),),
    inlinable=False,
    duration=SECONDS,
)
def wait(ctx: NodeContext) -> Mapping[str, Any]:
    seconds = wait_seconds(ctx.inputs)
    ends_by = ctx.environment.ends_by
    if ends_by is not None and time.time() + seconds > ends_by:
        raise NodeError(
            f"Waiting {seconds} s would take this execution past the {EXPRESS_MAX_SECONDS} s "
            "an Express state machine lets a short-lived workflow run"
        )
    if not ctx.environment.defer_waits:
        time.sleep(seconds)
    return {"value": ctx.inputs.get("value")}
