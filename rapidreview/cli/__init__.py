"""The `rapidreview` command: a thin layer over the library.

Each module in this package holds the commands of one concept and lists them in
`commands`; library errors become `Error: ...` with exit code 1, never a traceback.
"""

from __future__ import annotations

import importlib
import sqlite3

import click

from .. import __version__
from ..errors import RapidReviewError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

MODULES = ["importing", "inspect", "serving", "codebook", "coding", "themes", "privacy"]


class FriendlyGroup(click.Group):
    """Turn library errors into one clear line and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RapidReviewError as e:
            raise click.ClickException(str(e)) from None
        except sqlite3.DatabaseError as e:
            raise click.ClickException(f"database error: {e}. If another program is writing to this review, "
                                       "wait for it to finish and try again.") from None


@click.group(cls=FriendlyGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="rapidreview")
def cli():
    """Rapid qualitative reviews of lived-experience evidence.

    One SQLite file per review holds everything: import survey exports and transcripts,
    code them, find themes, redact, and publish to commissioners through Datasette.

    \b
    Quick start:
        rapidreview demo                                  # the whole flow on the sample corpus
        rapidreview import review.db export.xlsx --text "What was good?" --id "Respondent ID"
        rapidreview stats review.db
        rapidreview serve review.db
    """


for _name in MODULES:
    try:
        _module = importlib.import_module(f".{_name}", __name__)
    except ModuleNotFoundError as _e:  # TEMPORARY while modules are being written
        if _e.name != f"{__name__}.{_name}":
            raise
        continue
    for _command in _module.commands:
        cli.add_command(_command)
