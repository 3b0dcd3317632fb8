"""`rapidreview matrix` (framework matrix workbook) and `rapidreview waves` (compare two waves)."""

from __future__ import annotations

import csv

import click

from .. import waves
from ..matrix import COLUMNS, SUMMARIES, MatrixOptions, csv_safe, matrix
from ..privacy.disclosure import NHS_RULE, NO_CONTROL
from .common import echo_json, echo_rows, json_option, open_existing, review_argument, table


@click.command("matrix")
@review_argument
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The workbook to write (.xlsx), or a .csv with one row per quote.")
@click.option("--columns", type=click.Choice(COLUMNS), default="codes", show_default=True,
              help="codes: one sheet per top-level code; themes: one sheet of the theme run's themes.")
@click.option("--by", metavar="ATTR", help="Rows are the values of this attribute (e.g. Service), "
                                           "not respondents.")
@click.option("--summary", type=click.Choice(SUMMARIES), default="quotes", show_default=True,
              help="What a cell shows: shortened quotes with segment ids, the first quote, or a count.")
@click.option("--words", type=int, default=25, show_default=True, help="Word budget per quote.")
@click.option("--max-quotes", type=int, default=8, show_default=True,
              help="Quotes per cell; the Trace sheet lists them all.")
@click.option("--compare", nargs=2, metavar="BEFORE AFTER",
              help="Add sheets comparing two waves (import labels, see `rapidreview waves`).")
@click.option("--run", "run_id", type=int, help="Theme run for --columns themes (default: the latest).")
@click.option("--min-group", type=int, default=0, show_default=True,
              help="Leave out groups (by --by) of fewer respondents than this, as publish does.")
@json_option
def matrix_command(review, output, columns, by, summary, words, max_quotes, compare, run_id, min_group, as_json):
    """Write a framework matrix: cases by codes (or themes), each cell the redacted
    quotes coded there, shortened, each with its segment id (e.g. [s1234]) to trace it.

    Rows are respondents by pseudonymous id (R12 = respondent 12 in the review), or
    groups with --by. Sheets: About (method, codebook version, counts), one per
    top-level code, wave comparisons with --compare, and Trace (every segment id with
    its full redacted quote; cells link to it). Only redacted text from respondents who
    consented and did not withdraw; formula-like text is kept as text.

    \b
    Examples:
        rapidreview matrix review.db -o matrix.xlsx
        rapidreview matrix review.db -o by-service.xlsx --by Service --compare 2025-Q1 2025-Q2
        rapidreview matrix review.db -o themes.xlsx --columns themes --summary count --by Service
        rapidreview matrix review.db -o matrix.csv
    """
    db = open_existing(review)
    options = MatrixOptions(columns=columns, by=by, summary=summary, words=words, max_quotes=max_quotes,
                            compare=tuple(compare) if compare else None, run_id=run_id, min_group=min_group)
    result = matrix(db, output, options)
    if as_json:
        echo_json(result)
        return
    if result["format"] == "csv":
        click.echo(f"Wrote {result['path']}: {result['rows']} quotes from {result['cases']} cases.", err=True)
    else:
        sheets = ", ".join(f"{name} ({n})" for name, n in result["sheets"].items())
        click.echo(f"Wrote {result['path']}: {result['cases']} cases. Sheets (rows): {sheets}", err=True)


WAVE_COLUMNS = ["group", "name", "n_before", "denominator_before", "share_before", "n_after", "denominator_after",
                "share_after", "change", "p_value", "test", "note"]


@click.command("waves")
@review_argument
@click.option("--compare", nargs=2, metavar="BEFORE AFTER", help="Compare two waves: what changed.")
@click.option("--by", type=click.Choice(waves.BY), default="code", show_default=True,
              help="Compare codes, or themes of a theme run.")
@click.option("--run", "run_id", type=int, help="Theme run for --by theme (default: the latest).")
@click.option("--exact", is_flag=True,
              help="True counts without disclosure control: for the research team only, never to share.")
@click.option("--all", "include_empty", is_flag=True, help="Include codes nobody mentioned in either wave.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the comparison to this CSV file.")
@json_option
def waves_command(review, compare, by, run_id, exact, include_empty, output, as_json):
    """List the waves in a review, or compare two: per code (or theme), respondents who
    mentioned it in each wave out of those who answered, the change in share
    (percentage points) and a two-proportion test (Fisher's exact test for small numbers).

    Waves are the labels given with `rapidreview import ... --wave LABEL`. Counts are
    disclosure-controlled as publish controls them (1-7 shown as <8, others rounded to
    5); change and p-values are computed from the counts as shown.

    \b
    Examples:
        rapidreview waves review.db
        rapidreview waves review.db --compare 2025-Q1 2025-Q2
        rapidreview waves review.db --compare 2025-Q1 2025-Q2 --by theme --json
        rapidreview waves review.db --compare 2025-Q1 2025-Q2 -o changes.csv
    """
    db = open_existing(review)
    if not compare:
        echo_rows(waves.wave_summary(db), ["wave", "files", "documents", "respondents"], as_json)
        return
    result = waves.compare(db, *compare, by=by, run_id=run_id, rule=NO_CONTROL if exact else NHS_RULE,
                           include_empty=include_empty)
    data = result.to_dict()
    rows = [{**r, "n_before": r["shown_before"], "n_after": r["shown_after"]} for r in data["rows"]]
    if output:
        with open(output, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["key", *WAVE_COLUMNS])
            w.writerows([csv_safe(r[c]) for c in ["key", *WAVE_COLUMNS]] for r in rows)
        click.echo(f"Wrote {output}: {len(rows)} {by}s, {result.before} to {result.after}.", err=True)
    if as_json:
        echo_json(data)
    elif not output:
        columns = WAVE_COLUMNS if by == "code" else ["key"] + WAVE_COLUMNS[1:]
        click.echo(table([{**r, "p_value": _p(r["p_value"])} for r in rows], columns))
        notes = [result.note] if result.note else []
        notes.append("exact counts: not for sharing" if exact else
                     "counts disclosure-controlled (<8 hidden, others rounded to 5)")
        click.echo(f"{result.before} -> {result.after}; " + "; ".join(notes), err=True)


def _p(p):
    return "" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


commands = [matrix_command, waves_command]
