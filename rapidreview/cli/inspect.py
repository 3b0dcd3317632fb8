"""`rapidreview stats` and `rapidreview sources`: what is in a review, and removing a file from it."""

from __future__ import annotations

import click

from .. import sources as sources_lib
from .. import stats as stats_lib
from .common import echo_json, echo_rows, json_option, open_existing, review_argument, table


@click.command("stats")
@review_argument
@click.option("--by", "by", multiple=True, metavar="ATTR",
              help="Break down by this attribute: respondents, documents and answered per value. Repeatable.")
@json_option
def stats_command(review, by, as_json):
    """Counts by source, question and attribute; respondents, dates and waves.

    \b
    Example:
        rapidreview stats review.db
        rapidreview stats review.db --by Service --by "Age group"
        rapidreview stats review.db --json | jq .totals
    """
    db = open_existing(review)
    summary = stats_lib.review_stats(db, by)
    if as_json:
        echo_json(summary)
        return
    click.echo(format_stats(summary))


def format_stats(summary: dict) -> str:
    """The terminal form of `review_stats`: totals, then one aligned table per breakdown."""
    t, dates = summary["totals"], summary["dates"]
    lines = [
        f"{t['sources']} sources, {t['documents']} documents ({t['answered']} answered, "
        f"{t['transcripts']} transcripts), {t['respondents']} respondents",
        f"{t['segments']} segments, {t['codings']} codings ({t['codings_accepted']} accepted, "
        f"{t['codings_suggested']} suggested), {t['codes']} codes",
    ]
    if dates["first"]:
        lines.append(f"dates {dates['first']} to {dates['last']} ({dates['dated_documents']} dated documents)")
    sections = [
        ("By source", summary["sources"], ["id", "name", "format", "batch", "documents", "answered",
                                           "segments", "codings"]),
        ("By question", [{**q, "question": q["question"] if q["question"] is not None else "(transcripts)"}
                         for q in summary["questions"]], ["question", "asked", "answered", "respondents"]),
        ("Waves", summary["waves"], ["wave", "respondents", "documents"]),
        ("Attributes", summary["attributes"], ["name", "values", "documents", "respondents"]),
    ]
    sections += [(f"By {name}", rows, ["value", "respondents", "documents", "answered"])
                 for name, rows in summary["by"].items()]
    for heading, rows, columns in sections:
        if rows or heading != "Waves":
            lines += ["", heading, table(rows, columns)]
    return "\n".join(lines)


class DefaultToList(click.Group):
    """`rapidreview sources REVIEW_DB` lists; `rapidreview sources remove ...` removes."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("sources", cls=DefaultToList)
def sources_group():
    """List the files imported into a review, or remove one with everything derived from it.

    \b
    Example:
        rapidreview sources review.db                    # same as: sources list review.db
        rapidreview sources remove review.db 3           # by id, or by file name:
        rapidreview sources remove review.db wave2.csv --yes
    """


@sources_group.command("list")
@review_argument
@json_option
def list_command(review, as_json):
    """List sources: id, file name, format, when imported, batch, documents.

    \b
    Example:
        rapidreview sources list review.db --json
    """
    rows = sources_lib.list_sources(open_existing(review))
    echo_rows(rows, ["id", "name", "format", "imported_at", "batch", "documents"], as_json)


@sources_group.command("remove")
@review_argument
@click.argument("source", metavar="ID_OR_NAME")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def remove_command(review, source, yes, as_json):
    """Remove one source and everything derived from it.

    Deletes the source's documents with their attributes, segments (and search index),
    codings, redactions, theme memberships and memos, and respondents left with no
    documents; all in one transaction, recorded in the event log, and checked with
    SQLite's integrity checks before it is committed. Themes found before the removal
    keep their labels: run `rapidreview themes` again to refresh them.

    \b
    Example:
        rapidreview sources remove review.db survey-2025-q2.csv
        rapidreview sources remove review.db 2 --yes
    """
    db = open_existing(review)
    plan = sources_lib.removal_plan(db, source)
    if not yes:
        click.echo(f"Source {plan['source']['id']} ({plan['source']['name']}) will be removed with:", err=True)
        click.echo(_counts(plan["removed"]), err=True)
        click.confirm("Remove it?", abort=True, err=True)
    plan = sources_lib.remove_source(db, source)
    if as_json:
        echo_json(plan)
    else:
        click.echo(f"Removed source {plan['source']['id']} ({plan['source']['name']}): {_counts(plan['removed'])}",
                   err=True)


def _counts(removed: dict) -> str:
    return ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in removed.items())


commands = [stats_command, sources_group]
