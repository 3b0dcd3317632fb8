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
