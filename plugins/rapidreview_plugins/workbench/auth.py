"""Sign in and out: /-/workbench/login (form, then password check) and /-/workbench/logout.

A right password sets Datasette's signed `ds_actor` cookie for `access.SESSION_SECONDS`.
Wrong passwords are throttled per name and per address, so guessing is slow. Datasette's
CSRF protection (asgi-csrf) covers both forms.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

import sqlite_utils
from datasette.utils.asgi import Response

from rapidreview import users

from .. import legacy
from . import access

MAX_FAILURES = 5          # wrong passwords allowed per name (and per address) ...
FAILURE_WINDOW = 15 * 60  # ... in this many seconds, then sign-in waits
_failures: dict[str, deque] = defaultdict(deque)


def _throttled(keys: list[str]) -> int:
    """Seconds to wait before another try, 0 if none."""
    now = time.monotonic()
    wait = 0
    for key in keys:
        q = _failures[key]
        while q and now - q[0] > FAILURE_WINDOW:
            q.popleft()
        if len(q) >= MAX_FAILURES:
            wait = max(wait, int(FAILURE_WINDOW - (now - q[0])) + 1)
    return wait


def _failed(keys: list[str]) -> None:
    if len(_failures) > 10_000:  # someone trying many names: forget the quiet ones, keep memory bounded
        for key in [k for k, q in _failures.items() if len(q) < MAX_FAILURES]:
            del _failures[key]
    for key in keys:
        _failures[key].append(time.monotonic())


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect to somewhere else."""
    value = value or "/-/workbench"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/-/workbench"
    return value


def _check(path: str, name: str, password: str) -> dict | None:
    # On access.py's kept connection, never store.open_review (see access._users_connection).
    return users.authenticate(sqlite_utils.Database(access._users_connection(path)), name, password)


async def login(datasette, request):
    error, status = None, 200
    next_path = _safe_next(request.args.get("next"))
    if request.method == "POST":
        access.check_write(request)  # no signing someone in from another site's form
        form = await request.post_vars()
        name, password = (form.get("name") or "").strip(), form.get("password") or ""
        next_path = _safe_next(form.get("next"))
        client = (request.scope.get("client") or ("?",))[0]
        keys = [f"name:{name.casefold()}", f"addr:{client}"]
        wait = _throttled(keys)
        if wait:
            error, status = f"Too many wrong passwords: wait {wait // 60 + 1} minutes and try again.", 429
        else:
            found = None
            for _, path in access.review_databases(datasette):
                found = await asyncio.to_thread(_check, path, name, password)
                if found:
                    break
            if found:
                access.forget_users(datasette)  # a user added a moment ago is known at once
                response = Response.redirect(next_path)
                legacy.set_actor_cookie(datasette, response, access.cookie_actor(datasette, found["name"],
                                                                                 found["role"]),
                                        access.SESSION_SECONDS)
                return response
            _failed(keys)
            error, status = "That name and password do not match. Try again.", 403
    html = await datasette.render_template("workbench_login.html", {
        "error": error, "next": next_path, "sign_in_on": access.sign_in_on(datasette),
        "local": (request.actor or {}).get("rr_local"), "reviews": [n for n, _ in access.review_databases(datasette)],
    }, request=request)
    return Response.html(html, status=status)


async def logout(datasette, request):
    access.check_write(request)
    response = Response.redirect(datasette.urls.path("/-/workbench/login"))
    response.set_cookie("ds_actor", "", expires=0, max_age=0, httponly=True, samesite="lax")
    return response


ROUTES = [
    (r"^/-/workbench/login$", login),
    (r"^/-/workbench/logout$", logout),
]
