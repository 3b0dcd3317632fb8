"""`rapidreview import`: survey exports and transcripts into a review."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml

from .. import store
from ..ingest import ImportOptions, import_files
from ..mapping_file import read_mapping
from .common import echo_json, json_option, review_argument, show_progress, silent_option


def _set_attrs(ctx, param, values):
    out = {}
    for item in values:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE, for example --set service=\"GP\"")
        name, value = item.split("=", 1)
        out[name.strip()] = value.strip()
    return out


def _delimiter(ctx, param, value):
    if value is None:
        return None
    value = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(value.lower(), value)
    if len(value) != 1:
        raise click.BadParameter(f"{value!r}: give one character, or tab, comma, semicolon")
    return value


@click.command("import")
@review_argument
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--text", multiple=True, metavar="COLUMN",
              help="A free-text column to import (repeat for each question).")
@click.option("--id", "id_col", metavar="COLUMN",
              help="Respondent ID column (wide export) or answer ID column (long export).")
@click.option("--respondent", metavar="COLUMN",
              help="Respondent ID column in a long export, when --id names the answer.")
@click.option("--question-col", metavar="COLUMN", help="Long export: the column that names the question.")
@click.option("--attr", multiple=True, metavar="COLUMN",
              help="A respondent attribute column (service, age group...). Repeatable.")
@click.option("--date", "date_col", metavar="COLUMN",
              help="Date column (dd/mm/yyyy, ISO or Excel dates); stored as YYYY-MM-DD.")
@click.option("--month-first", is_flag=True,
              help="Read 03/04/2024 as 4 March (US order). Default: UK order. A date valid only in the "
                   "other order (10/17/2021) is read that way and noted.")
@click.option("--codes", multiple=True, metavar="COLUMN",
              help="Existing codes: a 0/1 column (the code is the column name), a column of code names "
                   "separated by --codes-sep, or a range of 0/1 columns: 'First..' (to the last column) or "
                   "'First..Last'. Imported as accepted codings by coder 'import'. Repeatable.")
@click.option("--codes-sep", default=None, metavar="SEP", help="Separator in a column of code names. Default ';'.")
@click.option("--placeholder", "placeholders", multiple=True, metavar="ANSWER",
              help="An answer that means no answer (replaces the defaults: 'Did not answer', 'N/A', '-', "
                   "'nothing', ...). Repeatable. Such answers are kept, marked unanswered.")
@click.option("--no-placeholders", is_flag=True, help="Treat every non-empty answer as an answer.")
@click.option("--encoding", metavar="NAME", help="File encoding for CSV, TSV, TXT, MD, VTT and SRT (utf-8, utf-16, cp1252...). Default: detected.")
@click.option("--delimiter", callback=_delimiter, metavar="CHAR",
              help="Field separator: a character, or tab, comma, semicolon. Default: tab for .tsv/.tab, "
                   "sniffed for .csv.")
@click.option("--sheet", metavar="NAME", help="XLSX sheet name. Default: the first sheet.")
@click.option("--wave", metavar="LABEL",
              help="Label this import as a wave (e.g. 2025-Q1); stored as the 'wave' attribute.")
@click.option("--set", "set_attrs", multiple=True, callback=_set_attrs, metavar="NAME=VALUE",
              help="An attribute given to every imported document, e.g. --set service=GP. Repeatable.")
@click.option("--interviewer", multiple=True, metavar="SPEAKER",
              help="Transcripts: a speaker name to mark as interviewer.")
@click.option("--mapping", type=click.Path(dir_okay=False),
              help="Read the options from this YAML file (saved with --save-mapping); options typed here win.")
@click.option("--save-mapping", type=click.Path(dir_okay=False),
              help="After a successful import, save the options (all but --wave) to this YAML file, to reuse "
                   "with --mapping for the next wave.")
@json_option
@silent_option
def import_command(review, files, mapping, save_mapping, as_json, silent, **given):
    """Import survey exports (CSV, TSV, XLSX), transcripts (TXT, MD, DOCX, VTT, SRT) and
    REFI-QDA projects (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder or rapidreview).

    Wide exports have one row per respondent and a column per question (name each with
    --text). Long exports have one row per answer and a column naming the question
    (--question-col). Everything runs in one transaction: if any file fails, the review is
    left exactly as it was. Importing the same file again changes nothing. A folder stands
    for the files in it that rapidreview can read.

    \b
    Examples:
        rapidreview import review.db export.xlsx --text "What was good?" \\
            --text "What could be better?" --id "Respondent ID" --attr Service --attr "Age group"
        rapidreview import review.db fft.csv --text "FFT answer" --id "Comment ID" \\
            --respondent "Respondent ID" --question-col "FFT question" --date Date \\
            --attr Trust --codes "Not assigned.." --save-mapping fft.yaml --wave 2025-Q1
        rapidreview import review.db fft-next.csv --mapping fft.yaml --wave 2025-Q2
        rapidreview import review.db interviews/*.docx recordings/*.vtt \\
            --interviewer "Sam (Healthwatch)"
        rapidreview import review.db transcripts/
        rapidreview import review.db project.qdpx
    """
    options = _options(given, mapping)
    db = store.open_review(review)
    bar = None
    if not silent and show_progress():
        bar = click.progressbar(length=0, label="Importing", file=sys.stderr,
                                show_pos=True, show_eta=False)

    def on_progress(path, done):
        if bar is not None:
            bar.pos = done
            bar.label = f"Importing {Path(path).name}"
            bar.render_progress()

    results = import_files(db, files, options, on_progress=on_progress)
    if bar is not None:
        bar.render_finish()
    if save_mapping:
        _save_mapping(options, save_mapping)
    if as_json:
        echo_json([r.__dict__ for r in results])
    elif not silent:
        for r in results:
            click.echo(r.message(), err=True)


def _options(given: dict, mapping_path: str | None) -> ImportOptions:
    """Mapping file first, then anything typed on the command line wins."""
    base = {}
    if mapping_path:
        base = read_mapping(mapping_path, "mapping file", "option: value",
                            hint=" Put column names that contain ':', '?', '#' or brackets in quotes.")
    typed = {
        "text": list(given["text"]), "id": given["id_col"], "respondent": given["respondent"],
        "question_col": given["question_col"], "attrs": list(given["attr"]), "date": given["date_col"],
        "codes": list(given["codes"]), "codes_sep": given["codes_sep"], "encoding": given["encoding"],
        "delimiter": given["delimiter"],
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


def _save_mapping(options: ImportOptions, path: str) -> None:
    # The wave labels one file; carried into the next wave's import it would mislabel it.
    saved = {k: v for k, v in options.to_dict().items() if k != "wave"}
    if options.dayfirst:  # the default
        del saved["dayfirst"]
    if saved.get("codes_sep") == ";":
        del saved["codes_sep"]
    Path(path).write_text(yaml.safe_dump(saved, sort_keys=False, allow_unicode=True), encoding="utf-8")


commands = [import_command]
