"""Who is signed in, and what they may do: the one place the workbench checks roles.

A signed-in researcher is Datasette's actor {"id": username, "rr_role": "coder" | "lead"},
carried in Datasette's signed `ds_actor` cookie with an expiry (see `legacy.py`).
"""

from __future__ import annotations

from datasette.utils.asgi import Forbidden, Response

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
