"""Every use of a Datasette 0.65 API that 1.0 drops or renames, in one place, so the
upgrade touches this file only. (Metadata keys such as facets and fts_table move to
datasette.yaml in 1.0: those are built in `rapidreview.serve`.)"""

from __future__ import annotations


async def can_view_instance(datasette, actor) -> bool:
    # 1.0: await datasette.allowed(actor=actor, action="view-instance")
    return await datasette.permission_allowed(actor, "view-instance", default=True)


async def can_view_database(datasette, actor, database: str) -> bool:
    # 1.0: await datasette.allowed(actor=actor, action="view-database", resource=...)
    return await datasette.permission_allowed(actor, "view-database", resource=database, default=True)


def set_actor_cookie(datasette, response, actor: dict, expire_after: int) -> None:
    """Sign `actor` in with Datasette's signed `ds_actor` cookie, refused after `expire_after` seconds.
    1.0: datasette.set_actor_cookie(response, actor, expire_after=expire_after)"""
    import time

    from datasette.utils import baseconv

    expires = baseconv.base62.encode(int(time.time()) + expire_after)
    response.set_cookie("ds_actor", datasette.sign({"a": actor, "e": expires}, "actor"),
                        httponly=True, samesite="lax", max_age=expire_after)


def actor_from_cookie(datasette, request) -> dict | None:
    """The unexpired actor in the `ds_actor` cookie, as Datasette's own hook reads it."""
    from datasette.actor_auth_cookie import actor_from_request

    return actor_from_request(datasette, request)


def permission_allowed(datasette, actor, action, resource):
    """The workbench's `permission_allowed` hook (1.0 replaces it with `permission_resources_sql`):
    the decision itself is `workbench.access.may`."""
    from .workbench import access

    return access.may(datasette, actor, action, resource)


def instance_metadata(datasette, key: str):
    # 1.0: instance metadata moves to datasette.yaml / await datasette.get_instance_metadata()
    return datasette.metadata(key)
