"""report: the rapid-review report in DOCX, HTML and Markdown, built from the sample
review (`rapidreview demo`) with people's coding decisions and recommendations added.

DOCX is read back with python-docx and rendered by LibreOffice to PDF and PNG; HTML is
parsed strictly (html5lib) and shown in Chromium; counts are checked against the
database under the same disclosure control."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlite_utils

from rapidreview import demo, privacy
from rapidreview.coding import manual, queue
from rapidreview.publish import ledger
from rapidreview.report import ReportConfig, load_config, make_report, write_templates
from rapidreview.themes import get_run

WAVES = ("2025-Q1", "2025-Q2")


# ---------------------------------------------------------------- building the review


def add_decisions(db) -> None:
    """People's work on the demo review: alice accepts or rejects the rule suggestions on
    every third document; bob codes a share of the same segments by hand, mostly alike."""
    rows = db.execute("SELECT c.id, c.document_id, c.segment_id, c.code_id FROM codings c "
                      "WHERE c.status = 'suggested' AND c.document_id % 3 = 0 ORDER BY c.id").fetchall()
    for coding_id, doc, seg, code in rows:
        queue.decide(db, coding_id, "reject" if coding_id % 6 == 0 else "accept", actor="alice")
        if doc % 9 == 0 and seg is not None and coding_id % 5:
            manual.apply_code(db, code, coder="bob", segment=seg)


def add_recommendations(db) -> list[int]:
    run = get_run(db)
    first, second = run["themes"][0], run["themes"][1]
    quotes = [q["segment_id"] for q in first["quotes"][:2]]
    a = ledger.add(db, "Offer evening appointments for people who work", themes=[first["number"]], quotes=quotes)
    ledger.respond(db, a, response="Pilot from April", outcome="Two evening clinics a week", status="accepted")
    b = ledger.add(db, "Tell carers before discharge", themes=[second["number"]])
    return [a, b]


def build_review(directory: Path) -> Path:
    result = demo.build(directory)
    db = sqlite_utils.Database(result["review"])
    try:
        add_decisions(db)
        add_recommendations(db)
    finally:
        db.conn.close()
    return Path(result["review"])


@pytest.fixture(scope="module")
def review(tmp_path_factory) -> Path:
    return build_review(tmp_path_factory.mktemp("report") / "demo")


@pytest.fixture(scope="module")
def reports(review, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out")
    db = sqlite_utils.Database(review)
    paths = {}
    try:
        for fmt in ("docx", "html", "md"):
            paths[fmt] = out / f"report.{fmt}"
            make_report(db, paths[fmt], ReportConfig(title="Sample review", compare=list(WAVES),
                                                     attributes=["Service", "Age group"]))
    finally:
        db.conn.close()
    return paths


PUBLISHABLE = """d.answered = 1 AND (r.id IS NULL OR (r.withdrawn = 0 AND r.consent = 1))"""


def expected_theme_counts(path) -> dict[int, str]:
    """Theme sizes straight from the database (participant turns of publishable
    documents), under the NHS rule: what the report must show."""
    db = sqlite_utils.Database(path)
    rows = db.execute(f"""SELECT t.number, count(*) FROM theme_members m JOIN themes t ON t.id = m.theme_id
        JOIN segments s ON s.id = m.segment_id JOIN documents d ON d.id = s.document_id
        LEFT JOIN respondents r ON r.id = d.respondent_id
        WHERE t.run_id = (SELECT max(id) FROM theme_runs) AND s.role = 'participant' AND {PUBLISHABLE}
        GROUP BY t.number""").fetchall()
    db.conn.close()
    return {n: privacy.control_count(c).display for n, c in rows}


def expected_people(path, attribute: str) -> dict[str, str]:
    db = sqlite_utils.Database(path)
    # each person once, under the value on their first publishable answer
    rows = db.execute(f"""SELECT value, count(*) FROM (
        SELECT coalesce(d.respondent_id, -d.id) AS unit, a.value, row_number() OVER (
            PARTITION BY coalesce(d.respondent_id, -d.id) ORDER BY d.id) AS k FROM documents d
        JOIN attributes a ON a.document_id = d.id AND a.name = ? LEFT JOIN respondents r ON r.id = d.respondent_id
        WHERE {PUBLISHABLE}) WHERE k = 1 GROUP BY value""", [attribute]).fetchall()
    total = db.execute(f"""SELECT count(DISTINCT coalesce(d.respondent_id, -d.id)) FROM documents d
        LEFT JOIN respondents r ON r.id = d.respondent_id WHERE {PUBLISHABLE}""").fetchone()[0]
    db.conn.close()
    return {**{v: privacy.control_count(n).display for v, n in rows}, "Total": privacy.control_count(total).display}


def docx_document(path):
    from docx import Document

    return Document(str(path))


# ---------------------------------------------------------------- DOCX


def test_docx_has_sections_tables_and_charts(reports):
    doc = docx_document(reports["docx"])
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["How we did this", "Who we heard from", "What people told us: themes",
                        "What people told us: codes", "What changed between waves", "Recommendations",
                        "Appendix: codebook"]
    assert doc.paragraphs[0].text == "Sample review"
    assert len(doc.tables) >= 8
    shapes = doc.inline_shapes
    assert len(shapes) >= 5  # themes, sentiment, codes, two attributes, changes
    for shape in shapes:
        assert shape._inline.docPr.get("descr"), "every chart has alt text"
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Figure ")]
    assert len(captions) == len(shapes)
    footer_xml = doc.sections[0].footer._element.xml
    assert 'w:instr="PAGE"' in footer_xml


def test_docx_theme_counts_match_the_database(review, reports):
    expected = expected_theme_counts(review)
    doc = docx_document(reports["docx"])
    paragraphs = doc.paragraphs
    seen = {}
    for i, p in enumerate(paragraphs):
        m = re.match(r"(\d+)\. ", p.text)
        if p.style.name == "Heading 2" and m:
            seen[int(m[1])] = paragraphs[i + 1].text.split(" comments")[0]
    assert len(seen) >= 20
    hidden = [n for n, shown in seen.items() if shown == "*"]  # secondary suppression
    assert len(hidden) <= 2
    for number, shown in seen.items():
        if shown != "*":
            assert shown == expected[number], f"theme {number}"


def test_docx_people_tables_match_the_database(review, reports):
    doc = docx_document(reports["docx"])
    for attribute in ("Service", "Age group"):
        table = next(t for t in doc.tables if t.rows[0].cells[0].text == attribute)
        shown = {row.cells[0].text: row.cells[1].text for row in table.rows[1:]}
        expected = expected_people(review, attribute)
        assert shown["Total"] == expected["Total"]
        checked = 0
        for value, count in shown.items():
            if value in expected and count != "*":
                assert count == expected[value], (attribute, value)
                checked += 1
        assert checked >= 4


def _soffice_png(docx: Path, workdir: Path) -> list[Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        pytest.skip("LibreOffice (soffice) or pdftoppm is absent: apt-get install libreoffice-writer poppler-utils")
    profile = workdir / "lo-profile"  # our own profile: other LibreOffice runs cannot lock it
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(workdir), str(docx)], check=True, capture_output=True, timeout=180)
    pdf = workdir / (docx.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 10_000
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(workdir / "page")], check=True, timeout=120)
    return sorted(workdir.glob("page*.png"))


def colourful_share(png: Path) -> float:
    """Share of pixels that are clearly coloured (not white, grey or black text)."""
    import numpy as np
    from PIL import Image

    hsv = np.asarray(Image.open(png).convert("HSV"))
    return float(((hsv[..., 1] > 80) & (hsv[..., 2] > 60)).mean())


def test_docx_converts_to_pdf_and_a_page_shows_a_chart(reports, tmp_path):
    pages = _soffice_png(reports["docx"], tmp_path)
    assert len(pages) >= 5
    best = max(colourful_share(p) for p in pages)
    assert best > 0.03, f"no page with a chart: most coloured page has {best:.1%} coloured pixels"


# ---------------------------------------------------------------- HTML


def test_html_parses_strictly(reports):
    import html5lib

    text = reports["html"].read_text(encoding="utf-8")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    tree = parser.parse(text)  # raises on any parse error: unclosed or stray tags, bad nesting
    images = tree.findall(".//img")
    assert len(images) >= 5
    for img in images:
        assert img.get("src").startswith("data:image/png;base64,")
        assert len(img.get("alt")) > 20
    assert [h.text for h in tree.findall(".//h2")][:2] == ["How we did this", "Who we heard from"]
    assert "<script" not in text


@pytest.mark.browser
def test_html_shows_in_chromium_with_charts(reports, page):
    page.goto(reports["html"].resolve().as_uri())
    assert page.title() == "Sample review"
    sizes = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
    assert len(sizes) >= 5
    assert all(done and width > 100 for done, width in sizes)
    assert page.locator("section#themes h3").count() >= 20


# ---------------------------------------------------------------- Markdown


def test_markdown_has_every_section_and_well_formed_tables(reports):
    text = reports["md"].read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert sections == ["How we did this", "Who we heard from", "What people told us: themes",
                        "What people told us: codes", "What changed between waves", "Recommendations",
                        "Appendix: codebook"]
    assert "### Recommendation 1: Offer evening appointments for people who work" in text
    assert "Response: Pilot from April." in text
    # every table row has as many cells as its header
    for block in re.findall(r"((?:^\|.*\n)+)", text, re.MULTILINE):
        lines = block.strip("\n").split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, lines[:3]


def test_changes_section_matches_wave_comparison(review, reports):
    from rapidreview import waves

    db = sqlite_utils.Database(review)
    result = waves.compare(db, *WAVES)
    db.conn.close()
    text = reports["md"].read_text(encoding="utf-8")
    shown = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 7:
            shown[cells[0]] = (cells[1].replace("\\", ""), cells[3].replace("\\", ""))
    rows = [r for r in result.rows if r.n_before or r.n_after]
    assert len(rows) >= 10
    for r in rows:
        assert shown[r.name] == (r.shown_before, r.shown_after)


# ---------------------------------------------------------------- templates and config


def test_edited_template_changes_the_output(review, tmp_path):
    copied = write_templates(tmp_path / "tpl")
    assert {p.name for p in copied} == {"report.md.j2", "report.html.j2", "report.yaml"}
    template = tmp_path / "tpl" / "report.md.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("# {{ report.title | md }}", "# {{ report.title | md }}\n\nPrepared for the "
                                     "ICB quality committee."), encoding="utf-8")
    config = load_config(tmp_path / "tpl" / "report.yaml", sections=["themes", "recommendations"],
                         titles={"themes": "Main findings"}, charts=False)
    db = sqlite_utils.Database(review)
    try:
        make_report(db, tmp_path / "mine.md", config, template=template)
        make_report(db, tmp_path / "default.md", config)
        make_report(db, tmp_path / "mine.docx", config)
    finally:
        db.conn.close()
    mine, default = (tmp_path / "mine.md").read_text(), (tmp_path / "default.md").read_text()
    assert "Prepared for the ICB quality committee." in mine
    assert "Prepared for the ICB quality committee." not in default
    assert re.findall(r"^## (.+)$", mine, re.MULTILINE) == ["Main findings", "Recommendations"]
    doc = docx_document(tmp_path / "mine.docx")
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == ["Main findings", "Recommendations"]
    assert len(doc.inline_shapes) == 0


def test_reference_docx_styles_are_used(review, tmp_path):
    from docx import Document
    from docx.shared import Pt, RGBColor

    ref = Document()
    ref.styles["Heading 1"].font.name = "Liberation Serif"
    ref.styles["Heading 1"].font.color.rgb = RGBColor(0x8B, 0x00, 0x00)
    ref.styles["Normal"].font.size = Pt(12)
    ref.add_paragraph("Template placeholder text that must not survive")
    ref.save(tmp_path / "ref.docx")
    db = sqlite_utils.Database(review)
    try:
        make_report(db, tmp_path / "styled.docx", ReportConfig(sections=["method"], charts=False),
                    reference_docx=tmp_path / "ref.docx")
    finally:
        db.conn.close()
    doc = docx_document(tmp_path / "styled.docx")
    assert doc.styles["Heading 1"].font.name == "Liberation Serif"
    assert doc.styles["Normal"].font.size == Pt(12)
    assert all("placeholder" not in p.text for p in doc.paragraphs)
    assert any(p.style.name == "Heading 1" and p.text == "How we did this" for p in doc.paragraphs)


def test_charts_are_deterministic(review):
    from rapidreview.report.content import build_report

    db = sqlite_utils.Database(review)
    try:
        config = ReportConfig(sections=["themes", "codes"])
        one, two = build_report(db, config), build_report(db, config)
    finally:
        db.conn.close()
    assert one.charts and one.charts.keys() == two.charts.keys()
    for key in one.charts:
        assert one.charts[key].png == two.charts[key].png, key


# ---------------------------------------------------------------- CLI


def test_cli_report_json_and_errors(review, tmp_path, run):
    import json

    result = run("report", review, "-o", tmp_path / "r.html", "--title", "From the CLI", "--compare", *WAVES,
                 "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["format"] == "html" and summary["themes"] >= 20 and summary["charts"] >= 5
    assert "<title>From the CLI</title>" in (tmp_path / "r.html").read_text()
    db = sqlite_utils.Database(review)
    logged = db.execute("SELECT payload FROM events WHERE action = 'report' ORDER BY id DESC").fetchone()
    db.conn.close()
    assert json.loads(logged[0])["path"] == str(tmp_path / "r.html")
    bad = run("report", review, "-o", tmp_path / "r.pdf")
    assert bad.exit_code == 1 and "Error: " in bad.output and ".docx" in bad.output
    assert not (tmp_path / "r.pdf").exists()
    wave = run("report", review, "-o", tmp_path / "w.md", "--compare", "2025-Q1", "2024-Q9")
    assert wave.exit_code == 1 and "2024-Q9" in wave.output
    written = run("report", "--write-template", tmp_path / "mine")
    assert written.exit_code == 0 and (tmp_path / "mine" / "report.html.j2").exists()
    again = run("report", "--write-template", tmp_path / "mine")
    assert again.exit_code == 1 and "already exists" in again.output


def test_control_characters_do_not_break_html_or_docx(review, tmp_path):
    import html5lib

    from rapidreview.report.content import build_report
    from rapidreview.report.docx import render_docx
    from rapidreview.report.templates import render

    db = sqlite_utils.Database(review)
    try:
        report = build_report(db, ReportConfig(sections=["themes"], charts=False))
    finally:
        db.conn.close()
    report.themes[0].quotes[0] += " line\x0bbreak\x00 <b>bold</b>"
    page = render(report, "html")
    html5lib.HTMLParser(strict=True).parse(page)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    render_docx(report, tmp_path / "r.docx")
    assert any("line break" in p.text for p in docx_document(tmp_path / "r.docx").paragraphs)
