"""The reader: /-/workbench (documents, filtered and paged) and /-/workbench/document/<id>
(a transcript's turns or a survey answer with its respondent's attributes, codings in
each code's colour). Select text, pick codes, apply; remove a coding; write memos.

The browser sends where a selection starts and ends as (piece, UTF-16 offset) from the
rendered spans' data attributes; the server turns that into character offsets into
documents.text (`browse.offset_from_utf16`), so emoji and accents never shift a coding.
"""

from __future__ import annotations

from datasette.utils.asgi import Forbidden, NotFound, Response

from rapidreview import browse, memos, store
from rapidreview.coding import manual
from rapidreview.errors import InputError, RapidReviewError

from . import access, pages


def filters_from(args) -> browse.Filters:
    def number(name):
        v = args.get(name)
        return int(v) if v and v.isdigit() else None

    return browse.Filters(source_id=number("source"), question=args.get("question") or None,
                          kind=args.get("kind") or None, coded=args.get("coded") or None,
                          search=args.get("q") or None, attribute=args.get("attr") or None,
                          after=number("after") or 0)


def piece_style(codings: list[dict]) -> str:
    """Background for a piece of text: its codes' colours, striped where codings overlap.
    Colours come from browse.colour_of, so only #rrggbb ever reaches the style attribute."""
    colours = [c["colour"] for c in codings]
    if not colours:
        return ""
    if len(colours) == 1:
        return f"background-color: {colours[0]}44; border-bottom: 2px solid {colours[0]}"
    n = len(colours)
    stops = ", ".join(f"{c}55 {100 * i // n}% {100 * (i + 1) // n}%" for i, c in enumerate(colours))
    return f"background-image: linear-gradient(180deg, {stops}); border-bottom: 2px solid {colours[0]}"


async def home(datasette, request):
    access.require(request)
    f = filters_from(request.args)
    listing = await pages.read(datasette, browse.documents_page, f)
    options = await pages.read(datasette, browse.choices)
    return await pages.page(datasette, request, "workbench_home.html", {
        "listing": listing, "options": options, "args": request.args, "sign_in_on": access.sign_in_on(datasette),
        "next_args": _args_with(request.args, after=listing["next_after"]) if listing["next_after"] else None,
    })


def _args_with(args, **changes) -> str:
    from urllib.parse import urlencode

    merged = {k: args.get(k) for k in args.keys() if args.get(k)}
    merged.update({k: v for k, v in changes.items() if v is not None})
    return urlencode(merged)


async def document(datasette, request):
    actor = access.require(request)
    doc_id = int(request.url_vars["id"])
    doc = await pages.read(datasette, browse.document_view, doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id}")
    for s in doc["segments"]:
        for p in s["pieces"]:
            p["style"] = piece_style(p["codings"])
            p["names"] = ", ".join(f"{c['name']} ({c['coder']}{', suggested' if c['status'] == 'suggested' else ''})"
                                   for c in p["codings"])
    near = await pages.read(datasette, browse.neighbours, doc_id, filters_from(request.args))
    codes = await pages.read(datasette, browse.codes_list)
    notes = await pages.read(datasette, memos.list_memos, "document", doc_id)
    return await pages.page(datasette, request, "workbench_document.html", {
        "doc": doc, "near": near, "codes": codes, "memos": notes, "me": actor["id"],
        "query": _args_with(request.args),
    })


def span_from(body: dict, text: str) -> tuple[int, int]:
    """Character offsets of a selection: given directly (start, end), or as the pieces and
    UTF-16 offsets the browser saw. Whitespace at either edge is left out."""
    if "start" in body and "end" in body:
        start, end = pages.as_int(body["start"], "start"), pages.as_int(body["end"], "end")
    else:
        points = []
        for which in ("anchor", "focus"):
            point = body.get(which) or {}
            p_start, p_end = pages.as_int(point.get("start"), "piece start"), pages.as_int(point.get("end"), "piece end")
            if not 0 <= p_start <= p_end <= len(text):
                raise InputError("the selection is outside the document: reload the page")
            units = pages.as_int(point.get("units"), "offset")
            points.append(p_start + browse.offset_from_utf16(text[p_start:p_end], max(0, units)))
        start, end = min(points), max(points)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not 0 <= start < end <= len(text):
        raise InputError("select some text first")
    return start, end


async def apply(datasette, request):
    try:
        actor = pages.gate(request, writing=True)
        body = await pages.body(request)
        doc_id = int(request.url_vars["id"])
        codes = pages.int_list(body.get("codes") or body.get("code"), "code")
        if not codes:
            raise InputError("choose at least one code")

        def write(db):
            text = manual.resolve_document(db, doc_id)["text"]
            start, end = span_from(body, text)
            with store.transaction(db):  # all the chosen codes or none
                return [manual.apply_code(db, code, coder=actor["id"], document=doc_id, start=start, end=end)
                        for code in codes]

        results = await pages.write(datasette, write)
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, "applied": [_brief(r) for r in results]})


def _brief(result: dict) -> dict:
    return {k: result[k] for k in ("action", "coding_id", "code", "code_id", "coder", "document_id", "start", "end")}


def _done(request, body: dict, data: dict):
    """JSON for workbench.js; a redirect back for a plain form."""
    if "application/json" in request.headers.get("accept", "") or request.headers.get(
            "content-type", "").startswith("application/json"):
        return Response.json(data)
    back = str(body.get("next") or "")
    return Response.redirect(back if back.startswith("/-/workbench") else "/-/workbench")


async def remove(datasette, request):
    try:
        actor = pages.gate(request, writing=True)
        body = await pages.body(request)
        doc_id = int(request.url_vars["id"])
        coding_id = pages.as_int(body.get("coding_id"), "coding_id")

        result = await pages.write(datasette, lambda db: manual.remove_coding(db, coding_id, doc_id,
                                                                             coder=actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, "removed": _brief(result)})


async def memo(datasette, request):
    try:
        actor = pages.gate(request, writing=True)
        body = await pages.body(request)
        target = str(body.get("target") or "")
        if target not in ("document", "code"):
            raise InputError("a workbench memo is about a document or a code")
        target_id = pages.as_int(body.get("target_id"), "target_id")
        text = str(body.get("text") or "")
        result = await pages.write(datasette, lambda db: memos.add_memo(db, target, target_id, text,
                                                                      author=actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, "memo": result})


ROUTES = [
    (r"^/-/workbench$", home),
    (r"^/-/workbench/document/(?P<id>\d+)$", document),
    (r"^/-/workbench/document/(?P<id>\d+)/apply$", apply),
    (r"^/-/workbench/document/(?P<id>\d+)/remove$", remove),
    (r"^/-/workbench/memo$", memo),
]
