"""`rapidreview redact`, `rapidreview respondents ...` and `rapidreview privacy ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import privacy, store
from ..errors import RapidReviewError
from .common import echo_json, json_option, open_existing, review_argument, show_progress, silent_option, table


def _config(config_path, allow, pattern):
    pairs = []
    for item in pattern:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: use KIND=REGEX, for example --pattern 'name=\\bBellamy\\b'")
        kind, regex = item.split("=", 1)
        pairs.append((kind.strip(), regex))
    return privacy.load_config(config_path, allow=list(allow), patterns=pairs)


config_options = [
    click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True),
                 help="Privacy config (YAML): allow-list, your own patterns. See `rapidreview privacy config`."),
    click.option("--allow", multiple=True, help="A phrase never to redact, e.g. --allow 'Rowan Ward'. Repeatable."),
    click.option("--pattern", multiple=True, metavar="KIND=REGEX",
                 help="Also redact matches of REGEX as KIND, e.g. --pattern 'name=\\bBellamy\\b'. Repeatable."),
]


def _with_config_options(f):
    for option in reversed(config_options):
        f = option(f)
    return f


@click.command("redact")
@review_argument
@_with_config_options
@click.option("--rescan", is_flag=True, help="Scan every document again, not only new ones.")
@click.option("--model/--no-model", "use_model", default=None,
              help="Add PERSON entities from the trained spaCy pipeline in RAPIDREVIEW_SPACY_MODEL "
                   "(default: when one is set).")
@click.option("--review", "review_", is_flag=True, help="Then confirm or undo each unreviewed span in the terminal.")
@click.option("--kind", help="With --review or --list: only spans of this kind (name, phone, ...).")
@click.option("--list", "list_spans", is_flag=True, help="List the stored spans instead of scanning.")
@click.option("--status", is_flag=True, help="Show counts by kind and review state instead of scanning.")
@click.option("--add", "add", metavar="DOC:START:END:KIND",
              help="Redact a span the detectors missed, e.g. --add 12:40:52:name.")
@json_option
@silent_option
def redact_command(review, config_path, allow, pattern, rescan, use_model, review_, kind, list_spans, status, add,
                   as_json, silent):
    """Find personal data (names, NHS numbers, phones, emails, postcodes, NI numbers,
    dates of birth, addresses, URLs) and record it as redaction spans.

    The text itself never changes: spans are a layer applied whenever text leaves the
    review (publish, report, export), as typed placeholders such as [NAME 1], [PHONE].
    Run it again after importing more files or changing the config: it only adds what is
    new and never undoes a decision made with --review.

    \b
    Examples:
        rapidreview redact review.db
        rapidreview redact review.db --config privacy.yaml --allow "Rowan Ward"
        rapidreview redact review.db --review --kind name
        rapidreview redact review.db --status
        rapidreview redact review.db --add 12:40:52:name
    """
    db = store.open_review(review, create=False)
    if status:
        return _status(db, as_json)
    if list_spans:
        rows = privacy.spans(db, kind=kind)
        if as_json:
            return echo_json(rows)
        return click.echo(table([{**r, "text": r["text"], "context": _context(r)} for r in rows],
                                ["id", "document_id", "kind", "replacement", "reviewed", "detector", "context"]))
    if add:
        return _add(db, add, as_json)
    config = _config(config_path, allow, pattern)
    bar = None
    if not silent and not as_json and show_progress():
        bar = click.progressbar(length=1, label="Redacting", file=sys.stderr, show_pos=True)

    def on_progress(done, total):
        if bar is not None:
            bar.length = total
            bar.pos = done
            bar.render_progress()

    result = privacy.redact(db, config, rescan=rescan, use_model=use_model, on_progress=on_progress)
    if bar is not None:
        bar.render_finish()
    if as_json and not review_:
        echo_json(result.to_dict())
    elif not silent:
        click.echo(result.message(), err=True)
    if review_:
        _review_loop(db, kind)


def _context(r: dict) -> str:
    return f"{r['before'][-25:]}[[{r['text']}]]{r['after'][:25]}".replace("\n", " ")


def _status(db, as_json):
    s = privacy.summary(db)
    if as_json:
        return echo_json(s)
    click.echo(f"{s['documents']} answered documents, {s['unscanned']} not yet scanned.")
    rows = [{"kind": k, **{state: v.get(state, 0) for state in ("unreviewed", "confirmed", "undone")}}
            for k, v in s["kinds"].items()]
    click.echo(table(rows, ["kind", "unreviewed", "confirmed", "undone"]))


def _add(db, spec, as_json):
    try:
        doc, start, end, kind = spec.split(":", 3)
        doc, start, end = int(doc), int(start), int(end)
    except ValueError:
        raise click.BadParameter(f"{spec!r}: use DOC:START:END:KIND, for example 12:40:52:name") from None
    rid = privacy.add_manual(db, doc, start, end, kind)
    if as_json:
        echo_json({"id": rid})
    else:
        click.echo(f"Added redaction {rid}: {privacy.redacted_text(db, doc, max(0, start - 30), end + 30)!r}")


def _review_loop(db, kind):
    """Thin loop over confirm/undo: one span at a time, in document order."""
    todo = privacy.spans(db, reviewed=None, kind=kind)
    if not todo:
        click.echo("Nothing to review: every span has been confirmed or undone.", err=True)
        return
    click.echo(f"{len(todo)} spans to review. c = confirm (keep hidden), u = undo (show the text), "
               "s = skip, q = quit.", err=True)
    done = 0
    for n, r in enumerate(todo, 1):
        click.echo(f"\n[{n}/{len(todo)}] document {r['document_id']}, {r['kind']} ({r['detector']}):")
        click.echo("  ..." + r["before"].replace("\n", " ")
                   + click.style(f"[{r['text']}]", fg="red", bold=True) + r["after"].replace("\n", " ") + "...")
        choice = click.prompt("  confirm/undo/skip/quit", type=click.Choice(["c", "u", "s", "q"]), default="c",
                              show_choices=True, err=True)
        if choice == "q":
            break
        if choice == "c":
            privacy.confirm(db, r["id"])
            done += 1
        elif choice == "u":
            privacy.undo(db, r["id"])
            done += 1
    click.echo(f"Reviewed {done} spans.", err=True)


# ---------------------------------------------------------------- respondents


@click.group("respondents")
def respondents_group():
    """Consent and withdrawal: a withdrawn respondent disappears from everything published.

    \b
    Examples:
        rapidreview respondents list review.db --excluded
        rapidreview respondents withdraw review.db R0042 --reason "asked by email 3 March"
        rapidreview respondents consent review.db R0042 --no
    """


@respondents_group.command("list")
@review_argument
@click.option("--excluded", is_flag=True, help="Only respondents who withdrew or did not consent.")
@json_option
def respondents_list(review, excluded, as_json):
    """List respondents with their consent and withdrawal flags.

    \b
    Example:
        rapidreview respondents list review.db --excluded
    """
    rows = privacy.respondents(open_existing(review), only_excluded=excluded)
    if as_json:
        return echo_json(rows)
    click.echo(table(rows, ["respondent", "consent", "withdrawn", "documents"]))


@respondents_group.command("withdraw")
@review_argument
@click.argument("respondent_ids", nargs=-1, required=True, metavar="RESPONDENT...")
@click.option("--reason", help="Why (kept in the event log).")
def respondents_withdraw(review, respondent_ids, reason):
    """Withdraw respondents (by their survey or transcript id): their words and answers
    are left out of every publish, report and export from now on.

    \b
    Example:
        rapidreview respondents withdraw review.db R0042 R0107 --reason "withdrew by phone"
    """
    db = open_existing(review)
    for rid in respondent_ids:
        privacy.withdraw(db, rid, reason=reason)
    click.echo(f"Withdrew {len(respondent_ids)} respondent(s). Publish again to remove them from public.db.", err=True)


@respondents_group.command("reinstate")
@review_argument
@click.argument("respondent_ids", nargs=-1, required=True, metavar="RESPONDENT...")
def respondents_reinstate(review, respondent_ids):
    """Undo a withdrawal recorded by mistake.

    \b
    Example:
        rapidreview respondents reinstate review.db R0042
    """
    db = open_existing(review)
    for rid in respondent_ids:
        privacy.reinstate(db, rid)
    click.echo(f"Reinstated {len(respondent_ids)} respondent(s).", err=True)


@respondents_group.command("consent")
@review_argument
@click.argument("respondent_ids", nargs=-1, required=True, metavar="RESPONDENT...")
@click.option("--yes/--no", "consent", required=True, help="Whether they consented to being quoted and counted.")
def respondents_consent(review, respondent_ids, consent):
    """Record consent (--yes) or its absence (--no, treated like a withdrawal).

    \b
    Example:
        rapidreview respondents consent review.db R0042 --no
    """
    db = open_existing(review)
    for rid in respondent_ids:
        privacy.set_consent(db, rid, consent)
    click.echo(f"Consent {'given' if consent else 'refused'} for {len(respondent_ids)} respondent(s).", err=True)


# ---------------------------------------------------------------- privacy tools


@click.group("privacy")
def privacy_group():
    """Tune redaction: print a starting config, or try the detectors on a piece of text.

    \b
    Examples:
        rapidreview privacy config > privacy.yaml
        rapidreview privacy check "Nurse Bellamy on Ward 7 rang 07700 900123" --config privacy.yaml
    """


@privacy_group.command("config")
def privacy_config():
    """Print a commented privacy config (allow-list, patterns, detectors) to start from.

    \b
    Example:
        rapidreview privacy config > privacy.yaml
    """
    click.echo(privacy.config.default_config_yaml(), nl=False)


@privacy_group.command("check")
@click.argument("text", required=False)
@click.option("--file", "path", type=click.Path(dir_okay=False, exists=True), help="Read the text from a file.")
@_with_config_options
@json_option
def privacy_check(text, path, config_path, allow, pattern, as_json):
    """Show what the detectors find in TEXT (nothing is stored).

    \b
    Example:
        rapidreview privacy check "My son Jack (DOB 3/4/2015) was seen by Dr Okafor"
    """
    if path:
        text = Path(path).read_text(encoding="utf-8")
    if not text:
        raise RapidReviewError("give the text to check, or --file FILE.")
    config = _config(config_path, allow, pattern)
    redacted, found = privacy.redact_text(text, config)
    if as_json:
        return echo_json({"redacted": redacted,
                          "spans": [{"start": s.start, "end": s.end, "kind": s.kind, "detector": s.detector,
                                     "text": text[s.start:s.end]} for s in found]})
    click.echo(redacted)
    for s in found:
        click.echo(f"  {s.kind:<14} {s.detector:<14} {text[s.start:s.end]!r}", err=True)


commands = [redact_command, respondents_group, privacy_group]
