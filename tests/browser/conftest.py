"""The browser tests drive Debian's Chromium (`apt-get install chromium`, which `.ci/run`
does) through Playwright, against serve's application on a free localhost port."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.serving import org_a_fixture, server_fixture

__all__ = ["org_a_fixture", "server_fixture"]  # fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        # as root, Chromium runs only without its sandbox
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield launched
        launched.close()
