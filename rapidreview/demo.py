"""The whole flow on the bundled sample corpus: `rapidreview demo`.

    from rapidreview import demo
    result = demo.build("rapidreview-demo")        # -> rapidreview-demo/review.db
    for name, message in result["steps"]: print(name, message)

Each step is a library call, listed in STEPS in the order a researcher would run
them; later capabilities (coding, themes, redaction, publishing) append theirs. Every
step is idempotent, so running the demo again changes nothing it already did.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import sqlite_utils

from . import stats, store
from .errors import RapidReviewError
from .ingest import FORMATS, ImportOptions, import_files
from .mapping_file import read_mapping

DEFAULT_DIR = "rapidreview-demo"
CORPUS = "healthwatch-sample"
MAPPING = "survey-mapping.yaml"
TRANSCRIPTS_MAPPING = "transcripts-mapping.yaml"
SURVEY_FORMATS = ("csv", "tsv", "xlsx")
CHECKOUT_CORPORA = Path(__file__).resolve().parent.parent / "corpora"


def find_corpus(given=None) -> Path:
    """The sample corpus: `given`, or corpora/healthwatch-sample in a source checkout."""
    path = Path(given) if given else CHECKOUT_CORPORA / CORPUS
    if not path.is_dir():
        hint = "" if given else " The sample corpus ships with a source checkout; pass --corpus DIR to use another."
        raise RapidReviewError(f"{path}: no such corpus directory.{hint}")
    return path


def load_mapping(corpus: Path) -> tuple[dict, dict, dict]:
    """(survey options, per-file overrides, transcript options) from the corpus mapping file.

    Transcript options may also come from transcripts-mapping.yaml beside it.
    The survey mapping is either plain import options for every survey file; or `survey:` and
    `transcripts:` sections, where `files:` inside `survey:` gives per-file overrides
    (sheet, wave); or options keyed by file name (`survey-2025-q1.xlsx: {...}`).
    """
    data = _read_yaml(corpus / MAPPING)
    transcripts = {**_read_yaml(corpus / TRANSCRIPTS_MAPPING), **(data.get("transcripts") or {})}
    names = {p.name for p in corpus.iterdir()}
    if data and set(data) <= names | {"transcripts"}:  # keyed by file name: options per file
        return {}, {k: v for k, v in data.items() if k in names}, transcripts
    survey = dict(data.get("survey", data if "transcripts" not in data else {}))
    files = survey.pop("files", {}) or {}
    return survey, files, transcripts


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        return {}
    return read_mapping(path, "mapping file", "option: value")


def import_corpus(db: sqlite_utils.Database, corpus: Path) -> str:
    """Import every survey export (with the mapping) and every transcript in the corpus."""
    survey, overrides, transcript_options = load_mapping(corpus)
    surveys = sorted(p for p in corpus.iterdir() if p.suffix.lower().lstrip(".") in SURVEY_FORMATS)
    transcripts = sorted(p for p in (corpus / "transcripts").rglob("*")
                         if p.is_file() and p.suffix.lower().lstrip(".") in FORMATS) \
        if (corpus / "transcripts").is_dir() else []
    if not surveys and not transcripts:
        raise RapidReviewError(f"{corpus}: no survey exports (.csv, .tsv, .xlsx) or transcripts/ found. "
                               "Give the corpus directory with --corpus.")
    results = []
    for path in surveys:
        given = {**survey, **overrides.get(path.name, {})}
        if "wave" not in given and (wave := wave_from_name(path.name)):
            given["wave"] = wave
        options = ImportOptions.from_dict(given)
        results += import_files(db, [path], options)
    if transcripts:
        results += import_files(db, transcripts, ImportOptions.from_dict(transcript_options))
    new = [r for r in results if not r.skipped]
    documents = sum(r.counts["documents"] for r in new)
    return (f"{len(new)} files imported ({documents} documents), "
            f"{len(results) - len(new)} already there")


def wave_from_name(name: str) -> str | None:
    """survey-2025-q1.xlsx -> 2025-Q1: the corpus names each wave's export by quarter."""
    match = re.search(r"(\d{4})[-_ ]?q([1-4])", name, re.IGNORECASE)
    return f"{match[1]}-Q{match[2]}" if match else None


CODEBOOK = Path(__file__).resolve().parent.parent / "codebooks" / "healthwatch-general.yaml"


def redact_corpus(db: sqlite_utils.Database, corpus: Path) -> str:
    from . import privacy

    return privacy.redact(db).message()


def load_starter_codebook(db: sqlite_utils.Database, corpus: Path) -> str:
    from . import codebook

    if not CODEBOOK.exists():
        return f"skipped: {CODEBOOK} is not in this installation"
    result = codebook.load_codebook(db, codebook.read(CODEBOOK), source=str(CODEBOOK))
    return f"{result.codebook} version {result.version}" + ("" if result.changed else " (unchanged)")


def suggest_codes(db: sqlite_utils.Database, corpus: Path) -> str:
    from .coding.suggest import CodeOptions, code

    # No human codings yet in the sample, so no model: rules and the sentiment lexicon only.
    return code(db, CodeOptions(model=False)).summary().replace("\n", "; ")


def find_corpus_themes(db: sqlite_utils.Database, corpus: Path) -> str:
    from . import themes

    if db.execute("SELECT count(*) FROM theme_runs").fetchone()[0]:
        return f"themes already found (run {themes.latest_run_id(db)}); nothing changed"
    run_id = themes.find_themes(db)
    n = db.execute("SELECT count(*) FROM themes WHERE run_id = ?", [run_id]).fetchone()[0]
    return f"run {run_id}: {n} themes"


PUBLISHABLE = ["Service", "Age group"]  # attributes the sample review shows commissioners


def _beside_review(db: sqlite_utils.Database, name: str) -> Path:
    return Path(db.execute("PRAGMA database_list").fetchone()[2]).parent / name


def publish_corpus(db: sqlite_utils.Database, corpus: Path) -> str:
    from .publish import PublishOptions, publish

    # Rebuilt from scratch each time, so running the demo again gives the same public.db.
    options = PublishOptions(publishable=PUBLISHABLE, title="Sample Healthwatch review",
                             source="rapidreview sample corpus (synthetic)")
    result = publish(db, _beside_review(db, "public.db"), options)
    return f"{result.path}: {result.tables.get('quotes', 0)} redacted quotes for commissioners"


def report_corpus(db: sqlite_utils.Database, corpus: Path) -> str:
    from .report import ReportConfig, make_report

    config = ReportConfig(title="Sample Healthwatch review", compare=["2025-Q1", "2025-Q2"])
    result = make_report(db, _beside_review(db, "report.html"), config)
    return f"{result.path}: {result.themes} themes, {result.charts} charts"


# (name, step): each step takes the review and the corpus directory and returns a one-line
# message; every step is idempotent.
STEPS: list[tuple[str, Callable[[sqlite_utils.Database, Path], str]]] = [
    ("import", import_corpus),
    ("redact", redact_corpus),
    ("codebook", load_starter_codebook),
    ("code", suggest_codes),
    ("themes", find_corpus_themes),
    ("publish", publish_corpus),
    ("report", report_corpus),
]


def build(directory=DEFAULT_DIR, corpus=None,
          on_step: Callable[[str, str], None] | None = None) -> dict:
    """Build (or bring up to date) DIRECTORY/review.db from the corpus; returns the review
    path, each step's message, and the review's stats."""
    corpus = find_corpus(corpus)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    review = directory / "review.db"
    db = store.open_review(review)
    try:
        done = []
        for name, step in STEPS:
            message = step(db, corpus)
            done.append((name, message))
            if on_step:
                on_step(name, message)
        return {"review": str(review), "corpus": str(corpus), "steps": done, "stats": stats.review_stats(db)}
    finally:
        db.conn.close()
