"""rapidreview's Datasette plugin: a review summary page, a menu link, our CSS, and
review-aware connections.

Loaded by the `datasette` entry point when rapidreview is installed, or registered by
`rapidreview.serve.make_datasette` from a source checkout. Hook implementations live
here; the views in `views.py`; every Datasette API that 1.0 changes in `legacy.py`.
"""

from __future__ import annotations

from pathlib import Path

from datasette import hookimpl

from rapidreview.store import APP_ID

from . import views

STATIC = Path(__file__).parent / "static"


@hookimpl
def register_routes():
    return [
        (r"^/-/rapidreview$", views.summary_page),
        (r"^/-/rapidreview\.json$", views.summary_json),
    ]


@hookimpl
def menu_links(datasette, actor):
    return [{"href": datasette.urls.path("/-/rapidreview"), "label": "Review summary"}]


@hookimpl
def extra_css_urls(datasette):
    name = views.static_name(STATIC)
    return [datasette.urls.static_plugins(name, "rapidreview.css")] if name else []


@hookimpl
def prepare_connection(conn):
    # Review databases expect foreign keys on and a patient busy timeout (an import may be
    # writing); other databases served alongside are left as Datasette made them.
    if conn.execute("PRAGMA application_id").fetchone()[0] == APP_ID:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
