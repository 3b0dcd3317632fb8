"""The researchers' workbench (issue 8): sign in, read, code, review suggestions in the
browser. Registered as its own Datasette plugin (entry point `rapidreview_workbench`);
its templates are `templates/workbench_*.html` and its static files `static/workbench*`
in the parent package. Who may do what is decided in `access.py`."""

from __future__ import annotations
