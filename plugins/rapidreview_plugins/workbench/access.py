"""Who is signed in, and what they may do: the one place the workbench checks roles.

A signed-in researcher is Datasette's actor {"id": username, "rr_role": "coder" | "lead"},
carried in Datasette's signed `ds_actor` cookie with an expiry (see `legacy.py`).
"""

from __future__ import annotations

import sqlite3
import time

import sqlite_utils
from datasette.utils.asgi import Forbidden, Response

from rapidreview import users as users_lib

ROLES = ("coder", "lead")  # a lead may do everything a coder may, and edit the codebook


def role_of(actor: dict | None) -> str | None:
    role = (actor or {}).get("rr_role")
    return role if role in ROLES else None


def allows(actor: dict | None, role: str = "coder") -> bool:
    have = role_of(actor)
    return have is not None and ROLES.index(have) >= ROLES.index(role)


def require(request, role: str = "coder") -> dict:
    """The signed-in actor, or Forbidden. Pages catch `SignInNeeded` to redirect."""
    if role_of(request.actor) is None:
        raise SignInNeeded()
    if not allows(request.actor, role):
        raise Forbidden(f"this needs the {role} role")
    return request.actor


class SignInNeeded(Forbidden):
    def __init__(self):
        super().__init__("sign in first")


def sign_in_redirect(datasette, request) -> Response:
    return Response.redirect(datasette.urls.path("/-/workbench/login") + "?next=" + _quote(request.full_path))


def _quote(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="")


# ---------------------------------------------------------------- who is signed in
# Sign-in is on as soon as a served review has a user (`rapidreview users add`). With no
# users, a single researcher keeps using `rapidreview serve` as before, from this machine
# only: loopback requests act as the local user with the lead role; nothing else gets in.

SESSION_SECONDS = 8 * 3600  # a sign-in lasts a working day, then the cookie is refused
STATE_SECONDS = 2.0         # re-read the users tables this often: `users remove` bites within seconds
PRIVATE_TABLES = ("users", "review_secrets")  # never readable through Datasette, by anyone
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

_reviews: dict[int, list[tuple[str, str]]] = {}
_users: dict[int, tuple[float, dict[str, dict[str, str]]]] = {}


def review_databases(datasette) -> list[tuple[str, str]]:
    """(name, path) of each served rapidreview review (not public.db or other files)."""
    from rapidreview.store import APP_ID

    key = id(datasette)
    if key not in _reviews:
        found = []
        for name, db in datasette.databases.items():
            if db.path and not db.is_memory and db.is_mutable and _app_id(db.path) == APP_ID:
                found.append((name, db.path))
        _reviews[key] = found
    return _reviews[key]


def review_database(datasette) -> str | None:
    """The review the workbench works on: the first one served."""
    reviews = review_databases(datasette)
    return reviews[0][0] if reviews else None


def review_path(datasette) -> str | None:
    reviews = review_databases(datasette)
    return reviews[0][1] if reviews else None


def _app_id(path: str) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("PRAGMA application_id").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def users_by_review(datasette) -> dict[str, dict[str, str]]:
    """{database: {user: role}}: see `_accounts`."""
    return {db: {name: role for name, (role, _) in found.items()} for db, found in _accounts(datasette).items()}


def _accounts(datasette) -> dict[str, dict[str, tuple[str, str]]]:
    """{database: {user: (role, changed_at)}}, re-read every few seconds on a connection of its own
    (Datasette's connections cannot read the users table: see `hide_private_tables`)."""
    key = id(datasette)
    at, cached = _users.get(key, (0.0, {}))
    if time.monotonic() - at < STATE_SECONDS:
        return cached
    found = {}
    for name, path in review_databases(datasette):
        try:
            found[name] = {u["name"]: (u["role"], u["changed_at"])
                           for u in users_lib.list_users(sqlite_utils.Database(_users_connection(path)))}
        except sqlite3.Error:  # an old review not yet migrated: treat as no users
            found[name] = {}
    _users[key] = (time.monotonic(), found)
    return found


_connections: dict[str, sqlite3.Connection] = {}


def _users_connection(path: str) -> sqlite3.Connection:
    """One plain sqlite3 connection per review, kept open (cheaper than one per check).
    Never `store.open_review` in the server: its header check reads the file with open(),
    and closing that descriptor drops the process's SQLite locks, so another process's
    close then deletes the WAL files under Datasette ("disk I/O error")."""
    if path not in _connections:
        _connections[path] = sqlite3.connect(path, timeout=5, check_same_thread=False)
    return _connections[path]


def forget_users(datasette) -> None:
    """Re-read the users on the next request (after a sign-in changed nothing, tests)."""
    _users.pop(id(datasette), None)


def cookie_actor(datasette, name: str, role: str) -> dict:
    """What the sign-in cookie carries: who, their role then, and when their password was set."""
    for review_users in _accounts(datasette).values():
        if name in review_users:
            return {"id": name, "rr_role": role, "rr_since": review_users[name][1]}
    return {"id": name, "rr_role": role}


def sign_in_on(datasette) -> bool:
    return any(users_by_review(datasette).values())


def is_local(request) -> bool:
    """From this machine, to a loopback name: a web page elsewhere cannot reach it by DNS rebinding."""
    client = (request.scope.get("client") or ("",))[0]
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") else request.host.split("]")[0] + "]"
    return client in LOOPBACK_HOSTS and host in LOOPBACK_HOSTS


def actor_for(datasette, request, cookie_actor: dict | None) -> dict | None:
    """The actor for this request: a signed-in user still in the review (with their role as
    it is now), the local researcher when sign-in is off, or None."""
    if not review_databases(datasette):
        return None  # not a review (public.db): Datasette's own rules
    users = users_by_review(datasette)
    if not any(users.values()):
        if is_local(request):
            from rapidreview.store import default_actor

            return {"id": default_actor(), "rr_role": "lead", "rr_local": True}
        # A cookie from before the users were removed is worth nothing now.
        return {"id": cookie_actor["id"], "rr_role": None} if cookie_actor and cookie_actor.get("id") else None
    if cookie_actor and cookie_actor.get("id"):
        for review_users in _accounts(datasette).values():
            role, changed = review_users.get(cookie_actor["id"], (None, None))
            # A new password (`rapidreview users passwd`) signs out every session made before it.
            if role and changed == cookie_actor.get("rr_since"):
                return {"id": cookie_actor["id"], "rr_role": role}
        return {"id": cookie_actor["id"], "rr_role": None}  # removed, or password changed, since they signed in
    return None


def may(datasette, actor, action: str, resource) -> bool | None:
    """Datasette's permission question for a served review: False to refuse, None for
    Datasette's defaults. No role, no access; the private tables and the whole-file
    download (which holds them) are refused to everyone."""
    reviews = dict(review_databases(datasette))
    if not reviews:
        return None
    if action == "view-instance" and (actor or {}).get("rr_probe"):
        return True  # /-/versions.json only: lets scripts and tests see the server is up
    database = resource[0] if isinstance(resource, (tuple, list)) else resource
    if role_of(actor) is None:
        return False
    if database in reviews:
        users = users_by_review(datasette).get(database) or {}
        if users and actor.get("id") not in users:
            return False  # a user of another review served alongside
        if action == "view-database-download":
            return False
        if isinstance(resource, (tuple, list)) and resource[1] in PRIVATE_TABLES:
            return False
    return None


def hide_private_tables(conn) -> None:
    """No SQL through Datasette can read the password hashes or the cookie-signing secret:
    their columns read as NULL (SQLITE_IGNORE), whoever asks, even a lead's own SQL query."""
    def authorizer(action, arg1, arg2, dbname, source):
        if action == sqlite3.SQLITE_READ and arg1 in PRIVATE_TABLES:
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorizer)


def check_write(request) -> None:
    """Every workbench write needs Datasette's CSRF cookie: asgi-csrf checks the token
    only when a cookie came with the request, so a cookie-less cross-site POST (which
    the local no-sign-in mode would otherwise accept) is refused here."""
    if request.method != "POST" or "ds_csrftoken" not in request.cookies:
        raise Forbidden("missing CSRF token: reload the page and try again")
