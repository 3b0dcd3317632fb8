"""The review summary page: /-/rapidreview (HTML) and /-/rapidreview.json.

The counts come from the library (`rapidreview.stats`), run on Datasette's read
connection; this module only finds the review databases and renders.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils
from datasette.utils.asgi import Forbidden, Response

from rapidreview import stats
from rapidreview.store import APP_ID

from . import legacy


async def review_summaries(datasette, actor) -> list[dict]:
    """Stats for every review database this actor may see (not public.db or other files)."""
    if not await legacy.can_view_instance(datasette, actor):
        raise Forbidden("view-instance")
    out = []
    for name, db in datasette.databases.items():
        if name.startswith("_") or db.is_memory:
            continue
        app_id = (await db.execute("PRAGMA application_id")).first()[0]
        if app_id != APP_ID or not await legacy.can_view_database(datasette, actor, name):
            continue
        summary = await db.execute_fn(lambda conn: stats.review_stats(sqlite_utils.Database(conn)))
        out.append({"database": name, "path": datasette.urls.database(name), **summary})
    return out


async def summary_json(datasette, request):
    return Response.json({"reviews": await review_summaries(datasette, request.actor)})


async def summary_page(datasette, request):
    reviews = await review_summaries(datasette, request.actor)
    html = await datasette.render_template("rapidreview.html", {"reviews": reviews}, request=request)
    return Response.html(html)


_static_names: dict[Path, str] = {}


def static_name(static_dir: Path) -> str | None:
    """The name Datasette serves our static files under: the distribution name when the
    entry point loaded us, the module name when registered from a source checkout."""
    if static_dir not in _static_names:
        from datasette.plugins import get_plugins

        for plugin in get_plugins():
            if plugin["static_path"] and Path(plugin["static_path"]).resolve() == static_dir.resolve():
                _static_names[static_dir] = plugin["name"]
    return _static_names.get(static_dir)
