"""The survey grid: /-/workbench/grid?question=... One answer per row, the respondent's
attributes beside it, the codes applied to it as chips; tick rows, pick codes, apply to
all of them at once. Paged by keyset like the document list."""

from __future__ import annotations

from datasette.utils.asgi import Forbidden

from rapidreview import browse, store
from rapidreview.coding import manual
from rapidreview.errors import InputError, RapidReviewError

from . import access, pages
from .reader import _args_with, _done, filters_from


async def grid(datasette, request):
    access.require(request)
    options = await pages.read(datasette, browse.choices)
    f = filters_from(request.args)
    if not f.question and options["questions"]:
        f.question = options["questions"][0]
    rows = await pages.read(datasette, browse.grid_page, f)
    codes = await pages.read(datasette, browse.codes_list)
    return await pages.page(datasette, request, "workbench_grid.html", {
        "grid": rows, "options": options, "codes": codes, "question": f.question, "args": request.args,
        "query": _args_with(request.args),
        "next_args": _args_with(request.args, after=rows["next_after"]) if rows["next_after"] else None,
    })


def apply_whole(db, code_ids: list[int], doc_ids: list[int], coder: str) -> list[dict]:
    """Each code to each whole answer (its one segment; the whole text if it has several)."""
    out = []
    with store.transaction(db):
        for doc_id in doc_ids:
            for code in code_ids:
                try:
                    out.append(manual.apply_code(db, code, coder=coder, document=doc_id))
                except InputError:
                    text = manual.resolve_document(db, doc_id)["text"]
                    out.append(manual.apply_code(db, code, coder=coder, document=doc_id, start=0, end=len(text)))
    return out


async def apply(datasette, request):
    body = {}
    try:
        actor = pages.gate(request, writing=True)
        body = await pages.body(request)
        doc_ids = pages.int_list(body.get("documents") or body.get("document"), "document")
        code_ids = pages.int_list(body.get("codes") or body.get("code"), "code")
        if not doc_ids:
            raise InputError("tick at least one answer")
        if not code_ids:
            raise InputError("choose at least one code")
        if len(doc_ids) * len(code_ids) > 5000:
            raise InputError("that is more than 5,000 codings at once: apply to fewer rows")
        results = await pages.write(datasette, lambda db: apply_whole(db, code_ids, doc_ids, actor["id"]))
    except (RapidReviewError, Forbidden) as e:
        return pages.error(e)
    return _done(request, body, {"ok": True, "applied": len([r for r in results if r["action"] != "unchanged"]),
                                 "codings": [r["coding_id"] for r in results]})


ROUTES = [
    (r"^/-/workbench/grid$", grid),
    (r"^/-/workbench/grid/apply$", apply),
]
