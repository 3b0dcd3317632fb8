"""The commissioners' dashboard on a public.db (issue 6): theme overview with charts,
quotes for a theme, filters, codebook browser, evidence ledger. Registered as its own
Datasette plugin (entry point `rapidreview_dashboard`); its templates are
`templates/dashboard_*.html` and its static files `static/dashboard*` in the parent
package. The pages are in `views.py`; all SQL is in `rapidreview.publish.explore`."""

from __future__ import annotations

from datasette import hookimpl

from . import views


@hookimpl
def register_routes():
    return views.ROUTES


@hookimpl
def menu_links(datasette, actor):
    async def inner():
        if await views.public_database(datasette, actor) is None:
            return []
        return [{"href": datasette.urls.path(views.BASE), "label": "Dashboard"}]

    return inner
