"""Commands: `code` (suggestions), `train`, `review` (the terminal queue), `agreement`, `export`."""

from __future__ import annotations

from dataclasses import asdict

import click

from ..coding import agreement as agreement_mod
from ..coding import export as export_mod
from ..coding import model as model_mod
from ..coding import queue as queue_mod
from ..coding import suggest
from .common import echo_json, json_option, open_existing, review_argument, table


def coder_option(f):
    return click.option("--coder", envvar="RAPIDREVIEW_USER", metavar="NAME",
                        help="Who is deciding. Default: $RAPIDREVIEW_USER, else your login name.")(f)


def codes_option(f):
    return click.option("--codes", "codes", multiple=True, metavar="CODE",
                        help="Only these codes (name or key). Repeatable.")(f)


@click.command("code")
@review_argument
@click.option("--rules/--no-rules", default=True, show_default=True, help="Suggest codes from the codebook's rules.")
@click.option("--model/--no-model", default=True, show_default=True,
              help="Suggest codes from a model of your accepted codings (trained first if they changed).")
@click.option("--sentiment/--no-sentiment", default=True, show_default=True,
              help="Suggest sentiment (positive, negative, mixed or neutral) from the lexicon until the model "
                   "has learned your own sentiment codings.")
@codes_option
@coder_option
@json_option
def code_command(review, rules, model, sentiment, codes, coder, as_json):
    """Suggest codes for every segment: rules, sentiment lexicon and model.

    Suggestions are codings with status 'suggested', a confidence, and the rule or model
    version that made them. Review them with `rapidreview review`. Running this again is
    safe: it refreshes undecided suggestions and never changes a human decision.

    \b
    Examples:
        rapidreview code review.db
        rapidreview code review.db --no-model               # rules and sentiment only
        rapidreview code review.db --codes waiting --codes parking
    """
    db = open_existing(review)
    result = suggest.code(db, suggest.CodeOptions(rules=rules, model=model, sentiment=sentiment,
                                                  codes=list(codes) or None), actor=coder)
    if as_json:
        echo_json(asdict(result))
    else:
        click.echo(result.summary() or "Nothing to do: no rules, no sentiment and no model.", err=True)


@click.command("train")
@review_argument
@click.option("--min-examples", default=model_mod.MIN_EXAMPLES, show_default=True,
              help="Codes with fewer accepted examples are not learned.")
@click.option("--folds", default=model_mod.TrainOptions.folds, show_default=True,
              help="Cross-validation folds for thresholds and scores.")
@coder_option
@json_option
def train_command(review, min_examples, folds, coder, as_json):
    """Train the model on the accepted human codings and record it.

    Learns every code with enough examples (one linear model per code over words,
    character n-grams and the question answered), picks each code's threshold by
    cross-validation, and records the version, the training-set fingerprint and the
    scores in the review. Codes with too few examples are listed with how many more
    they need. `rapidreview code` uses the latest model.

    \b
    Example:
        rapidreview train review.db
        rapidreview train review.db --min-examples 10 --json
    """
    db = open_existing(review)
    record = model_mod.train(db, model_mod.TrainOptions(min_examples=min_examples, folds=folds), actor=coder)
    if as_json:
        echo_json(asdict(record))
        return
    click.echo(f"Trained {record.version} on {record.n_units} coded units in {record.fit_seconds:.1f}s: "
               f"{len(record.codes)} codes, cross-validated micro-F1 {record.scores['micro_f1']}, "
               f"macro-F1 {record.scores['macro_f1']}.", err=True)
    click.echo(table([{"code": c.name, "examples": c.positives, "threshold": f"{c.threshold:.3f}",
                       "cv_f1": c.cv_f1, "precision": c.cv_precision, "recall": c.cv_recall}
                      for c in record.codes]))
    for message in record.messages:
        click.echo(message, err=True)


@click.command("review")
@review_argument
@click.option("--order", type=click.Choice(["uncertain", "random"]), default="uncertain", show_default=True,
              help="uncertain: each code's least-sure suggestions first (calibrated confidence nearest 0.5), "
                   "codes taking turns in proportion to their suggestions; they teach the model most. "
                   "random: a seeded shuffle.")
@codes_option
@click.option("--limit", type=int, help="Stop after this many suggestions.")
@click.option("--list", "list_only", is_flag=True, help="Print the queue and exit (no decisions).")
@coder_option
@json_option
def review_command(review, order, codes, limit, list_only, coder, as_json):
    """Accept or reject suggestions in the terminal, most uncertain first.

    Keys: a accept, r reject, s skip, q quit. Every decision is logged with your name.
    Run `rapidreview train` (or `code`) again afterwards: the model learns from them.

    \b
    Examples:
        rapidreview review review.db --coder alice
        rapidreview review review.db --codes "Timeliness of care" --limit 50
        rapidreview review review.db --list --json
    """
    db = open_existing(review)
    wanted = suggest.resolve_codes(db, codes)
    items = queue_mod.queue(db, order=order, codes=wanted, limit=limit)
    if list_only:
        if as_json:
            echo_json([asdict(s) for s in items])
        else:
            click.echo(table([{"id": s.id, "document": s.external_id, "code": s.code, "by": s.rule or s.coder,
                               "confidence": "" if s.confidence is None else f"{s.confidence:.2f}",
                               "text": s.text.replace("\n", " ")} for s in items]))
        return
    if not items:
        click.echo("No suggestions to review. Run `rapidreview code` first.", err=True)
        return
    counts = {"accept": 0, "reject": 0, "skip": 0}
    for n, s in enumerate(items, 1):
        _show(s, n, len(items))
        key = _key()
        if key == "q":
            break
        if key == "s":
            queue_mod.skip(db, s.id, actor=coder)
            counts["skip"] += 1
        else:
            queue_mod.decide(db, s.id, "accept" if key == "a" else "reject", actor=coder)
            counts["accept" if key == "a" else "reject"] += 1
    click.echo(f"{counts['accept']} accepted, {counts['reject']} rejected, {counts['skip']} skipped.", err=True)


def _show(s: queue_mod.Suggestion, n: int, total: int) -> None:
    source = f"rule {s.rule}" if s.rule else f"model {s.model_version}"
    confidence = "" if s.confidence is None else f", confidence {s.confidence:.2f}"
    click.echo("")
    click.echo(click.style(f"[{n}/{total}] {s.code}", bold=True) + f"  ({source}{confidence})")
    click.echo(f"{s.external_id}: " + click.style(s.text, underline=True))


def _key() -> str:
    click.echo("a accept / r reject / s skip / q quit: ", nl=False)
    while True:
        ch = click.getchar().lower()
        if ch in ("a", "r", "s", "q"):
            click.echo(ch)
            return ch
        if ch in ("\x03", "\x04", ""):  # Ctrl-C, Ctrl-D, end of input
            click.echo("q")
            return "q"


@click.command("agreement")
@review_argument
@click.option("--coders", required=True, help="Comma-separated coder names, e.g. alice,bob.")
@click.option("--model", "with_model", is_flag=True, help="Score the model as one more coder (cross-validated).")
@codes_option
@click.option("--disagreements", "show_disagreements", type=int, default=20, show_default=True,
              help="How many disagreements to list for adjudication.")
@json_option
def agreement_command(review, coders, with_model, codes, show_disagreements, as_json):
    """Inter-coder agreement: Cohen's kappa per code, Krippendorff's alpha across coders.

    Counts only the segments both coders saw (a document they coded anything in, or
    marked as read): text nobody looked at is not agreement. Lists disagreements to
    adjudicate.

    \b
    Examples:
        rapidreview agreement review.db --coders alice,bob
        rapidreview agreement review.db --coders alice --model --json
    """
    db = open_existing(review)
    wanted = suggest.resolve_codes(db, codes)
    result = agreement_mod.agreement(db, coders.split(","), model=with_model, codes=wanted)
    if as_json:
        echo_json(result.as_dict())
        return
    pairs = list(result.units)
    click.echo("Shared units: " + ", ".join(f"{p.replace('|', ' & ')}: {n}" for p, n in result.units.items()))
    click.echo(f"Krippendorff's alpha (all codes, all coders): {_fmt(result.alpha)}")
    rows = []
    for c in result.codes:
        row = {"code": c.code, "units": c.units, "alpha": _fmt(c.alpha)}
        row.update({f"kappa {p.replace('|', '/')}": _fmt(c.kappa[p]) for p in pairs})
        row.update({f"n {k}": v for k, v in c.applied.items()})
        rows.append(row)
    click.echo(table(rows))
    if show_disagreements and result.disagreements:
        click.echo(f"\nDisagreements (first {min(show_disagreements, len(result.disagreements))}):")
        click.echo(table([{"document": d["external_id"], "code": d["code"], "yes": ",".join(d["applied_by"]),
                           "no": ",".join(d["not_by"]), "text": d["text"].replace("\n", " ")}
                          for d in result.disagreements[:show_disagreements]]))


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3f}"


@click.command("export")
@review_argument
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "qdpx"]), default="csv", show_default=True,
              help="qdpx: the whole review as a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA or QualCoder.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--by", type=click.Choice(["document", "segment"]), default="document", show_default=True,
              help="One row per document (survey answer) or per segment.")
@click.option("--codes-as", type=click.Choice(["joined", "columns"]), default="joined", show_default=True,
              help="joined: one `codes` column, '; '-separated; columns: a 0/1 column per code.")
@click.option("--suggestions", is_flag=True, help="Include undecided suggestions (with their confidence).")
@click.option("--min-confidence", type=float, help="With --suggestions: drop suggestions below this confidence.")
@click.option("--coder", "coders", multiple=True, help="Only this coder's codings (repeatable; 'rules', 'model').")
@json_option
def export_command(review, fmt, output, by, codes_as, suggestions, min_confidence, coders, as_json):
    """Export codings to CSV or XLSX, keyed by each document's id from the import.

    Accepted codings (people's, and suggestions someone accepted) by default; add
    --suggestions for the machine's undecided ones too. Columns: the id (named as in
    the imported file), question, [segment, start, end, text], codes, confidence,
    coders, origins.

    --format qdpx writes the whole review as a REFI-QDA project: documents, codebooks,
    codings (exact spans, by coder), respondents as cases, attributes as variables, memos.
    It holds the original, unredacted text: keep it as safe as the review itself.

    \b
    Examples:
        rapidreview export review.db --format csv -o codings.csv
        rapidreview export review.db --format xlsx -o codings.xlsx --by segment --codes-as columns
        rapidreview export review.db -o predicted.csv --suggestions --coder model
        rapidreview export review.db --format qdpx -o review.qdpx
    """
    db = open_existing(review)
    if fmt == "qdpx":
        from ..interchange import ExportOptions, export_project

        result = export_project(db, output, ExportOptions(suggestions=suggestions, coders=list(coders) or None))
        if as_json:
            echo_json({"path": result.path, "counts": result.counts, "left_out": result.left_out})
        else:
            click.echo(result.message(), err=True)
        return
    n = export_mod.export_codings(db, output, export_mod.ExportOptions(
        fmt=fmt, by=by, codes_as=codes_as, suggestions=suggestions, coders=list(coders) or None,
        min_confidence=min_confidence))
    if as_json:
        echo_json({"path": output, "rows": n})
    else:
        click.echo(f"Wrote {n} rows to {output}", err=True)


commands = [code_command, train_command, review_command, agreement_command, export_command]
