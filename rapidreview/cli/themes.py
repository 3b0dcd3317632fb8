"""`rapidreview themes`: find themes, look at them, edit them, turn them into codes."""

from __future__ import annotations

import csv
import io
import json

import click

from .. import themes as th
from .common import echo_json, json_option, open_existing, review_argument, show_progress, table


class DefaultToRun(click.Group):
    """`rapidreview themes REVIEW_DB ...` runs; `rapidreview themes show ...` and the rest edit."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("themes", cls=DefaultToRun)
def themes_group():
    """Find themes in the answers: what are people saying that the codebook did not anticipate?

    Every selected segment gets a theme (or an explicit small 'other' bucket); each theme
    has a phrase label, key terms, quotes, sentiment mix, overlapping codes and breakdowns.
    Runs are stored (with parameters and library versions) for the report and Datasette.

    \b
    Example:
        rapidreview themes review.db                        # same as: themes run review.db
        rapidreview themes review.db --question "What could be improved?" --k auto
        rapidreview themes show review.db --theme 3
        rapidreview themes rename review.db 3 "Waiting for an ambulance"
        rapidreview themes promote review.db 3 --code ambulance-waits
    """


def run_option(f):
    return click.option("--run", "run_id", type=int, metavar="RUN",
                        help="Theme run id (see `themes list`). Default: the newest.")(f)


def _k(value: str):
    if value == "auto":
        return value
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter("give a number of themes, e.g. --k 12, or --k auto") from None


@themes_group.command("run")
@review_argument
@click.option("--within", metavar="CODE", help="Sub-themes of the segments coded with this code (key or name).")
@click.option("--k", "k", default="auto", show_default=True, metavar="N|auto",
              help="Number of themes, or auto: the smallest stable k with the best silhouette.")
@click.option("--question", "questions", multiple=True, metavar="TEXT",
              help="Only answers to this question. Repeatable.")
@click.option("--where", "where", multiple=True, metavar="ATTR=VALUE",
              help="Only documents with this attribute value, e.g. --where 'Service=111'. Repeatable (all must hold).")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="Only documents dated on or after this day.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Only documents dated on or before this day.")
@click.option("--source", "sources", multiple=True, metavar="ID|FILE",
              help="Only documents from this source. Repeatable.")
@click.option("--wave", "waves", multiple=True, metavar="WAVE", help="Only this wave (or import batch). Repeatable.")
@click.option("--seed", default=0, show_default=True, help="Random seed: the same seed gives the same themes.")
@click.option("--label", "run_label", metavar="TEXT", help="A name for this run.")
@click.option("--no-reapply", is_flag=True, help="Do not re-apply earlier merges, splits and renames.")
@click.option("--quotes", "n_quotes", default=5, show_default=True, type=click.IntRange(1, 10),
              help="Representative quotes per theme.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per theme on stdout.")
def run_command(review, within, k, questions, where, date_from, date_to, sources, waves, seed, run_label,
                no_reapply, n_quotes, as_json, as_csv):
    """Find themes in a review (all participant answers, or a selection) and store the run.

    \b
    Example:
        rapidreview themes review.db
        rapidreview themes review.db --within access --k auto
        rapidreview themes review.db --question "What could be improved?" --where "Service=111" --k 12
        rapidreview themes review.db --wave 2025-Q2 --seed 1 --json > themes.json
    """
    db = open_existing(review)
    selection = th.Selection(questions=list(questions), where=th.parse_where(where), date_from=date_from,
                             date_to=date_to, sources=list(sources), waves=list(waves), within=within)
    options = th.ThemeOptions(k=_k(k), seed=seed, n_quotes=n_quotes, reapply_edits=not no_reapply, label=run_label)
    quiet = as_json or as_csv or not show_progress()
    progress = None if quiet else (lambda step: click.echo(f"  {step}...", err=True))
    run_id = th.find_themes(db, selection, options, on_progress=progress)
    _output(th.get_run(db, run_id), as_json, as_csv)


def _output(run: dict, as_json: bool, as_csv: bool, theme: int | None = None) -> None:
    if as_json:
        echo_json(run if theme is None else next(t for t in run["themes"] if t["number"] == theme))
    elif as_csv:
        click.echo(_themes_csv(run), nl=False)
    elif theme is not None:
        click.echo(format_theme(next(t for t in run["themes"] if t["number"] == theme)))
    else:
        click.echo(format_run(run))


def format_run(run: dict) -> str:
    d = run["details"]
    chosen = next((r for r in d.get("k_choice", []) if r.get("chosen")), {})
    how = (f"k={run['k']} chosen automatically (stability {chosen.get('stability')}, silhouette "
           f"{chosen.get('silhouette')})" if "stability" in chosen and len(d.get("k_choice", [])) > 1
           else f"k={run['k']}")
    lines = [f"Theme run {run['id']}: {run['n_segments']} segments, {how}, seed {run['seed']}, "
             f"stability across seeds {d.get('stability')}"]
    if d.get("not_english"):
        lines.append(f"{d['not_english']} segments look non-English: set aside in their own bucket, not clustered "
                     f"(e.g. {d['not_english_examples'][0]!r}).")
    if d.get("edits_reapplied"):
        lines.append(f"Re-applied {len(d['edits_reapplied'])} earlier hand edits (merge/split/rename).")
    rows = []
    for t in run["themes"]:
        quote = t["quotes"][0]["text"] if t["quotes"] else ""
        rows.append({"#": t["number"], "size": t["size"], "share": f"{100 * (t['share'] or 0):.1f}%",
                     "label": t["label"] + (" *" if t["edited"] else ""), "sentiment": _sentiment(t),
                     "example": " ".join(quote.split())})
    lines += ["", table(rows, ["#", "size", "share", "label", "sentiment", "example"]), "",
              "* label given by a person. More: `rapidreview themes show REVIEW_DB --theme N`."]
    return "\n".join(lines)


def _sentiment(t: dict) -> str:
    mix = t["details"].get("sentiment") or {}
    total = sum(mix.values())
    return ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in list(mix.items())[:3]) if total else ""


def format_theme(t: dict) -> str:
    lines = [f"Theme {t['number']}: {t['label']}" + (f"  (model's label: {t['auto_label']})" if t["edited"] else ""),
             f"  size {t['size']} ({100 * (t['share'] or 0):.1f}%), kind {t['kind']}, origin {t['origin']}"]
    if t["phrases"]:
        lines.append("  phrases: " + "; ".join(t["phrases"][:8]))
    if t["key_terms"]:
        lines.append("  key terms: " + ", ".join(t["key_terms"]))
    lines.append("  quotes:")
    lines += [f"    \"{' '.join(q['text'].split())}\"  ({q['document']})" for q in t["quotes"]]
    det = t["details"]
    if det.get("sentiment"):
        lines.append("  sentiment: " + ", ".join(f"{k}: {v}" for k, v in det["sentiment"].items()))
    if det.get("codes"):
        lines.append("  codes: " + "; ".join(f"{c['code']} ({c['count']}, {100 * c['share']:.0f}%)"
                                             for c in det["codes"]))
    for name, mix in (det.get("breakdown") or {}).items():
        lines.append(f"  by {name}: " + "; ".join(f"{k}: {v}" for k, v in list(mix.items())[:6]))
    return "\n".join(lines)


def _themes_csv(run: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["run", "theme", "kind", "label", "auto_label", "size", "share", "key_terms", "sentiment", "codes",
                "quote_1", "quote_2", "quote_3"])
    for t in run["themes"]:
        quotes = [q["text"] for q in t["quotes"][:3]] + [""] * 3
        w.writerow([run["id"], t["number"], t["kind"], t["label"], t["auto_label"], t["size"], t["share"],
                    "; ".join(t["key_terms"]), json.dumps(t["details"].get("sentiment") or {}),
                    "; ".join(c["code"] for c in t["details"].get("codes") or []), *quotes[:3]])
    return buf.getvalue()


@themes_group.command("show")
@review_argument
@run_option
@click.option("--theme", type=int, metavar="N", help="One theme in full.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per theme on stdout.")
def show_command(review, run_id, theme, as_json, as_csv):
    """Show a stored run (the newest by default), or one theme in full.

    \b
    Example:
        rapidreview themes show review.db
        rapidreview themes show review.db --run 2 --theme 3
        rapidreview themes show review.db --json | jq '.themes[0].quotes'
    """
    db = open_existing(review)
    run = th.get_run(db, run_id)
    if theme is not None:
        from ..themes.runs import theme_by_number

        theme_by_number(run, theme)
    _output(run, as_json, as_csv, theme)


@themes_group.command("list")
@review_argument
@json_option
def list_command(review, as_json):
    """List the theme runs in a review.

    \b
    Example:
        rapidreview themes list review.db
    """
    rows = th.list_runs(open_existing(review))
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        r["selection"] = ", ".join(f"{k}={v}" for k, v in r["selection"].items()) or "all"
    click.echo(table(rows, ["run", "created_at", "themes", "k", "seed", "segments", "selection", "label"]))


@themes_group.command("export")
@review_argument
@run_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write.")
def export_command(review, run_id, fmt, output):
    """Export a run: one row per segment with its theme (text redacted where redactions exist).

    \b
    Example:
        rapidreview themes export review.db --format csv -o themes.csv
        rapidreview themes export review.db --run 3 --format json -o themes.json
    """
    db = open_existing(review)
    rows = th.export_rows(db, run_id if run_id is not None else th.latest_run_id(db))
    if fmt == "csv":
        with open(output, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["run"])
            w.writeheader()
            w.writerows(rows)
    else:
        with open(output, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=1)
    click.echo(f"{len(rows)} segments written to {output}", err=True)


@themes_group.command("merge")
@review_argument
@click.argument("themes", nargs=-1, type=int, required=True)
@run_option
@click.option("--label", help="A label for the merged theme.")
@json_option
def merge_command(review, themes, run_id, label, as_json):
    """Merge two or more themes of a run into one (kept for later runs where they match).

    \b
    Example:
        rapidreview themes merge review.db 3 7
        rapidreview themes merge review.db 3 7 9 --label "Waiting times"
    """
    merged = th.merge(open_existing(review), run_id, list(themes), label=label)
    if as_json:
        echo_json(merged)
    else:
        click.echo(f"Merged into theme {merged['number']}: {merged['label']} ({merged['size']} segments)")


@themes_group.command("split")
@review_argument
@click.argument("theme", type=int)
@run_option
@click.option("--parts", default=2, show_default=True, type=int, help="Number of sub-themes.")
@json_option
def split_command(review, theme, run_id, parts, as_json):
    """Split a theme into sub-themes (the largest keeps the number).

    \b
    Example:
        rapidreview themes split review.db 4
        rapidreview themes split review.db 4 --parts 3
    """
    made = th.split(open_existing(review), run_id, theme, parts=parts)
    if as_json:
        echo_json(made)
    else:
        for t in made:
            click.echo(f"Theme {t['number']}: {t['label']} ({t['size']} segments)")


@themes_group.command("rename")
@review_argument
@click.argument("theme", type=int)
@click.argument("label")
@run_option
def rename_command(review, theme, label, run_id):
    """Give a theme your own label (re-applied to matching themes in later runs).

    \b
    Example:
        rapidreview themes rename review.db 3 "Waiting for an ambulance"
    """
    t = th.rename(open_existing(review), run_id, theme, label)
    click.echo(f"Theme {t['number']} is now: {t['label']}")


@themes_group.command("promote")
@review_argument
@click.argument("theme", type=int)
@click.option("--code", "key", required=True, metavar="KEY", help="Key of the new code, e.g. ambulance-waits.")
@click.option("--name", help="Name of the new code. Default: the theme's label.")
@click.option("--codebook", help="Codebook to add it to. Default: the only one, else a 'themes' codebook.")
@click.option("--parent", metavar="KEY", help="Put the new code under this code.")
@run_option
@json_option
def promote_command(review, theme, key, name, codebook, parent, run_id, as_json):
    """Turn a theme into a code: key terms become its keyword rules, members become
    suggested codings (origin 'model', coder 'themes') for people to accept or reject.

    \b
    Example:
        rapidreview themes promote review.db 3 --code ambulance-waits
        rapidreview themes promote review.db 3 --code waits --name "Waiting times" --parent access
    """
    result = th.promote(open_existing(review), theme, key, run_id=run_id, name=name, codebook=codebook,
                        parent=parent)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Code {result['code']!r} ({result['name']}) added to codebook {result['codebook']!r} "
                   f"(version {result['version']}), keywords: {', '.join(result['keywords'])}; "
                   f"{result['suggested']} suggested codings to review.")


@themes_group.command("compare")
@review_argument
@click.argument("run_a", type=int)
@click.argument("run_b", type=int)
@json_option
def compare_command(review, run_a, run_b, as_json):
    """Compare two runs (e.g. wave 1 and wave 2): new, growing, shrinking and gone themes,
    and the share of new material no existing theme or code explains (saturation).

    \b
    Example:
        rapidreview themes review.db --wave 2025-Q1      # run 1
        rapidreview themes review.db --wave 2025-Q2      # run 2
        rapidreview themes compare review.db 1 2
    """
    result = th.compare_runs(open_existing(review), run_a, run_b)
    if as_json:
        echo_json(result)
        return
    rows = [{"B#": r["theme_b"], "B label": r["label_b"], "B share": f"{100 * r['share_b']:.1f}%",
             "status": r["status"], "A#": r["theme_a"] or "", "A label": r["label_a"] or "",
             "A share": f"{100 * r['share_a']:.1f}%"} for r in result["themes"]]
    rows += [{"B#": "", "B label": "", "B share": "", "status": "gone", "A#": g["theme_a"], "A label": g["label_a"],
              "A share": f"{100 * g['share_a']:.1f}%"} for g in result["gone"]]
    click.echo(table(rows))
    if result["unexplained_share"] is None:
        click.echo("\n" + result["saturation_note"])
    else:
        click.echo(f"\nNew material: {result['new_material']} segments; {result['unexplained']} "
                   f"({100 * result['unexplained_share']:.1f}%) explained by no existing theme or code.")


commands = [themes_group]
