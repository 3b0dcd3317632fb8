"""The code tree: /-/workbench/codes (hierarchy, definitions, counts per coder),
/-/workbench/code/<id> (every passage coded with it), editing a definition and merging
codes (lead role; each makes a new codebook version), and undo of your last decision."""

from __future__ import annotations

from datasette.utils.asgi import Forbidden, NotFound

from rapidreview import browse, memos
from rapidreview.codebook.edit import edit_code
from rapidreview.coding.undo import last_undoable, merge_undoably, undo_last
from rapidreview.errors import InputError, RapidReviewError

from . import access, pages
from .reader import _done


async def tree(datasette, request):
    actor = access.require(request)
    books = await pages.read(datasette, browse.code_tree)
    codes = await pages.read(datasette, browse.codes_list)
    pending = await pages.read(datasette, last_undoable, actor["id"])
    return await pages.page(datasette, request, "workbench_tree.html", {
        "books": books, "codes": codes, "lead": access.allows(actor, "lead"), "undoable": pending,
    })


def _one_code(db, code_id: int) -> dict | None:
    for book in browse.code_tree(db):
        stack = list(book["codes"])
        while stack:
            node = stack.pop()
            if node["id"] == code_id:
                return {**node, "codebook": book["name"], "version": book["version"]}
            stack += node["children"]
    return None


async def code(datasette, request):
    actor = access.require(request)
    code_id = int(request.url_vars["id"])
    node = await pages.read(datasette, _one_code, code_id)
    if node is None:
        raise NotFound(f"no live code {code_id}")
    after = request.args.get("after")
    passages = await pages.read(datasette, browse.code_segments, code_id,
                                after=int(after) if after and after.isdigit() else 0)
    notes = await pages.read(datasette, memos.list_memos, "code", code_id)
    return await pages.page(datasette, request, "workbench_code.html", {
        "code": node, "passages": passages, "memos": notes, "lead": access.allows(actor, "lead"),
    })


async def edit(datasette, request):
    body = {}
    try:
        actor = pages.gate(request, "lead", writing=True)
        body = await pages.body(request)
        code_id = int(request.url_vars["id"])
        keywords = body.get("keywords")
        if isinstance(keywords, str):
            keywords = [k for k in keywords.split(",")]
        result = await pages.write(datasette, lambda db: edit_code(
            db, code_id, description=body.get("description"), include=body.get("include"),
            exclude=body.get("exclude"), keywords=keywords, actor=actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, **result})


async def merge(datasette, request):
    body = {}
    try:
        actor = pages.gate(request, "lead", writing=True)
        body = await pages.body(request)
        sources = pages.int_list(body.get("sources") or body.get("source"), "source")
        into = pages.as_int(body.get("into"), "into")
        if not sources:
            raise InputError("choose the code(s) to merge")
        result = await pages.write(datasette, lambda db: merge_undoably(
            db, [str(s) for s in sources], str(into), actor=actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, **result})


async def undo(datasette, request):
    body = {}
    try:
        actor = pages.gate(request, writing=True)
        body = await pages.body(request)
        result = await pages.write(datasette, lambda db: undo_last(db, actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, **result})


ROUTES = [
    (r"^/-/workbench/codes$", tree),
    (r"^/-/workbench/code/(?P<id>\d+)$", code),
    (r"^/-/workbench/code/(?P<id>\d+)/edit$", edit),
    (r"^/-/workbench/codes/merge$", merge),
    (r"^/-/workbench/undo$", undo),
]
