"""The review queue in the browser: /-/workbench/queue (issue 8, item 3).

One machine suggestion at a time, most uncertain first, in its context; a, r, s, u and ?
on the keyboard (buttons for the mouse). The page is a shell: `static/workbench_queue.js`
fetches /-/workbench/queue.json and posts decisions to /-/workbench/queue/decide, which
calls the library the terminal `rapidreview review` uses (`rapidreview.coding.queue`)
inside `execute_write_fn`, and answers with the next suggestion. The order is read off
an index (`queue.rank`); the model retrains in the background (`coding.background`).
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import sqlite_utils
from datasette.utils.asgi import Forbidden, Response

from rapidreview.coding import background
from rapidreview.coding import model as model_mod
from rapidreview.coding import queue as queue_mod
from rapidreview.errors import NotFound, RapidReviewError

from .. import STATIC, views
from . import access

DECISIONS = ("accept", "reject", "skip", "undo")


def _review(datasette):
    name = access.review_database(datasette)
    if name is None:
        raise NotFound("no rapidreview review is being served")
    return datasette.get_database(name), access.review_path(datasette)


def _filter(request) -> queue_mod.QueueFilter:
    """The queue filter from the query string: code (repeatable ids), origin, question."""
    args = request.args
    try:
        codes = {int(c) for c in args.getlist("code") if c.strip()} or None
    except ValueError:
        raise RapidReviewError("code must be a code number, e.g. ?code=3") from None
    origin = args.get("origin") or None
    question = args.get("question")
    return queue_mod.QueueFilter(codes=codes, origin=origin, question=question if question else None)


def _filter_query(where: queue_mod.QueueFilter) -> str:
    pairs = [("code", c) for c in sorted(where.codes or ())]
    pairs += [(k, v) for k, v in (("origin", where.origin), ("question", where.question)) if v]
    return urlencode(pairs)


def _model_status(db) -> dict | None:
    record = model_mod.latest(db)
    if record is None:
        return None
    return {"id": record.id, "version": record.version, "created_at": record.created_at,
            "hhmm": record.created_at[11:16], "codes": len(record.codes)}


def _snapshot(conn, coder: str, where: queue_mod.QueueFilter, show: int | None = None) -> dict:
    """Everything the page shows, read in one go on one connection. `show`: this
    suggestion rather than the next (one just undone)."""
    db = sqlite_utils.Database(conn)
    chosen = queue_mod.pending(db, show) if show is not None else None
    found = [chosen] if chosen else queue_mod.next_suggestions(db, coder, where, limit=1)
    suggestion = None
    if found:
        s = found[0]
        suggestion = {"id": s.id, "document_id": s.document_id, "external_id": s.external_id,
                      "segment_id": s.segment_id, "start": s.start, "end": s.end, "code_id": s.code_id,
                      "code": s.code, "origin": s.origin, "rule": s.rule, "model_version": s.model_version,
                      "confidence": s.confidence, **queue_mod.context(db, s)}
    remaining = queue_mod.pending_count(db, coder, where)
    return {"suggestion": suggestion, "remaining": remaining, "more": remaining >= queue_mod.COUNT_CAP,
            **queue_mod.queue_size(db), "unranked": queue_mod.unranked(db), "model": _model_status(db)}


async def _payload(datasette, request, coder: str, where, show: int | None = None) -> dict:
    db, path = _review(datasette)
    data = await db.execute_fn(lambda conn: _snapshot(conn, coder, where, show))
    retrainer = background.retrainer_for(path)
    if data["unranked"] and not retrainer.status()["running"]:
        retrainer.request("rank")  # new suggestions (`rapidreview code`): rank them off the request path
    data["retrain"] = retrainer.status()
    if data["suggestion"]:
        data["suggestion"]["document_url"] = datasette.urls.row(db.name, "documents", data["suggestion"]["document_id"])
    return data


def _who(request) -> str:
    return access.require(request, "coder")["id"]


async def queue_page(datasette, request):
    try:
        coder = _who(request)
    except access.SignInNeeded:
        return access.sign_in_redirect(datasette, request)
    try:
        where = _filter(request)
    except RapidReviewError as e:
        return Response.html(f"<p>{_escape(str(e))}</p>", status=400)
    db, _ = _review(datasette)
    filters = await db.execute_fn(lambda conn: queue_mod.queue_filters(sqlite_utils.Database(conn)))
    model = await db.execute_fn(lambda conn: _model_status(sqlite_utils.Database(conn)))
    query = _filter_query(where)
    html = await datasette.render_template("workbench_queue.html", {
        "coder": coder, "filters": filters, "where": where, "chosen_codes": where.codes or set(), "model": model,
        "api_url": datasette.urls.path("/-/workbench/queue.json") + ("?" + query if query else ""),
        "decide_url": datasette.urls.path("/-/workbench/queue/decide") + ("?" + query if query else ""),
        "script_url": datasette.urls.static_plugins(views.static_name(STATIC), "workbench_queue.js"),
    }, request=request)
    return Response.html(html)


async def queue_json(datasette, request):
    try:
        coder = _who(request)
        where = _filter(request)
    except Forbidden as e:
        return Response.json({"error": str(e)}, status=403)
    except RapidReviewError as e:
        return Response.json({"error": str(e)}, status=400)
    return Response.json(await _payload(datasette, request, coder, where))


async def decide(datasette, request):
    """POST {"coding_id": N, "decision": "accept" | "reject" | "skip" | "undo"}: answers
    with the outcome and the next suggestion, so a decision is one round trip."""
    try:
        coder = _who(request)
        access.check_write(request)
        where = _filter(request)
        body = json.loads((await request.post_body()) or b"{}")
        coding_id, decision = int(body["coding_id"]), body["decision"]
        if decision not in DECISIONS:
            raise RapidReviewError(f"unknown decision {decision!r}: use {', '.join(DECISIONS)}.")
    except Forbidden as e:
        return Response.json({"error": str(e)}, status=403)
    except (ValueError, KeyError, TypeError):
        return Response.json({"error": 'send JSON: {"coding_id": N, "decision": "accept"}'}, status=400)
    except RapidReviewError as e:
        return Response.json({"error": str(e)}, status=400)
    db, path = _review(datasette)

    def write(conn):
        review = sqlite_utils.Database(conn)
        if decision == "skip":
            queue_mod.skip(review, coding_id, actor=coder)
            return {"status": "skipped"}
        if decision == "undo":
            return queue_mod.undo(review, coding_id, actor=coder)
        return queue_mod.decide(review, coding_id, decision, actor=coder, pending_only=True)

    status, outcome = 200, None
    try:
        done = await db.execute_write_fn(write, block=True)
        outcome = {"coding_id": coding_id, "decision": decision, "status": done["status"],
                   "code": done.get("code"), "undone": done.get("undone")}
        if decision in ("accept", "reject"):
            background.retrainer_for(path).decided()
    except queue_mod.AlreadyDecided as e:
        status, outcome = 409, {"coding_id": coding_id, "decision": decision, "error": str(e)}
    except NotFound as e:
        status, outcome = 404, {"coding_id": coding_id, "decision": decision, "error": str(e)}
    except RapidReviewError as e:
        status, outcome = 400, {"coding_id": coding_id, "decision": decision, "error": str(e)}
    show = coding_id if decision == "undo" and status == 200 else None  # what was undone comes back first
    data = await _payload(datasette, request, coder, where, show)
    return Response.json({"outcome": outcome, **data}, status=status)


def _escape(s: str) -> str:
    from html import escape

    return escape(s)


ROUTES = [
    (r"^/-/workbench/queue$", queue_page),
    (r"^/-/workbench/queue\.json$", queue_json),
    (r"^/-/workbench/queue/decide$", decide),
]
