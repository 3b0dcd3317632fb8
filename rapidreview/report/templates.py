"""Markdown and HTML reports from Jinja2 templates the user can copy out and edit.

Templates run in Jinja's sandbox and see only the report's content (redacted text,
controlled counts): an edited template can change the words, order and look, but it
cannot reach the review. HTML is autoescaped; `|md` and `|cell` escape Markdown.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from .config import ReportError

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULTS = {"md": "report.md.j2", "html": "report.html.j2"}
CONFIG_NAME = "report.yaml"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in HTML, XML or a .docx
MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")
MD_LINE_START = re.compile(r"^(\s*)(?:([#+\-])|(\d+)([.)]))(?=\s|$)", re.MULTILINE)  # headings and lists


def printable(value):
    """Every value a template prints loses control characters (a transcript may carry a
    stray vertical tab), which would make the HTML invalid."""
    if isinstance(value, Markup):  # a macro's output: its values went through here already
        return value
    return CONTROL.sub(" ", value) if isinstance(value, str) else value


def md(text) -> str:
    """Text safe inside Markdown: special characters escaped, so a quote cannot become a
    link, an image or HTML."""
    escaped = MD_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))
    return MD_LINE_START.sub(lambda m: m[1] + (f"\\{m[2]}" if m[2] else f"{m[3]}\\{m[4]}"), escaped)


def cell(text) -> str:
    """Text safe inside a Markdown table cell: one line, escaped."""
    return md(" ".join(str(text if text is not None else "").split()))


def data_uri(chart) -> str:
    return "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")


def png_size(chart) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    return int.from_bytes(chart.png[16:20], "big"), int.from_bytes(chart.png[20:24], "big")


def environment(fmt: str, user_dir: Path | None = None) -> SandboxedEnvironment:
    search = [str(user_dir)] if user_dir else []
    env = SandboxedEnvironment(loader=jinja2.FileSystemLoader(search + [str(TEMPLATES)]),
                               autoescape=fmt == "html", trim_blocks=True, lstrip_blocks=True,
                               undefined=jinja2.StrictUndefined, keep_trailing_newline=True, finalize=printable)
    env.filters.update(md=md, cell=cell, data_uri=data_uri)
    env.globals.update(png_size=png_size)
    return env


def render(report, fmt: str, template: str | Path | None = None) -> str:
    """The report as Markdown or HTML, from the default template or the user's own file."""
    if fmt not in DEFAULTS:
        raise ReportError(f"no template format {fmt!r}: templates are for {', '.join(DEFAULTS)}.")
    path = Path(template) if template else None
    if path is not None and not path.is_file():
        raise ReportError(f"{path}: no such template. Copy the defaults out with "
                          "`rapidreview report --write-template DIR`.")
    env = environment(fmt, path.parent if path else None)
    name = path.name if path else DEFAULTS[fmt]
    try:
        return env.get_template(name).render(report=report)
    except jinja2.TemplateSyntaxError as e:
        raise ReportError(f"{e.filename or name}, line {e.lineno}: {e.message}") from None
    except jinja2.UndefinedError as e:
        raise ReportError(f"{name}: {e.message}. See rapidreview/report/content.py for what a report holds.") from None
    except jinja2.exceptions.SecurityError as e:
        raise ReportError(f"{name}: not allowed in a report template: {e}") from None


def write_templates(directory) -> list[Path]:
    """Copy the default templates and report config into `directory` for editing."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    names = [*DEFAULTS.values(), CONFIG_NAME]
    existing = [n for n in names if (directory / n).exists()]
    if existing:
        raise ReportError(f"{directory / existing[0]} already exists: move it aside or choose another directory.")
    for n in names:
        shutil.copyfile(TEMPLATES / n, directory / n)
    return [directory / n for n in names]
