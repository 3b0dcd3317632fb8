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
