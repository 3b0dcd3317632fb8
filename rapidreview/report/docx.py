"""The Word report (python-docx): headings, tables, charts with captions and alt text,
page numbers in the footer.

Styles come from a reference .docx when one is given: we open it, clear its body (its
styles, page setup, headers and footers stay) and add the report, so the output looks
like the organisation's own documents. Styles the reference lacks fall back to plain
formatting rather than failing.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from .config import ReportError
from .templates import printable


def render_docx(report, path, reference: str | Path | None = None) -> None:
    doc = _open(reference)
    writer = _Writer(doc)
    writer.heading(report.title, 0)
    if report.subtitle:
        writer.paragraph(report.subtitle)
    writer.paragraph(f"Report date: {report.date}. Counts are disclosure-controlled: {report.method.rule}.",
                     italic=True)
    for section in report.sections:
        writer.heading(section.title, 1)
        SECTIONS[section.key](writer, report)
    _page_numbers(doc)
    doc.core_properties.title = report.title
    doc.core_properties.author = "rapidreview"
    doc.core_properties.last_modified_by = "rapidreview"
    doc.core_properties.comments = ""
    doc.save(str(path))


def _open(reference):
    if reference is None:
        return Document()
    reference = Path(reference)
    if not reference.is_file():
        raise ReportError(f"{reference}: no such reference document (give a .docx whose styles to use).")
    try:
        doc = Document(str(reference))
    except Exception as e:  # python-docx raises several kinds for a file that is not a .docx
        raise ReportError(f"{reference}: not a Word .docx file ({type(e).__name__}).") from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


class _Writer:
    def __init__(self, doc):
        self.doc = doc
        self.figures = 0
        self.styles = {s.name for s in doc.styles}

    def _style(self, name):
        return name if name in self.styles else None

    def heading(self, text: str, level: int):
        name = "Title" if level == 0 else f"Heading {level}"
        if self._style(name):
            return self.doc.add_heading(printable(text), level)
        p = self.doc.add_paragraph()
        run = p.add_run(printable(text))
        run.bold = True
        run.font.size = Pt({0: 22, 1: 16, 2: 13}.get(level, 12))
        return p

    def paragraph(self, text: str, *, italic: bool = False, style: str | None = None):
        p = self.doc.add_paragraph(style=self._style(style) if style else None)
        run = p.add_run(printable(text))
        run.italic = italic
        return p

    def quote(self, text: str):
        if self._style("Quote"):
            return self.doc.add_paragraph(printable(text), style="Quote")
        return self.paragraph(f"“{text}”", italic=True)

    def table(self, t):
        if t.caption:
            self.caption(t.caption, "Table")
        table = self.doc.add_table(rows=1, cols=len(t.columns))
        if self._style("Table Grid"):
            table.style = "Table Grid"
        header = table.rows[0]
        _repeat_header(header)
        for cell, text in zip(header.cells, t.columns):
            cell.text = ""
            cell.paragraphs[0].add_run(printable(str(text))).bold = True
        for row in t.rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = printable(str(text))
        if t.note:
            self.paragraph(t.note, italic=True)
        return table

    def chart(self, report, key: str):
        chart = report.charts.get(key)
        if chart is None:
            return
        self.doc.add_picture(io.BytesIO(chart.png), width=Inches(min(chart.width, 6.0)))
        docpr = self.doc.inline_shapes[-1]._inline.docPr
        docpr.set("descr", printable(chart.alt))
        docpr.set("title", printable(chart.title))
        self.caption(chart.title, "Figure")

    def caption(self, text: str, kind: str):
        if kind == "Figure":
            self.figures += 1
            text = f"Figure {self.figures}: {text}"
        p = self.doc.add_paragraph(style=self._style("Caption"))
        p.add_run(printable(text)).bold = kind == "Table"


def _repeat_header(row) -> None:
    """Repeat the header row on each page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _page_numbers(doc) -> None:
    """'Page N' centred in the footer of every section, as a PAGE field Word updates."""
    for section in doc.sections:
        footer = section.footer
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        if "PAGE" in p._p.xml:
            continue
        p.alignment = 1  # centre
        p.add_run("Page ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        p._p.append(field)


# ---------------------------------------------------------------- sections


def _method(w: _Writer, report) -> None:
    m = report.method
    when = f" between {m.first_month} and {m.last_month}" if m.first_month else ""
    waves = f" in {len(m.waves)} waves ({', '.join(m.waves)})" if m.waves else ""
    w.paragraph(f"We heard from {report.people} people{when}, who made {report.denominator} comments{waves}. "
                f"Respondents who withdrew or did not consent ({m.excluded}) are left out of every count and quote.")
    w.table(m.sources)
    for book in m.codebooks:
        label = f" ({book['label']})" if book["label"] else ""
        w.paragraph(f"Codebook: {book['name']}, version {book['version']}{label}, loaded {book['loaded']}, "
                    f"{book['codes']} codes.")
    c = m.coding
    origins = ", ".join(f"{n} {o}" for o, n in c["accepted_by_origin"].items())
    w.paragraph(f"Coding: {c['accepted']} codings accepted by people" + (f" ({origins})" if origins else "")
                + f"; {c['suggested']} automatic suggestions not yet checked (not counted); {c['rejected']} rejected. "
                "Rules and the model only suggest codes: a code counts once a person accepts it. "
                f"{c['coders']} people coded.")
    if m.agreement:
        alpha = f"{m.alpha:.2f}" if m.alpha is not None else "not defined"
        w.paragraph(f"Agreement between coders: Krippendorff's alpha {alpha} across all codes.")
        w.table(m.agreement)
    if m.theme_run:
        r = m.theme_run
        stability = f", stability {r['stability']:.2f}" if r["stability"] is not None else ""
        w.paragraph(f"Themes were found in run {r['id']} ({r['date']}): TF-IDF over lemmas, LSA and spherical "
                    f"k-means with a consensus over {r['n_runs']} seeded runs, k = {r['k']}, seed {r['seed']}"
                    f"{stability}.")
    if m.min_group:
        w.paragraph(f"Quotes from groups of fewer than {m.min_group} people are withheld.")


def _participants(w: _Writer, report) -> None:
    w.paragraph(f"{report.people} people took part (survey respondents, and interviews or focus groups without a "
                "respondent record).")
    for i, t in enumerate(report.participants):
        w.chart(report, f"participants-{i}")
        w.table(t)


def _themes(w: _Writer, report) -> None:
    w.paragraph(f"Out of {report.denominator} comments. Quotes are redacted: [NAME 1], [PHONE] and the like replace "
                "personal details.")
    w.chart(report, "themes")
    for t in report.themes:
        w.heading(f"{t.number}. {t.label}", 2)
        share = f" ({t.share})" if t.share else ""
        sentiment = "; sentiment: " + ", ".join(f"{s} {n}" for s, n in t.sentiment) if t.sentiment else ""
        terms = f" Key terms: {', '.join(t.key_terms)}." if t.key_terms else ""
        w.paragraph(f"{t.count} comments{share}{sentiment}.{terms}")
        for q in t.quotes:
            w.quote(q)
    if report.theme_note:
        w.paragraph(report.theme_note, italic=True)
    if report.sentiment:
        w.chart(report, "sentiment")
        w.table(report.sentiment)


def _codes(w: _Writer, report) -> None:
    w.paragraph(f"Comments with an accepted code, out of {report.denominator} comments.")
    if not report.code_groups:
        w.paragraph("No accepted codings yet.")
        return
    w.chart(report, "codes")
    from .content import Table

    for g in report.code_groups:
        share = f" ({g.share})" if g.share else ""
        w.heading(f"{g.name}: {g.count}{share}", 2)
        if g.codes:
            w.table(Table("", ["Code", "Comments", "Share"], [list(c) for c in g.codes]))


def _changes(w: _Writer, report) -> None:
    if not report.changes:
        return
    w.chart(report, "changes")
    w.table(report.changes.table)
    if report.changes.note:
        w.paragraph(report.changes.note, italic=True)


def _recommendations(w: _Writer, report) -> None:
    if not report.recommendations:
        w.paragraph("No recommendations recorded yet.")
    for r in report.recommendations:
        w.heading(f"Recommendation {r.id}: {r.text}", 2)
        extra = "".join(f" {k}: {v}." for k, v in (("Response", r.response), ("Outcome", r.outcome)) if v)
        w.paragraph(f"Status: {r.status}.{extra}")
        if r.themes:
            w.paragraph(f"Evidence: {'; '.join(r.themes)}.")
        for q in r.quotes:
            w.quote(q)


def _codebook(w: _Writer, report) -> None:
    from .content import Table

    w.table(Table("", ["Code", "Parent", "Definition"],
                  [[c["name"], c["parent"] or "", c["definition"] or ""] for c in report.codebook]))


SECTIONS = {"method": _method, "participants": _participants, "themes": _themes, "codes": _codes,
            "changes": _changes, "recommendations": _recommendations, "codebook": _codebook}
