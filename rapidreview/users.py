"""Researchers who may sign in to the workbench, their roles, and the review's session secret.

Passwords are stored as scrypt hashes with a salt per user, compared in constant time.
Roles: a `coder` codes and reviews; a `lead` may also edit and merge codes. The session
secret signs the workbench's cookies: it lives in the review, so sign-ins survive a restart
of `rapidreview serve` and a cookie for one review is worthless on another.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import sqlite_utils

from . import store
from .errors import InputError, NotFound

ROLES = ("coder", "lead")
MIN_PASSWORD = 8
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# scrypt cost: ~50 ms and 16 MB per check on a laptop; stored with each hash so it can rise later.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    again = hash_password(password, salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


# A hash to check against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY = hash_password("not a real password", salt=b"\0" * 16)


def _stamp() -> str:
    """When a password was set, to the microsecond: sessions signed in before it are refused."""
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)} (not {role!r})")
    return role


def _check_new_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    return password


def add_user(db: sqlite_utils.Database, name: str, password: str, role: str = "coder", *,
             actor: str | None = None) -> dict:
    if not NAME.match(name or ""):
        raise InputError(f"user name {name!r}: use letters, digits and . _ @ - (up to 64), starting with a "
                         "letter or digit")
    _check_role(role)
    _check_new_password(password)
    with store.transaction(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise InputError(f"user {name!r} already exists: change the password with `rapidreview users passwd`")
        at = _stamp()
        db.execute("INSERT INTO users (name, role, password, created_at, changed_at) VALUES (?, ?, ?, ?, ?)",
                   [name, role, hash_password(password), at, at])
        store.log_event(db, "user.add", {"name": name, "role": role}, actor)
    return {"name": name, "role": role}


def list_users(db: sqlite_utils.Database) -> list[dict]:
    return [{"name": n, "role": r, "created_at": c, "changed_at": ch}
            for n, r, c, ch in db.execute("SELECT name, role, created_at, changed_at FROM users ORDER BY name")]


def _existing(db, name: str) -> str:
    row = db.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
    if row is None:
        known = [u["name"] for u in list_users(db)]
        raise NotFound(f"no user {name!r}. Users: {', '.join(known) or 'none yet'} "
                       "(add one with `rapidreview users add`)")
    return row[0]


def remove_user(db: sqlite_utils.Database, name: str, *, actor: str | None = None) -> None:
    with store.transaction(db):
        _existing(db, name)
        db.execute("DELETE FROM users WHERE name = ?", [name])
        store.log_event(db, "user.remove", {"name": name}, actor)


def set_password(db: sqlite_utils.Database, name: str, password: str, *, actor: str | None = None) -> None:
    _check_new_password(password)
    with store.transaction(db):
        _existing(db, name)
        db.execute("UPDATE users SET password = ?, changed_at = ? WHERE name = ?",
                   [hash_password(password), _stamp(), name])
        store.log_event(db, "user.passwd", {"name": name}, actor)


def set_role(db: sqlite_utils.Database, name: str, role: str, *, actor: str | None = None) -> None:
    _check_role(role)
    with store.transaction(db):
        _existing(db, name)
        db.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])
        store.log_event(db, "user.role", {"name": name, "role": role}, actor)


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> dict | None:
    """{"name", "role"} when the password is right, else None (same work either way)."""
    row = db.execute("SELECT role, password FROM users WHERE name = ?", [name or ""]).fetchone()
    ok = check_password(password or "", row[1] if row else _DUMMY)
    return {"name": name, "role": row[0]} if row and ok else None


def has_users(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM users)").fetchone()[0] == 1


def session_secret(db: sqlite_utils.Database) -> str:
    """This review's secret for signing cookies, made on first use."""
    row = db.execute("SELECT value FROM review_secrets WHERE name = 'session'").fetchone()
    if row:
        return row[0]
    with store.transaction(db):
        db.execute("INSERT OR IGNORE INTO review_secrets (name, value, created_at) VALUES ('session', ?, ?)",
                   [secrets.token_hex(32), store.now()])
    return db.execute("SELECT value FROM review_secrets WHERE name = 'session'").fetchone()[0]
