"""Fixtures for the web client's tests: one real relay (with media) in a background event
loop and one Debian Chromium for the session, driven by Playwright's sync API.

Chromium runs with the DESIGN §9 flags. Playwright gives the launched browser its own new,
empty `--user-data-dir` (it refuses one in `args`), and every person in a test is a fresh
`BrowserContext` inside it: separate localStorage, cookies and permissions, as separate
people's browsers would have. Everything talks over loopback.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.webrig import CHROMIUM, Browsers, RelayThread, launch_chromium


@pytest.fixture(scope="session")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayThread]:
    running = RelayThread(tmp_path_factory.mktemp("relay"))
    yield running
    running.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def browsers(chromium: Any) -> Iterator[Browsers]:
    opened = Browsers(chromium)
    yield opened
    opened.close()
    unexpected = [e for e in opened.errors if not any(a in e for a in opened.allowed)]
    assert not unexpected, "the page logged errors:\n" + "\n".join(unexpected)


@pytest.fixture(autouse=True)
def close_bots() -> Iterator[None]:
    yield
    from tests.web.roomkit import OPEN_BOTS

    for bot in list(OPEN_BOTS):
        with contextlib.suppress(Exception):  # its room ended or failed: nothing to close
            bot.close()
    OPEN_BOTS.clear()
