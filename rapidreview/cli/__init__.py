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

# Command name -> the module in this package that defines it. Modules are imported only
# when their command runs, so `rapidreview import` does not pay for scikit-learn or spaCy.
COMMANDS = {
    "import": "importing",
    "stats": "inspect", "sources": "inspect",
    "serve": "serving", "demo": "serving",
    "codebook": "codebook", "apply": "codebook", "unapply": "codebook", "memo": "codebook",
    "code": "coding", "train": "coding", "review": "coding", "agreement": "coding", "export": "coding",
    "themes": "themes",
    "redact": "privacy", "respondents": "privacy", "privacy": "privacy",
    "publish": "publish", "recommend": "publish", "quote": "publish",
    "users": "users",
    "matrix": "matrix", "waves": "matrix",
    "report": "reporting",
}


class FriendlyGroup(click.Group):
    """Load commands on demand; turn library errors into one clear line and exit code 1."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f".{COMMANDS[name]}", __name__)
        return next((c for c in module.commands if c.name == name), None)

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

