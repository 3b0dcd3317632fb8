"""What every workbench page does: find the review, check the role, read through the
library on Datasette's read connections, write through the library on its write thread,
and render a template or JSON."""

from __future__ import annotations

import json

import sqlite_utils
from datasette.utils.asgi import Forbidden, NotFound, Response

from rapidreview.errors import RapidReviewError

from . import access


def database(datasette):
    name = access.review_database(datasette)
    if name is None:
        raise NotFound("no review database is served")
    return datasette.get_database(name)


async def read(datasette, fn, *args, **kwargs):
    """Run library function fn(db, ...) on a read connection."""
    return await database(datasette).execute_fn(lambda conn: fn(sqlite_utils.Database(conn), *args, **kwargs))


async def write(datasette, fn):
    """Run fn(db) on Datasette's one write connection (its write thread): writers queue, none is lost."""
    return await database(datasette).execute_write_fn(lambda conn: fn(sqlite_utils.Database(conn)), block=True)


async def body(request) -> dict:
    """A JSON body (workbench.js) or a form (plain HTML forms)."""
    content_type = request.headers.get("content-type", "").split(";")[0]
    if content_type == "application/json":
        raw = await request.post_body()
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise RapidReviewError("the request body is not JSON") from None
        if not isinstance(data, dict):
            raise RapidReviewError("the request body should be a JSON object")
        return data
    from urllib.parse import parse_qsl

    data: dict = {}
    for key, value in parse_qsl((await request.post_body()).decode("utf-8"), keep_blank_values=True):
        # Repeated fields (ticked rows, chosen codes) become lists.
        data[key] = value if key not in data else [*(data[key] if isinstance(data[key], list) else [data[key]]), value]
    return data


def gate(request, role: str = "coder", *, writing: bool = False) -> dict:
    """The actor, after the role check (and the CSRF check for writes)."""
    actor = access.require(request, role)
    if writing:
        access.check_write(request)
    return actor


async def page(datasette, request, template: str, context: dict, role: str = "coder"):
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html)


def error(e: Exception) -> Response:
    status = 403 if isinstance(e, Forbidden) else 400
    return Response.json({"ok": False, "error": str(e)}, status=status)


def as_int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RapidReviewError(f"{name} should be a whole number, not {value!r}") from None


def int_list(values, name: str) -> list[int]:
    if isinstance(values, (str, int)):
        values = [v for v in str(values).split(",") if v.strip()]
    return [as_int(v, name) for v in (values or [])]
