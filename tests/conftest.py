"""Fixtures every test folder shares."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from lambdas.handlers.observability import logger
from tests.support.timing import TEST_TIME_SCALE

if TYPE_CHECKING:
    from local.cloud import LocalCloud


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """The process's local cloud, its retries and Wait states fast for this module's tests
    (imported here: a suite that never asks for it never loads moto)."""
    from local.cloud import LocalCloud

    shared = LocalCloud.shared()
    previous = shared.time_scale
    shared.time_scale = TEST_TIME_SCALE
    yield shared
    shared.time_scale = previous


Figure = Callable[[str], None]


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Figure:
    """Reports a figure a test measured (faults injected, cases tried, executions per second):
    the suite prints them all at its end, also when xdist runs the test in another process."""

    def report(text: str) -> None:
        request.node.user_properties.append(("figure", text))

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = [
        (report.nodeid, text)
        for report in terminalreporter.stats.get("passed", [])
        for name, text in getattr(report, "user_properties", [])
        if name == "figure"
    ]
    if figures:
        terminalreporter.section("figures measured by the suite")
        for nodeid, text in sorted(figures):
            terminalreporter.write_line(f"{nodeid.rpartition('::')[2]}: {text}")


@pytest.fixture
def info_logs() -> Iterator[io.StringIO]:
    """What an operator reads of the handlers' logs at INFO: one JSON object a line."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    level, stream, lines = logger.log_level, handler.stream, io.StringIO()
    handler.stream = lines  # not setStream: it flushes a stream an earlier session may have closed
    logger.setLevel(logging.INFO)
    yield lines
    handler.stream = stream
    logger.setLevel(level)
