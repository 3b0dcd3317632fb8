"""Agreement between coders in the browser: /-/workbench/agreement (issue 8, item 5).

Per code, Cohen's kappa for each pair of coders (and against the model, when asked) and
Krippendorff's alpha across them, on the units both coders saw: all computed by
`rapidreview.coding.agreement`, the same call as `rapidreview agreement`. Below, the
disagreements, each with a link to its segment and, for a lead, buttons to settle it
(`rapidreview.coding.adjudicate`, inside `execute_write_fn`, logged).
"""

from __future__ import annotations

from urllib.parse import urlencode

import sqlite_utils
from datasette.utils.asgi import Forbidden, Response

from rapidreview.coding import adjudicate as adjudicate_mod
from rapidreview.coding import agreement as agreement_mod
from rapidreview.errors import RapidReviewError

from . import access

MAX_DISAGREEMENTS = 200


def _review(datasette):
    name = access.review_database(datasette)
    if name is None:
        raise Forbidden("no rapidreview review is being served")
    return datasette.get_database(name)


def _compute(conn, chosen: list[str], with_model: bool) -> dict:
    db = sqlite_utils.Database(conn)
    known = adjudicate_mod.coders(db)
    coders = [c for c in chosen if c in known] or known
    out = {"known": known, "coders": coders, "model": with_model, "result": None, "error": None,
           "settled": {}, "code_ids": {}}
    if len(coders) + int(with_model) < 2:
        out["error"] = ("Agreement needs two coders, or one coder and the model: "
                        + ("nobody has coded yet." if not known else f"only {known[0]} has coded so far."))
        return out
    try:
        out["result"] = agreement_mod.agreement(db, coders, model=with_model, max_disagreements=MAX_DISAGREEMENTS)
    except RapidReviewError as e:
        out["error"] = str(e)
        return out
    out["settled"] = adjudicate_mod.settled(db)
    out["code_ids"] = {name: code_id for code_id, name in db.execute("SELECT id, name FROM codes ORDER BY id DESC")}
    return out


async def agreement_page(datasette, request):
    try:
        actor = access.require(request, "coder")
    except access.SignInNeeded:
        return access.sign_in_redirect(datasette, request)
    db = _review(datasette)
    chosen = [c for c in request.args.getlist("coder") if c]
    with_model = request.args.get("model") == "1"
    data = await db.execute_fn(lambda conn: _compute(conn, chosen, with_model))
    result = data["result"]
    rows = []
    if result is not None:
        for d in result.disagreements:
            code_id = data["code_ids"].get(d["code"])
            settled = data["settled"].get((d["external_id"], d["start"], d["end"], str(code_id)))
            rows.append({**d, "code_id": code_id, "settled": settled,
                         "segment_url": datasette.urls.row(db.name, "segments", d["segment_id"])
                         if d["segment_id"] is not None else None})
    query = urlencode([("coder", c) for c in data["coders"]] + ([("model", "1")] if with_model else []))
    html = await datasette.render_template("workbench_agreement.html", {
        "actor": actor, "is_lead": access.allows(actor, "lead"), "data": data, "result": result,
        "pairs": list(result.units) if result else [], "disagreements": rows,
        "here": datasette.urls.path("/-/workbench/agreement") + ("?" + query if query else ""),
        "adjudicate_url": datasette.urls.path("/-/workbench/agreement/adjudicate"),
    }, request=request)
    return Response.html(html)


async def adjudicate(datasette, request):
    """POST (form, CSRF token): segment or document/start/end, code, keep=1|0, between, next."""
    try:
        actor = access.require(request, "lead")
        access.check_write(request)
    except access.SignInNeeded:
        return Response.text("sign in first", status=403)
    form = await request.post_vars()
    back = form.get("next") or datasette.urls.path("/-/workbench/agreement")
    if not back.startswith("/") or back[1:2] in ("/", "\\"):
        back = datasette.urls.path("/-/workbench/agreement")  # only ever back to this site
    try:
        segment = int(form["segment"]) if form.get("segment") else None
        start = int(form["start"]) if form.get("start") else None
        end = int(form["end"]) if form.get("end") else None
        keep = form["keep"] == "1"
        code = form["code"]
    except (KeyError, ValueError):
        datasette.add_message(request, "That adjudication was incomplete: try again from the list.",
                              datasette.ERROR)
        return Response.redirect(back)
    between = [c for c in form.get("between", "").split(",") if c]
    db = _review(datasette)

    def write(conn):
        return adjudicate_mod.adjudicate(sqlite_utils.Database(conn), code=code, keep=keep, between=between,
                                         actor=actor["id"], segment=segment, document=form.get("document"),
                                         start=start, end=end)

    try:
        await db.execute_write_fn(write, block=True)
        datasette.add_message(request, f"Settled: the code is {'kept' if keep else 'dropped'} there.", datasette.INFO)
    except RapidReviewError as e:
        datasette.add_message(request, f"Not settled: {e}", datasette.ERROR)
    return Response.redirect(back)


ROUTES = [
    (r"^/-/workbench/agreement$", agreement_page),
    (r"^/-/workbench/agreement/adjudicate$", adjudicate),
]
