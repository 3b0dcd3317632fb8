"""`rapidreview import`: survey exports and transcripts into a review."""

from __future__ import annotations

from pathlib import Path

import click
import yaml

from .. import store
from ..errors import RapidReviewError
from ..ingest import ImportOptions, import_files
from .common import echo_json, json_option, review_argument, show_progress, silent_option


def _set_attrs(ctx, param, values):
    out = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE, for example --set service=\"GP\"")
        name, value = item.split("=", 1)
        out[name.strip()] = value.strip()
    return out


@click.command("import")
@review_argument
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--text", multiple=True, help="A free-text column to import (repeat for each question).")
@click.option("--id", "id_col", help="Respondent ID column (wide export) or answer ID column (long export).")
@click.option("--respondent", help="Respondent ID column in a long export, when --id names the answer.")
@click.option("--question-col", help="Long export: the column that names the question.")
@click.option("--attr", multiple=True, help="A respondent attribute column (service, age group...). Repeatable.")
@click.option("--date", "date_col", help="Date column (dd/mm/yyyy, ISO or Excel dates).")
@click.option("--month-first", is_flag=True, help="Read 03/04/2024 as 4 March (US order). Default is UK order.")
@click.option("--codes", multiple=True,
              help="Existing codes: a 0/1 column (the code is the column name), a delimited column of code "
                   "names, or a range 'First..' / 'First..Last' of 0/1 columns.")
@click.option("--codes-sep", default=None, help="Separator in a delimited codes column. Default ';'.")
@click.option("--placeholder", "placeholders", multiple=True,
              help="An answer that means no answer (replaces the defaults: 'Did not answer', 'N/A', '-', "
                   "'nothing', ...). Repeatable.")
@click.option("--no-placeholders", is_flag=True, help="Treat every non-empty answer as an answer.")
@click.option("--encoding", help="File encoding (utf-8, utf-16, cp1252...). Default: detected.")
@click.option("--sheet", help="XLSX sheet name. Default: the first sheet.")
@click.option("--wave", help="Label this import as a wave (e.g. 2025-Q1); stored as the 'wave' attribute.")
@click.option("--set", "set_attrs", multiple=True, callback=_set_attrs, metavar="NAME=VALUE",
              help="An attribute given to every imported document, e.g. --set service=GP. Repeatable.")
@click.option("--interviewer", multiple=True, help="Transcripts: a speaker name to mark as interviewer.")
@click.option("--mapping", type=click.Path(dir_okay=False), help="Read column choices from this YAML file.")
@click.option("--save-mapping", type=click.Path(dir_okay=False), help="Save the column choices to this YAML file.")
@json_option
@silent_option
def import_command(review, files, mapping, save_mapping, as_json, silent, **given):
    """Import survey exports (CSV, TSV, XLSX) and transcripts (TXT, MD, DOCX, VTT, SRT).

    Wide exports have one row per respondent and a column per question (name each with
    --text). Long exports have one row per answer and a column naming the question
    (--question-col). Everything runs in one transaction: if any file fails, the review is
    left exactly as it was. Importing the same file again changes nothing.

    \b
    Examples:
        rapidreview import review.db export.xlsx --text "What was good?" \\
            --text "What could be better?" --id "Respondent ID" --attr Service --attr "Age group"
        rapidreview import review.db fft.csv --text "FFT answer" --id "Comment ID" \\
            --respondent "Respondent ID" --question-col "FFT question" --codes "Not assigned.."
        rapidreview import review.db wave2.csv --mapping survey.yaml --wave 2025-Q2
        rapidreview import review.db interviews/*.docx recordings/*.vtt --interviewer "Sam (Healthwatch)"
    """
    options = _options(given, mapping)
    if save_mapping:
        Path(save_mapping).write_text(yaml.safe_dump(options.to_dict(), sort_keys=False, allow_unicode=True))
    db = store.open_review(review)
    bar = None
    if not silent and show_progress():
        bar = click.progressbar(length=0, label="Importing", file=click.get_text_stream("stderr"),
                                show_pos=True, show_eta=False)

    def on_progress(path, done):
        if bar is not None:
            bar.pos = done
            bar.label = f"Importing {Path(path).name}"
            bar.render_progress()

    results = import_files(db, files, options, on_progress=on_progress)
    if bar is not None:
        bar.render_finish()
    if as_json:
        echo_json([r.__dict__ for r in results])
    elif not silent:
        for r in results:
            click.echo(r.message(), err=True)


def _options(given: dict, mapping_path: str | None) -> ImportOptions:
    """Mapping file first, then anything typed on the command line wins."""
    base = {}
    if mapping_path:
        try:
            base = yaml.safe_load(Path(mapping_path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise RapidReviewError(f"{mapping_path}: cannot read mapping file: {e}") from None
        if not isinstance(base, dict):
            raise RapidReviewError(f"{mapping_path}: a mapping file is a YAML mapping of option: value.")
    typed = {
        "text": list(given["text"]), "id": given["id_col"], "respondent": given["respondent"],
        "question_col": given["question_col"], "attrs": list(given["attr"]), "date": given["date_col"],
        "codes": list(given["codes"]), "codes_sep": given["codes_sep"], "encoding": given["encoding"],
        "sheet": given["sheet"], "wave": given["wave"], "set_attrs": given["set_attrs"],
        "interviewer": list(given["interviewer"]),
    }
    if given["month_first"]:
        typed["dayfirst"] = False
    if given["no_placeholders"]:
        typed["placeholders"] = []
    elif given["placeholders"]:
        typed["placeholders"] = list(given["placeholders"])
    merged = {**base, **{k: v for k, v in typed.items() if v not in (None, [], {})}}
    return ImportOptions.from_dict(merged)


commands = [import_command]
