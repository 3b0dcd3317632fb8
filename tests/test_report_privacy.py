"""report privacy: personal data planted in a review (in answers, an attribute, a file
name, a recommendation and its response, the report title) never reaches a DOCX, HTML or
Markdown report, attributes and alt text included; a withdrawn respondent's words vanish."""

from __future__ import annotations

import csv
import html
import re
import zipfile
from pathlib import Path

import pytest
import sqlite_utils

from rapidreview import demo, privacy
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.publish import ledger
from rapidreview.report import ReportConfig, make_report
from rapidreview.themes import ThemeOptions, find_themes

PLANTED = ["Okonkwo", "Bellamy", "Priya Raman", "07700 900123", "07700900123", "07700 900456", "943 476 5919",
           "9434765919", "sarah.jones@example.com", "LS6 2AB", "14 Acacia Avenue", "07700900789"]
WITHDRAWN = ["Quizzleberry", "marmalade", "xylophone"]
PII_ANSWERS = [
    "Dr Okonkwo was kind but the wait was long. Call me on 07700 900123.",
    "My NHS number is 943 476 5919 and they still lost my records, waited weeks.",
    "Email sarah.jones@example.com about the parking, it is awful.",
    "Nurse Bellamy was lovely, I live at 14 Acacia Avenue, LS6 2AB.",
    "Priya Raman on reception rang me on 07700900123, 9434765919 is my number for the NHS.",
]


def write_planted(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Respondent ID", "Service", "Contact", "What was good?", "What could be better?"])
        for i in range(24):
            good = PII_ANSWERS[i % len(PII_ANSWERS)]
            better = "The parking is expensive and the wait for an appointment was too long."
            if i == 3:
                good = "Quizzleberry marmalade: the xylophone ward staff were slow and the wait was long."
            w.writerow([f"PL-{i:03d}", "GP practice" if i % 2 else "Hospital", f"07700 900{456 + i}", good, better])


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The sample review with a third wave of answers full of personal data."""
    root = tmp_path_factory.mktemp("privacy")
    path = Path(demo.build(root / "demo")["review"])
    db = sqlite_utils.Database(path)
    csv_path = root / "planted-07700900789.csv"
    write_planted(csv_path)
    import_files(db, [csv_path], ImportOptions(text=["What was good?", "What could be better?"], id="Respondent ID",
                                               attrs=["Service", "Contact"], wave="2025-Q3"))
    privacy.redact(db)
    find_themes(db, options=ThemeOptions(k=8, seed=0, n_runs=3, n_components=20))
    segs = dict(db.execute("""SELECT r.external_id, s.id FROM segments s JOIN documents d ON d.id = s.document_id
        JOIN respondents r ON r.id = d.respondent_id WHERE r.external_id IN ('PL-000', 'PL-003')
        AND d.question = 'What was good?'""").fetchall())
    rec = ledger.add(db, "Dr Okonkwo should ring 07700 900123 back", themes=[1], quotes=[segs["PL-000"],
                                                                                       segs["PL-003"]])
    ledger.respond(db, rec, response="Email sarah.jones@example.com", outcome="NHS number 943 476 5919 checked",
                   status="accepted")
    yield db, root
    db.conn.close()


def texts_of(path: Path) -> str:
    """Everything in a report file that a reader or a program could see."""
    if path.suffix == ".docx":
        parts = []
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    xml = z.read(name).decode("utf-8")
                    parts += [xml, "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml))]
        return html.unescape("\n".join(parts))
    raw = path.read_text(encoding="utf-8")
    return raw + "\n" + html.unescape(raw) + "\n" + raw.replace("\\", "")


def make_all(db, directory: Path, **config) -> dict[str, str]:
    out = {}
    for fmt in ("docx", "html", "md"):
        path = directory / f"report.{fmt}"
        make_report(db, path, ReportConfig(**config))
        out[fmt] = texts_of(path)
    return out


def test_planted_personal_data_never_appears(planted, tmp_path):
    db, _ = planted
    before = make_all(db, tmp_path, title="Report for Dr Okonkwo, 07700 900123", attributes=["Service", "Contact"],
                      compare=["2025-Q2", "2025-Q3"], quotes_per_theme=5)
    for fmt, text in before.items():
        # the planted answers are in the report, redacted: the test can see them
        assert "[PHONE]" in text and "[NAME" in text, fmt
        assert "Quizzleberry" in text, f"{fmt}: the withdrawn respondent's quote should show before withdrawal"
        for secret in PLANTED:
            assert secret.casefold() not in text.casefold(), (fmt, secret)


def test_withdrawn_respondent_disappears(planted, tmp_path):
    db, _ = planted
    # A run made before the withdrawal may carry their words in its automatic label.
    db.execute("UPDATE themes SET label = 'quizzleberry marmalade', auto_label = 'quizzleberry marmalade' "
               "WHERE number = 1 AND run_id = (SELECT max(id) FROM theme_runs)")
    db.conn.commit()
    privacy.withdraw(db, "PL-003", reason="asked by phone")
    try:
        after = make_all(db, tmp_path, attributes=["Service", "Contact"], compare=["2025-Q2", "2025-Q3"],
                         quotes_per_theme=5)
        by_theme = make_all(db, tmp_path, compare=["2025-Q2", "2025-Q3"], compare_by="theme", charts=False)
    finally:
        privacy.reinstate(db, "PL-003")
    assert "What changed between waves" in by_theme["md"]
    for fmt, text in [*after.items(), *(("theme " + k, v) for k, v in by_theme.items())]:
        for word in WITHDRAWN + PLANTED:
            assert word.casefold() not in text.casefold(), (fmt, word)
        assert "[PHONE]" in text, fmt  # other planted answers are still there, redacted
