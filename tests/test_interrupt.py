"""kill -9 in the middle of a 100k-row import leaves the review exactly as before."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, snapshot

sys.path.insert(0, str(ROOT / "bench"))
import gen_survey  # noqa: E402

OPTIONS = ["--text", "What was good?", "--text", "What could be better?", "--id", "Respondent ID",
           "--attr", "Service", "--attr", "Area"]


def _import(review: Path, csv_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rapidreview", "import", str(review), str(csv_path), *OPTIONS, "--silent"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _indexes(review: Path) -> list:
    conn = sqlite3.connect(review)
    try:
        return sorted(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    finally:
        conn.close()


def test_kill_during_import_leaves_database_unchanged(tmp_path):
    review = tmp_path / "review.db"
    small, big = tmp_path / "wave1.csv", tmp_path / "wave2.csv"
    gen_survey.write_csv(small, 200, seed=1)
    gen_survey.write_csv(big, 100_000, seed=2)
    assert _import(review, small).wait(timeout=120) == 0
    before, indexes = snapshot(review), _indexes(review)  # a file this big has its indexes built at the end
    wal = Path(str(review) + "-wal")

    proc = _import(review, big)
    deadline = time.monotonic() + 60
    # Wait until the import is really writing: uncommitted pages spill into the WAL.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 4_000_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be interrupted; use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(review) == before
    assert _indexes(review) == indexes
    conn = sqlite3.connect(review)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO segments_fts(segments_fts) VALUES ('integrity-check')")
    finally:
        conn.close()
