"""The review database: named migrations, backups before migrating, WAL, foreign keys,
and all-or-nothing transactions."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from rapidreview import store
from rapidreview.errors import StoreError


def test_migrations_are_named_and_recorded_in_order(db):
    applied = [m.name for m in store.migrations.applied(db)]
    assert applied == [name for name, _ in store.MIGRATIONS]
    assert db.execute("PRAGMA application_id").fetchone()[0] == store.APP_ID


def test_reopening_applies_nothing_and_makes_no_backup(review_path):
    store.open_review(review_path).conn.close()
    store.open_review(review_path).conn.close()
    assert not review_path.with_name(review_path.name + ".bak").exists()


def test_backup_is_taken_before_a_pending_migration(review_path):
    old = sqlite_utils.Database(sqlite3.connect(review_path))
    store.migrations.apply(old, stop_before=store.MIGRATIONS[-1][0])  # a review from an older version
    old.execute("INSERT INTO events (at, actor, action) VALUES ('2026-01-01', 'amy', 'marker')")
    old.conn.commit()
    old.conn.close()
    db = store.open_review(review_path)
    assert [m.name for m in store.migrations.applied(db)][-1] == store.MIGRATIONS[-1][0]
    backup = sqlite3.connect(review_path.with_name(review_path.name + ".bak"))
    names = [r[0] for r in backup.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert store.MIGRATIONS[-1][0] not in names  # the copy is of the file as it was
    assert backup.execute("SELECT count(*) FROM events WHERE action = 'marker'").fetchone()[0] == 1


def test_newer_review_is_refused(review_path):
    db = store.open_review(review_path)
    db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('rapidreview', '999_future', 'x')")
    db.conn.commit()
    db.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [store.MIGRATIONS[-1][0]])
    db.conn.commit()
    db.conn.close()
    with pytest.raises(StoreError, match="newer rapidreview"):
        store.open_review(review_path)


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes")
    with pytest.raises(StoreError, match="not a SQLite database"):
        store.open_review(path)
    assert path.read_text() == "these are my notes"


def test_wal_and_foreign_keys(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction(db):
            db.execute("INSERT INTO attributes (document_id, name, value) VALUES (999, 'x', 'y')")


def test_transaction_is_all_or_nothing_and_nests(db):
    with pytest.raises(RuntimeError):
        with store.transaction(db):
            store.log_event(db, "outer")
            with store.transaction(db):
                store.log_event(db, "inner")
            raise RuntimeError("fail after both")
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    with store.transaction(db):
        store.log_event(db, "outer")
        with pytest.raises(ValueError):
            with store.transaction(db):
                store.log_event(db, "inner")
                raise ValueError("only the inner part fails")
    assert [r[0] for r in db.execute("SELECT action FROM events")] == ["outer"]


def test_a_reader_sees_the_last_commit_while_a_writer_is_busy(review_path, db):
    store.log_event(db, "committed")
    db.conn.commit()
    db.execute("BEGIN IMMEDIATE")
    store.log_event(db, "uncommitted")
    reader = sqlite3.connect(review_path)
    try:
        assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    finally:
        reader.close()
        db.execute("ROLLBACK")
