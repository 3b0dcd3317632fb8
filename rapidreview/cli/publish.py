"""`rapidreview publish` and `rapidreview recommend ...` (the evidence ledger)."""

from __future__ import annotations

import click

from ..privacy import NHS_RULE, DisclosureRule
from ..publish import PublishOptions, ledger, publish, quote_ids
from .common import echo_json, json_option, open_existing, review_argument, table


@click.command("publish")
@review_argument
@click.argument("public", type=click.Path(dir_okay=False), metavar="PUBLIC_DB")
@click.option("--publishable", multiple=True, metavar="ATTR",
              help="A respondent attribute commissioners may see and filter by, e.g. --publishable Service. "
                   "Repeatable. No other attribute is ever published.")
@click.option("--min-group", type=click.IntRange(min=0), default=None, metavar="SIZE",
              help="Withhold quotes from groups (by the publishable attributes) of fewer respondents than this. "
                   "Default: the --suppress-below threshold (8 unless changed) when attributes are published. "
                   "--min-group 0 "
                   "publishes every group's quotes, with a warning: anyone can count them.")
@click.option("--suppress-below", type=click.IntRange(min=1), default=NHS_RULE.threshold, show_default=True,
              metavar="N", help="Counts from 1 to N-1 are hidden, shown as '<N' (NHS practice: 8).")
@click.option("--round-to", type=click.IntRange(min=1), default=NHS_RULE.round_to, show_default=True, metavar="M",
              help="Other counts are rounded to the nearest M (1: exact).")
@click.option("--run", "run_id", type=int, help="Theme run to publish (default: the latest).")
@click.option("--title", default="Rapid review", show_default=True, help="Title of the Datasette site.")
@click.option("--description", help="What this review is, for the Datasette front page.")
@click.option("--source", help="Who ran the review, e.g. 'Healthwatch Anytown'.")
@click.option("--source-url", help="Link for the source.")
@click.option("--licence", default="OGL-UK-3.0", show_default=True, help="Licence of the published data.")
@click.option("--metadata", "metadata_path", type=click.Path(dir_okay=False),
              help="Where to write the Datasette metadata (default: PUBLIC.metadata.json beside PUBLIC_DB).")
@json_option
def publish_command(review, public, publishable, min_group, suppress_below, round_to, run_id, title, description,
                    source, source_url, licence, metadata_path, as_json):
    """Build the commissioners' database PUBLIC_DB from scratch, with its Datasette metadata.

    It holds only redacted quotes from respondents who consented and did not withdraw
    (with question, month, role, accepted codes, theme, sentiment and the attributes you
    mark --publishable), each under a quote number that stays the same from one publish to
    the next but says nothing about who said it; the codebook, themes, disclosure-controlled
    counts (by default NHS practice: 1-7 hidden, others rounded to 5; --suppress-below and
    --round-to change it) and the evidence ledger. Quotes from groups smaller than the
    threshold are withheld by default (--min-group). Refused until `rapidreview redact` has
    read every answered document. Arbitrary SQL is off in the metadata; canned queries
    cover top themes, quotes by theme or code, themes by group, trends and search.

    \b
    Examples:
        rapidreview publish review.db public.db --publishable Service
        rapidreview publish review.db public.db --publishable Service --suppress-below 11 --round-to 10
        datasette serve public.db --immutable public.db -m public.metadata.json
    """
    db = open_existing(review)
    rule = DisclosureRule(threshold=suppress_below, round_to=round_to, marker=f"<{suppress_below}")
    options = PublishOptions(publishable=list(publishable), min_group=min_group, run_id=run_id, rule=rule, title=title,
                             description=description, source=source, source_url=source_url, licence=licence,
                             metadata_path=metadata_path)
    result = publish(db, public, options)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if as_json:
        echo_json({"path": result.path, "metadata": result.metadata_path, "tables": result.tables,
                   "withheld_quotes": result.withheld_quotes, "min_group": result.min_group,
                   "seconds": round(result.seconds, 3)})
    else:
        click.echo(result.message(), err=True)


@click.group("recommend")
def recommend_group():
    """The evidence ledger: recommendations, the themes and quotes behind them, and the
    provider's response and outcome. Published with `rapidreview publish`.

    \b
    Examples:
        rapidreview recommend add review.db "Offer evening appointments" --theme 3 --quote 1204
        rapidreview recommend respond review.db 1 --response "Pilot from April" --status accepted
        rapidreview recommend list review.db
    """


@recommend_group.command("add")
@review_argument
@click.argument("text")
@click.option("--theme", "themes", type=int, multiple=True, help="Theme number (latest run unless --run). Repeatable.")
@click.option("--quote", "quotes", type=int, multiple=True,
              help="Segment id of a quote in the review (not its published quote number). Repeatable.")
@click.option("--quote-number", "numbers", type=int, multiple=True,
              help="A quote by its published number (public.db's quote_id, as commissioners cite it). Repeatable.")
@click.option("--run", "run_id", type=int, help="Theme run the --theme numbers belong to (default: the latest).")
@json_option
def recommend_add(review, text, themes, quotes, numbers, run_id, as_json):
    """Record a recommendation with the evidence behind it.

    \b
    Examples:
        rapidreview recommend add review.db "Answer the phone within 2 minutes" --theme 2 --quote 87
        rapidreview recommend add review.db "Call back when promised" --quote-number 2970212915331861
    """
    db = open_existing(review)
    quotes = [*quotes, *quote_ids.segments_of(db, numbers)]
    rec_id = ledger.add(db, text, themes=list(themes), quotes=quotes, run_id=run_id)
    if as_json:
        echo_json(ledger.get(db, rec_id))
    else:
        click.echo(f"Recommendation {rec_id} recorded.", err=True)


@recommend_group.command("respond")
@review_argument
@click.argument("rec_id", type=int, metavar="ID")
@click.option("--response", help="The provider's response, in their words.")
@click.option("--outcome", help="What changed as a result.")
@click.option("--status", type=click.Choice(ledger.STATUSES), help="Where the recommendation stands.")
@click.option("--by", help="Who responded, e.g. 'Practice manager'.")
@json_option
def recommend_respond(review, rec_id, response, outcome, status, by, as_json):
    """Record the provider's response, the outcome or the status of a recommendation.

    \b
    Example:
        rapidreview recommend respond review.db 1 --response "Agreed" --status implemented
    """
    rec = ledger.respond(open_existing(review), rec_id, response=response, outcome=outcome, status=status, by=by)
    if as_json:
        echo_json(rec)
    else:
        click.echo(f"Recommendation {rec_id}: {rec['status']}.", err=True)


@recommend_group.command("list")
@review_argument
@json_option
def recommend_list(review, as_json):
    """List recommendations with their evidence and responses.

    \b
    Example:
        rapidreview recommend list review.db --json
    """
    recs = ledger.list_all(open_existing(review))
    if as_json:
        return echo_json(recs)
    rows = [{**r, "themes": ", ".join(f"{t['number']} {t['label']}" for t in r["themes"]),
             "quotes": ", ".join(map(str, r["quotes"]))} for r in recs]
    click.echo(table(rows, ["id", "status", "text", "themes", "quotes", "response", "outcome"]))


@click.command("quote")
@review_argument
@click.argument("number", type=int)
@json_option
def quote_command(review, number, as_json):
    """Find the quote behind a published quote number: the segment of REVIEW_DB a
    commissioner cites ("Quote #2970212915331861" on the dashboard, quote_id in public.db),
    with its document and its text as the review holds it (unredacted: for researchers).

    \b
    Example:
        rapidreview quote review.db 2970212915331861
    """
    found = quote_ids.trace(open_existing(review), number)
    if as_json:
        return echo_json(found)
    where = f"{found['document']!r}" + (f", {found['question']!r}" if found["question"] else "") + \
        (f", {found['speaker']}" if found["speaker"] else "")
    click.echo(f"Quote {number}: segment {found['segment_id']} of {where} ({found['source']}, characters "
               f"{found['start']}-{found['end']})\n{found['text']}")


commands = [publish_command, recommend_group, quote_command]
