"""The dashboard's pages, each as HTML and as .json: overview, a theme, quotes (search
or a code), the codebook and the evidence ledger. The data comes from
`rapidreview.publish.explore` on Datasette's read connection; this module finds the
public database, reads the query string, builds links and renders."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from datasette.utils.asgi import Response
from markupsafe import Markup

from rapidreview import store
from rapidreview.publish import explore, svg

from .. import legacy
from ..views import static_name

BASE = "/-/dashboard"
STATIC = Path(__file__).resolve().parent.parent / "static"
_app_ids: dict[tuple[int, str], int] = {}


async def public_database(datasette, actor):
    """The name of the first public.db served (found by its application id) that this actor
    may see, or None."""
    if not await legacy.can_view_instance(datasette, actor):
        return None
    for name, db in datasette.databases.items():
        if name.startswith("_") or db.is_memory:
            continue
        key = (id(datasette), name)
        if key not in _app_ids:
            _app_ids[key] = (await db.execute("PRAGMA application_id")).first()[0]
        if _app_ids[key] == store.PUBLIC_APP_ID and await legacy.can_view_database(datasette, actor, name):
            return name
    return None


# ---------------------------------------------------------------- links


def dash_url(datasette, path: str = "", args: dict | None = None, fmt: str | None = None) -> str:
    url = datasette.urls.path(BASE + path + (f".{fmt}" if fmt else ""))
    return url + ("?" + urlencode(args) if args else "")


def table_args(filters: dict, **extra) -> dict:
    """Dashboard filters as Datasette table filters on quotes."""
    out = {}
    for key, value in filters.items():
        if key == "from":
            out["month__gte"] = value
        elif key == "to":
            out["month__lte"] = value
        elif key == "q":
            out["_search"] = value
        elif key.startswith("attr."):
            out[key[5:]] = value
        else:
            out[key] = value
    return {**out, **{k: v for k, v in extra.items() if v is not None}}


def table_links(datasette, db: str, table: str, args: dict | None = None) -> dict:
    """The Datasette table page for these rows, and a CSV of all of them."""
    query = "?" + urlencode(args) if args else ""
    csv_args = {**(args or {}), "_stream": "on", "_size": "max"}
    return {"table": datasette.urls.table(db, table) + query,
            "csv": datasette.urls.table(db, table, format="csv") + "?" + urlencode(csv_args)}


# ---------------------------------------------------------------- plumbing


class _NotFound(Exception):
    pass


async def _database(datasette, request):
    name = await public_database(datasette, request.actor)
    if name is None:
        raise _NotFound("No public database is served here. Build one with `rapidreview publish` and serve it "
                        "with `rapidreview serve public.db --public`.")
    return name, datasette.get_database(name)


def _int_arg(request, name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise explore.DashboardError(f"{name} must be a quote number, not {value!r}.")
    return int(value)


async def _page(datasette, request, build, template: str, decorate):
    """Run `build(conn, filters)` on the public database; JSON or HTML out. A bad filter
    is a 400 with the reason, a missing theme or database a 404."""
    as_json = bool(request.url_vars.get("format"))
    try:
        name, db = await _database(datasette, request)
        attrs = await db.execute_fn(explore.attributes)
        filters = explore.Filters.from_args(request.args, attrs)
        data = await db.execute_fn(lambda conn: build(conn, filters))
    except (explore.DashboardError, _NotFound) as e:
        status = 404 if isinstance(e, _NotFound) or str(e).startswith("no theme") else 400
        if as_json:
            return Response.json({"ok": False, "error": str(e)}, status=status)
        html = await datasette.render_template("dashboard_error.html", {**_common(datasette), "error": str(e)},
                                               request=request)
        return Response.html(html, status=status)
    context = decorate(datasette, name, filters, data)
    if as_json:
        return Response.json({"ok": True, "database": name, **data, "links": context.get("links", {})},
                             default=str)
    meta = {"title": legacy.instance_metadata(datasette, "title"),
            "source": legacy.instance_metadata(datasette, "source"),
            "source_url": svg.safe_href(legacy.instance_metadata(datasette, "source_url"))}
    html = await datasette.render_template(template, {**_common(datasette), **context, "data": data, "meta": meta,
                                                      "filters": filters.args(), "database": name},
                                           request=request)
    return Response.html(html)


def _common(datasette) -> dict:
    name = static_name(STATIC)
    return {"css_url": datasette.urls.static_plugins(name, "dashboard.css") if name else None,
            "home": dash_url(datasette), "codebook_url": dash_url(datasette, "/codebook"),
            "ledger_url": dash_url(datasette, "/recommendations"), "quotes_url": dash_url(datasette, "/quotes"),
            "theme_url": lambda n: dash_url(datasette, f"/theme/{n}")}


def _pager(datasette, path: str, filters: dict, page: dict, **extra) -> dict:
    base = {**{k: v for k, v in extra.items() if v is not None}, **filters}
    return {"next": dash_url(datasette, path, {**base, "after": page["next"]}) if page["next"] else None,
            "previous": dash_url(datasette, path, {**base, "before": page["previous"]}) if page["previous"] else None,
            "first": dash_url(datasette, path, base) if page["previous"] else None}


def _bars(datasette, themes: list[dict], filters: dict) -> Markup:
    rows = [{"label": t["label"], "value": t["count"]["n"], "text": t["count"]["text"],
             "href": dash_url(datasette, f"/theme/{t['number']}", filters)} for t in themes if t["count"]["n"] != 0]
    # Markup: svg.bar_chart escapes every piece of text itself.
    return Markup(svg.bar_chart(rows, title="Quotes per theme"))


def _lines(trend: dict, title: str) -> Markup:
    series = [{"label": s["label"], "values": [p["n"] for p in s["points"]], "texts": [p["text"] for p in s["points"]]}
              for s in trend["series"]]
    return Markup(svg.line_chart(trend["months"], series, title=title)) if trend["months"] else Markup("")


# ---------------------------------------------------------------- pages


def _overview_context(datasette, db, filters, data):
    f = filters.args()
    return {"bars": _bars(datasette, data["counts"]["themes"], f), "lines": _lines(data["trend"], "Quotes by month"),
            "sentiment_bars": Markup(svg.bar_chart(
                [{"label": s, "value": data["sentiment"]["rows"]["Total"][s]["n"],
                  "text": data["sentiment"]["rows"]["Total"][s]["text"]} for s in data["sentiment"]["sentiments"]],
                title="Quotes by sentiment")) if data["sentiment"]["sentiments"] else None,
            "theme_url": lambda n: dash_url(datasette, f"/theme/{n}", f),
            "more_quotes": dash_url(datasette, "/quotes", f),
            "links": {"quotes": table_links(datasette, db, "quotes", table_args(f)),
                      "themes": table_links(datasette, db, "themes"),
                      "counts": table_links(datasette, db, "counts", {"measure": "theme", "dimension": "all"}),
                      "json": dash_url(datasette, "", f, fmt="json")}}


async def overview(datasette, request):
    return await _page(datasette, request, explore.overview, "dashboard_overview.html", _overview_context)


async def theme(datasette, request):
    number = int(request.url_vars["number"])

    def decorate(ds, db, filters, data):
        f = filters.args()
        return {"lines": _lines(data["trend"], f"Quotes by month: {data['label']}"),
                "pager": _pager(ds, f"/theme/{number}", f, data["page"]),
                "form_action": dash_url(ds, f"/theme/{number}"),
                "links": {"quotes": table_links(ds, db, "quotes", table_args(f, theme_number=number)),
                          "counts": table_links(ds, db, "counts", {"measure": "theme", "item": data["label"]}),
                          "json": dash_url(ds, f"/theme/{number}", f, fmt="json")}}

    def build(conn, f):
        return explore.theme(conn, number, f, after=_int_arg(request, "after"), before=_int_arg(request, "before"))

    return await _page(datasette, request, build, "dashboard_theme.html", decorate)


async def quotes(datasette, request):
    """Quotes matching the filters and search, or those coded with ?code=NAME."""
    code = (request.args.get("code") or "").strip() or None

    def build(conn, f):
        after, before = _int_arg(request, "after"), _int_arg(request, "before")
        if code:
            return explore.code(conn, code, f, after=after, before=before)
        return {"filters": f.args(), "options": explore.options(conn),
                "page": explore.quotes_page(conn, f, after=after, before=before)}

    def decorate(ds, db, filters, data):
        f = filters.args()
        links = ({"quote_codes": table_links(ds, db, "quote_codes", {"code": code}),
                  "counts": table_links(ds, db, "counts", {"measure": "code", "item": code})} if code
                 else {"quotes": table_links(ds, db, "quotes", table_args(f))})
        return {"code": code, "pager": _pager(ds, "/quotes", f, data["page"], code=code),
                "form_action": dash_url(ds, "/quotes"),
                "links": {**links, "json": dash_url(ds, "/quotes", {**({"code": code} if code else {}), **f}, fmt="json")}}

    return await _page(datasette, request, build, "dashboard_quotes.html", decorate)


async def codebook(datasette, request):
    def decorate(ds, db, filters, data):
        return {"code_url": lambda name: dash_url(ds, "/quotes", {"code": name}),
                "links": {"codebook": table_links(ds, db, "codebook"),
                          "counts": table_links(ds, db, "counts", {"measure": "code", "dimension": "all"}),
                          "json": dash_url(ds, "/codebook", fmt="json")}}

    return await _page(datasette, request, lambda conn, f: {"codebooks": explore.codebook(conn),
                                                            "rule": explore.rule_text(explore.disclosure_rule(conn))},
                       "dashboard_codebook.html", decorate)


async def recommendations(datasette, request):
    def decorate(ds, db, filters, data):
        return {"theme_url": lambda n: dash_url(ds, f"/theme/{n}"),
                "links": {"recommendations": table_links(ds, db, "recommendations"),
                          "evidence": table_links(ds, db, "recommendation_evidence"),
                          "json": dash_url(ds, "/recommendations", fmt="json")}}

    return await _page(datasette, request, lambda conn, f: {"recommendations": explore.recommendations(conn)},
                       "dashboard_recommendations.html", decorate)


ROUTES = [
    (r"^/-/dashboard(?P<format>\.json)?$", overview),
    (r"^/-/dashboard/theme/(?P<number>\d+)(?P<format>\.json)?$", theme),
    (r"^/-/dashboard/quotes(?P<format>\.json)?$", quotes),
    (r"^/-/dashboard/codebook(?P<format>\.json)?$", codebook),
    (r"^/-/dashboard/recommendations(?P<format>\.json)?$", recommendations),
]
