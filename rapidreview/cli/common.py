"""Options and helpers shared by the commands."""

from __future__ import annotations

import json
import os
import sys

import click

from .. import store


def review_argument(f):
    return click.argument("review", type=click.Path(dir_okay=False), metavar="REVIEW_DB")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")(f)


def silent_option(f):
    return click.option("--silent", is_flag=True, help="No progress bar or messages on stderr.")(f)


def open_existing(path):
    """Open a review that must already exist (read commands)."""
    return store.open_review(path, create=False)


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def echo_rows(rows: list[dict], columns: list[str], as_json: bool) -> None:
    """Rows as JSON for scripts, or as an aligned table for people."""
    if as_json:
        echo_json(rows)
    else:
        click.echo(table(rows, columns))


def table(rows: list[dict], columns: list[str] | None = None) -> str:
    """A plain aligned text table for the terminal."""
    if not rows:
        return "(none)"
    columns = columns or list(rows[0])
    cells = [[str("" if r.get(c) is None else r.get(c)) for c in columns] for r in rows]
    widths = [min(60, max(len(c), *(len(row[i]) for row in cells))) for i, c in enumerate(columns)]
    fmt = "  ".join(f"{{:<{w}.{w}}}" for w in widths)
    lines = [fmt.format(*columns), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def show_progress() -> bool:
    """Progress bars only for people: not when stderr is piped or under CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")
