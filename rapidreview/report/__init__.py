"""The rapid-review report: DOCX, HTML or Markdown, from templates the user can edit.

    from rapidreview.report import ReportConfig, make_report
    result = make_report(db, "report.docx", ReportConfig(title="GP access", compare=["2025-Q1", "2025-Q2"]))

`content.build_report` gathers what the report says (redacted text and disclosure-
controlled counts only, through the same code as `publish`); `charts` draws it; the
renderers lay it out: Jinja2 templates for Markdown and HTML (`templates/`, copied out
with `write_templates`), python-docx for Word, with an optional reference .docx for styles.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import sqlite_utils

from .. import privacy, store
from .config import SECTIONS, ReportConfig, ReportError, load_config
from .content import Report, build_report
from .templates import render, write_templates

FORMATS = {".docx": "docx", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}

__all__ = ["FORMATS", "SECTIONS", "Report", "ReportConfig", "ReportError", "ReportResult", "build_report",
           "format_of", "load_config", "make_report", "render", "write_templates"]


@dataclass
class ReportResult:
    path: str
    format: str
    sections: list[str]
    themes: int
    charts: int
    recommendations: int
    seconds: float

    def message(self) -> str:
        return (f"Wrote {self.path} ({self.format}) in {self.seconds:.1f}s: {len(self.sections)} sections, "
                f"{self.themes} themes, {self.recommendations} recommendations, {self.charts} charts.")


def format_of(path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in FORMATS.values():
            raise ReportError(f"unknown report format {fmt!r}: choose docx, html or md.")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ReportError(f"{path}: cannot tell the format from {suffix or 'no suffix'!r}; name the file .docx, "
                          ".html or .md, or give --format.")
    return FORMATS[suffix]


def make_report(db: sqlite_utils.Database, output, config: ReportConfig | None = None, *, fmt: str | None = None,
                template=None, reference_docx=None, on_step=None, actor: str | None = None) -> ReportResult:
    """Write the report to `output` (replaced atomically: a failure leaves no half file)."""
    t0 = time.perf_counter()
    fmt = format_of(output, fmt)
    if template is not None and fmt == "docx":
        raise ReportError("--template is for .html and .md reports; for Word, give --reference-docx for the styles "
                          "and --config for sections and titles.")
    if reference_docx is not None and fmt != "docx":
        raise ReportError("--reference-docx is for .docx reports only.")
    privacy.assert_redacted(db)
    config = config or ReportConfig()
    if fmt == "md":
        config = replace(config, charts=False)  # Markdown shows tables; drawing charts for it is wasted time
    report = build_report(db, config, on_step=on_step)
    if on_step:
        on_step(f"writing {fmt}")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        if fmt == "docx":
            from .docx import render_docx

            render_docx(report, tmp, reference_docx)
        else:
            tmp.write_text(render(report, fmt, template), encoding="utf-8")
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()
    result = ReportResult(str(output), fmt, [s.key for s in report.sections], len(report.themes),
                          len(report.charts), len(report.recommendations), time.perf_counter() - t0)
    with store.transaction(db):  # what left the review, and when: as publish records it
        store.log_event(db, "report", {"path": str(output), "format": fmt, "sections": result.sections,
                                       "compare": config.compare, "min_group": config.min_group}, actor)
    return result
