"""The commissioners' dashboard on a public.db (issue 6): theme overview with charts,
quotes for a theme, filters, codebook browser. Registered as its own Datasette plugin
(entry point `rapidreview_dashboard`); its templates are `templates/dashboard_*.html`
and its static files `static/dashboard*` in the parent package."""

from __future__ import annotations
