"""The researchers' workbench (issue 8): sign in, read, code, review suggestions in the
browser. Registered as its own Datasette plugin (entry point `rapidreview_workbench`);
its templates are `templates/workbench_*.html` and its static files `static/workbench*`
in the parent package. Who may do what is decided in `access.py`; each page module
lists its routes in `ROUTES`."""

from __future__ import annotations

from datasette import hookimpl

from . import agreement, auth, grid, queue, reader, tree


@hookimpl
def register_routes():
    return [*auth.ROUTES, *reader.ROUTES, *grid.ROUTES, *tree.ROUTES, *queue.ROUTES, *agreement.ROUTES]


# ---------------------------------------------------------------- sign-in (see access.py)
from .. import legacy  # noqa: E402
from . import access as _access  # noqa: E402


@hookimpl(tryfirst=True)  # before Datasette's own cookie reader: the users table has the last word
def actor_from_request(datasette, request):
    if not _access.review_databases(datasette):
        return None
    actor = _access.actor_for(datasette, request, legacy.actor_from_cookie(datasette, request))
    if actor is None and request.path == "/-/versions.json":
        return {"rr_probe": True}  # the one page anyone may see: is the server up?
    return actor


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    return legacy.permission_allowed(datasette, actor, action, resource)


@hookimpl
def prepare_connection(conn):
    from rapidreview.store import APP_ID

    if conn.execute("PRAGMA application_id").fetchone()[0] == APP_ID:
        _access.hide_private_tables(conn)


@hookimpl
def forbidden(datasette, request, message):
    # Pages (not JSON) send people who are not signed in to the sign-in form.
    if access_needed(datasette, request):
        return _access.sign_in_redirect(datasette, request)
    return None


def access_needed(datasette, request) -> bool:
    return (bool(_access.review_databases(datasette)) and _access.role_of(request.actor) is None
            and not request.path.endswith(".json") and request.method == "GET")


@hookimpl
def extra_template_vars(datasette, request, template):
    if not template.startswith("workbench"):
        return {}
    from pathlib import Path

    from .. import views

    return {"wb_static": views.static_name(Path(__file__).parent.parent / "static"),
            "wb_actor": request.actor if request else None,
            "wb_role": _access.role_of(request.actor) if request else None}

