"""Shared fixtures: a fresh review database, the CLI runner, and ../shared data."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rapidreview import store
from rapidreview.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FFT_DEV = SHARED / "data" / "nhs-fft" / "fft_dev.csv"
CORPORA = ROOT / "corpora"


@pytest.fixture
def review_path(tmp_path) -> Path:
    return tmp_path / "review.db"


@pytest.fixture
def db(review_path):
    database = store.open_review(review_path)
    yield database
    database.conn.close()


@pytest.fixture
def run():
    """Run the CLI in-process: run("import", db, file, "--text", "Q") -> click Result."""
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def fft_dev() -> Path:
    if not FFT_DEV.exists():
        pytest.skip(f"{FFT_DEV} is absent: the NHS FFT data lives in ../shared beside a project checkout")
    return FFT_DEV


def snapshot(path: Path) -> dict:
    """Row counts of every table: to assert that a failed command changed nothing."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts_%'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


# ---------------------------------------------------------------- live servers and Chromium
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTEFACTS = ROOT / "tests" / "artefacts"  # screenshots kept from browser tests (git-ignored)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`rapidreview serve ...` in a real subprocess on a free loopback port."""

    def __init__(self, *args, env=None):
        import os
        import subprocess
        import sys
        import time
        import urllib.request

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rapidreview", "serve", *map(str, args), "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stdout.read().decode()}")
            try:
                urllib.request.urlopen(self.url + "/-/versions.json", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start within 30 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:
                self.proc.kill()


@pytest.fixture
def live_server():
    """live_server(path, "--public") -> LiveServer with .url; stopped after the test."""
    servers = []

    def start(*args, env=None):
        servers.append(LiveServer(*args, env=env))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian Chromium driven by Playwright (no `playwright install`). Per module:
    Playwright's sync API keeps an event loop running while it is open, which would break
    `asyncio.run` in later, non-browser test modules."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) for browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser page; a screenshot is kept in tests/artefacts/ after the test, and
    any JavaScript error or console error fails the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (errors.append(f"dialog opened: {d.message}"), d.dismiss()))
    yield pg
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTEFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()
    assert not errors, f"errors in the page: {errors}"
