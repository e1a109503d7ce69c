"""Headless Chromium for report tests: Debian's chromium driven by playwright, offline.

Playwright only drives the browser: its own browser download (``playwright install``) is
never used. The browser is the system one (apt-get install chromium), started with every
background service that could reach the network switched off, and every request a page
makes is recorded (and anything but a local file is aborted) so a test can assert there
was none.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
        "--disable-extensions", "--lang=zh-CN"]


def missing() -> str | None:
    """Why no browser test can run here (Chromium is not installed), or None when it can."""
    if Path(CHROMIUM).is_file():
        return None
    return ("Chromium is not installed (apt-get install -y chromium chromium-driver); "
            "the headless-browser report test cannot run on this machine")


@dataclass(slots=True)
class Session:
    page: Page
    errors: list[str] = field(default_factory=list)  # uncaught exceptions and console errors
    requests: list[str] = field(default_factory=list)  # every URL the browser asked for
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt messages


class Chromium:
    """One headless browser; each ``open`` is a fresh page with its own Session."""

    def __init__(self, context: BrowserContext) -> None:
        self._context = context

    def open(self, url: str) -> Session:
        page = self._context.new_page()
        session = Session(page)
        page.on("request", lambda request: session.requests.append(request.url))
        page.on("pageerror", lambda exc: session.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: _console(msg, session))
        page.on("dialog", lambda dialog: _dialog(dialog, session))
        page.goto(url, wait_until="load")
        return session


@contextmanager
def launch(profile: Path, width: int = 1280) -> Iterator[Chromium]:
    """Start Debian's Chromium headless with its profile in ``profile``; anything not a local file is aborted."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": width, "height": 900}, locale="zh-CN", service_workers="block")
        try:
            context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
            yield Chromium(context)
        finally:
            context.close()


def _console(msg: ConsoleMessage, session: Session) -> None:
    if msg.type in ("error", "warning"):
        session.errors.append(f"console {msg.type}: {msg.text}")


def _dialog(dialog: Dialog, session: Session) -> None:
    session.dialogs.append(dialog.message)
    dialog.dismiss()
