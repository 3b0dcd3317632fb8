"""The researchers' workbench (issue 8: login, coding in the browser) will live here.

Until then this module is empty: it exists so the `rapidreview_workbench` entry point
declared in pyproject.toml can be imported. The summary page and shared hooks are in
`rapidreview_plugins/__init__.py`.
"""
