"""Transcripts: .txt, .md, .docx (plain, Teams, Zoom, table), .vtt and .srt.

Every import is checked for exact offsets: each segment is documents.text[start:end].
"""

from __future__ import annotations

import sqlite3
import time
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import ROOT, snapshot

from rapidreview.ingest import ImportOptions
from rapidreview.ingest.transcripts import read_docx, read_srt, read_text, read_vtt, role_for

# ---------------------------------------------------------------- helpers

def write_docx(path: Path, paragraphs: list[str], table: list[list[str]] | None = None,
               title: str | None = None) -> Path:
    """A Word file; a "\n" inside a paragraph becomes a line break, as Teams writes it."""
    document = docx.Document()
    document.core_properties.title = title or ""
    for text in paragraphs:
        lines = text.split("\n")
        p = document.add_paragraph(lines[0])
        for line in lines[1:]:
            run = p.add_run()
            run.add_break()
            run.add_text(line)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    document.save(path)
    return path


def segments(review: Path) -> list[sqlite3.Row]:
    """All segments, after checking that each is exactly its document's text[start:end]."""
    conn = sqlite3.connect(review)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            'SELECT s.*, d.text AS doc_text, d.external_id FROM segments s JOIN documents d ON d.id = s.document_id '
            "ORDER BY s.document_id, s.seq").fetchall()
    finally:
        conn.close()
    for row in rows:
        assert row["doc_text"][row["start"]:row["end"]] == row["text"]
    return rows


def query(review: Path, sql: str, params=()):
    conn = sqlite3.connect(review)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def only(records):
    records = list(records)
    assert len(records) == 1
    return records[0]


def spoken(record) -> list[tuple]:
    return [(t.speaker, t.role, record.text[t.start:t.end]) for t in record.turns]


def imported(run, review, *files, extra=()):
    result = run("import", review, *files, *extra, "--silent")
    assert result.exit_code == 0, result.output
    return segments(review)


# ---------------------------------------------------------------- .txt and .md

INTERVIEW_TXT = """\
---
title: GP access, interview 3
date: 05/03/2024
service: GP
area: North Tyneside
participant id: P03
interviewer: Sam Jones
---
Interview 3, recorded at the surgery.

Sam Jones: Thanks for coming in. Can you tell me about booking an appointment?
P03: Honestly it was a nightmare.
You ring at eight and it's engaged.

Then by half eight they're all gone.
[00:01:23] Sam Jones: And what happened next?
[00:01:30] P03: I gave up: went to A&E instead.
Note: the participant became upset here.
"""


def test_txt_turns_front_matter_and_roles(tmp_path, run, review_path):
    path = tmp_path / "interview-03.txt"
    path.write_text(INTERVIEW_TXT, encoding="utf-8")
    record = only(read_text(path, ImportOptions()))
    assert record.text == INTERVIEW_TXT  # the file, exactly
    assert (record.kind, record.title, record.date, record.respondent) == (
        "transcript", "GP access, interview 3", "2024-03-05", "P03")
    assert record.attributes == {"service": "GP", "area": "North Tyneside"}
    assert record.external_id == "interview-03"
    assert spoken(record) == [
        (None, "other", "Interview 3, recorded at the surgery."),
        ("Sam Jones", "interviewer", "Thanks for coming in. Can you tell me about booking an appointment?"),
        ("P03", "participant", "Honestly it was a nightmare.\nYou ring at eight and it's engaged.\n\n"
                               "Then by half eight they're all gone."),
        ("Sam Jones", "interviewer", "And what happened next?"),
        ("P03", "participant", "I gave up: went to A&E instead.\nNote: the participant became upset here."),
    ]
    assert [(t.t_start, t.t_end) for t in record.turns[3:]] == [(83.0, 90.0), (90.0, None)]

    rows = imported(run, review_path, path)
    assert [r["speaker"] for r in rows] == [None, "Sam Jones", "P03", "Sam Jones", "P03"]
    assert not any("service" in r["text"] for r in rows)  # front matter is in no segment
    assert query(review_path, "SELECT r.external_id, d.kind, d.date FROM documents d "
                 "JOIN respondents r ON r.id = d.respondent_id") == [("P03", "transcript", "2024-03-05")]
    assert sorted(query(review_path, "SELECT name, value FROM attributes")) == [
        ("area", "North Tyneside"), ("service", "GP")]


def test_markdown_bold_speakers_and_headings(tmp_path):
    path = tmp_path / "focus-group.md"
    path.write_text(
        "# Focus group: hospital discharge\n\n"
        "**Facilitator:** Welcome, everyone. Who wants to start?\n\n"
        "**Priya**: I was sent home at 11pm with no transport.\n"
        "My daughter had to come and get me.\n\n"
        "## Medicines\n\n"
        "**Moderator:** What about your medicines?\n\n"
        "**Tom:** Nobody told me which ones had changed.\n", encoding="utf-8")
    record = only(read_text(path, ImportOptions()))
    assert spoken(record) == [  # headings belong to no turn
        ("Facilitator", "facilitator", "Welcome, everyone. Who wants to start?"),
        ("Priya", "participant", "I was sent home at 11pm with no transport.\nMy daughter had to come and get me."),
        ("Moderator", "facilitator", "What about your medicines?"),
        ("Tom", "participant", "Nobody told me which ones had changed."),
    ]
    assert "## Medicines" not in "".join(record.text[t.start:t.end] for t in record.turns)


def test_role_labels_and_interviewer_option(tmp_path, run, review_path):
    path = tmp_path / "labels.txt"
    path.write_text(
        "INTERVIEWER: How did you find the care home?\n"
        "RESPONDENT: Kind staff, but always short-handed.\n"
        "Interviewer 1: And the personal budget?\n"
        "Q: Did anyone explain it?\n"
        "A: No, I found out from another carer.\n"
        "Dr Patel: I can add some context here.\n"
        "Researcher (Healthwatch): Thank you.\n"
        "P1: Can I say one more thing?\n", encoding="utf-8")
    rows = imported(run, review_path, path, extra=["--interviewer", "dr patel"])
    assert [(r["speaker"], r["role"]) for r in rows] == [
        ("INTERVIEWER", "interviewer"), ("RESPONDENT", "participant"), ("Interviewer 1", "interviewer"),
        ("Q", "interviewer"), ("A", "participant"), ("Dr Patel", "interviewer"),
        ("Researcher (Healthwatch)", "interviewer"), ("P1", "participant")]
    assert rows[4]["text"] == "No, I found out from another carer."
    assert role_for("Jane (co-facilitator)") == "facilitator"
    assert role_for("Moderator") == "facilitator"
    assert role_for("Janet") == "participant"


def test_text_without_speakers_is_a_document_of_paragraphs(tmp_path, run, review_path):
    path = tmp_path / "written-submission.txt"
    path.write_text("I am writing about my mother's discharge.\n\nShe waited 9 hours for transport: "
                    "nobody knew where it was.\nThe ward was kind.\n\n\nThank you for listening.\n",
                    encoding="utf-8")
    result = run("import", review_path, path)
    assert "no speaker labels found, so imported as a document" in result.output
    rows = segments(review_path)
    assert query(review_path, "SELECT kind FROM documents") == [("document",)]
    assert [r["text"] for r in rows] == [
        "I am writing about my mother's discharge.",
        "She waited 9 hours for transport: nobody knew where it was.\nThe ward was kind.",
        "Thank you for listening."]
    assert {r["speaker"] for r in rows} == {None}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252", "utf-8"])
def test_text_encodings(tmp_path, encoding):
    text = "Interviewer: Was the café open?\r\nParticipant: No, and parking cost £4.50.\r\n"
    path = tmp_path / f"enc-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    record = only(read_text(path, ImportOptions()))
    assert record.text == text
    assert spoken(record) == [("Interviewer", "interviewer", "Was the café open?"),
                              ("Participant", "participant", "No, and parking cost £4.50.")]


def test_utf16_without_bom_and_uncased_scripts(tmp_path):
    text = "Interviewer: How was the interpreter service?\n\u0641\u0627\u0637\u0645\u0629: \u062c\u064a\u062f\n" \
           "\u7530\u4e2d: \u826f\u304b\u3063\u305f\u3067\u3059\n"
    path = tmp_path / "multilingual.txt"
    path.write_bytes(text.encode("utf-16-le"))
    record = only(read_text(path, ImportOptions()))
    assert record.text == text
    assert [t.speaker for t in record.turns] == ["Interviewer", "\u0641\u0627\u0637\u0645\u0629", "\u7530\u4e2d"]


def test_front_matter_names_interviewers_and_facilitators(tmp_path):
    path = tmp_path / "group.md"
    path.write_text("---\nfacilitator: Chris\ninterviewers: [Dana, Eli]\nwave: 2025-Q1\n---\n"
                    "Chris: Welcome.\nDana: First question.\nEli: Second question.\nFay: My answer.\n",
                    encoding="utf-8")
    record = only(read_text(path, ImportOptions()))
    assert [(t.speaker, t.role) for t in record.turns] == [
        ("Chris", "facilitator"), ("Dana", "interviewer"), ("Eli", "interviewer"), ("Fay", "participant")]
    assert record.attributes == {"wave": "2025-Q1"}


def test_markdown_without_speakers_is_a_document(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Visit notes\n\nThe ward was calm: staff had time to talk.\n\n## Food\n\n"
                    "Meals were cold by the time they arrived.\n", encoding="utf-8")
    record = only(read_text(path, ImportOptions()))
    assert record.kind == "document"
    assert [record.text[t.start:t.end] for t in record.turns] == [
        "The ward was calm: staff had time to talk.", "Meals were cold by the time they arrived."]


# ---------------------------------------------------------------- .vtt and .srt

TEAMS_VTT = """\
WEBVTT
Kind: captions
Language: en-GB

NOTE
This transcript was generated by Teams.

STYLE
::cue { color: yellow }

a1b2c3/12-0
00:00:01.000 --> 00:00:04.000
<v Sam Jones>Hello, and <i>thanks</i> for joining.</v>

a1b2c3/13-0
00:00:04.500 --> 00:00:07.250 align:start position:10%
<v Sam Jones>Tell me about your <c.yellow>discharge</c>.</v>

00:07.300 --> 00:12.000
<v Jane Smith>It was quick &amp; confusing.
Nobody explained the medicines.</v>

01:00:00.000 --> 01:00:03.500
<v.loud Jane Smith>And then I was home.</v>
"""


def test_vtt_voice_tags_merged_cues_and_skipped_blocks(tmp_path, run, review_path):
    path = tmp_path / "teams.vtt"
    path.write_text(TEAMS_VTT, encoding="utf-8")
    record = only(read_vtt(path, ImportOptions()))
    assert record.kind == "transcript"
    assert spoken(record) == [
        ("Sam Jones", "participant", "Hello, and thanks for joining. Tell me about your discharge."),
        ("Jane Smith", "participant", "It was quick & confusing. Nobody explained the medicines. And then I was home."),
    ]
    assert [(t.t_start, t.t_end) for t in record.turns] == [(1.0, 7.25), (7.3, 3603.5)]
    assert record.text.startswith("Sam Jones: Hello")

    rows = imported(run, review_path, path, extra=["--interviewer", "Sam Jones"])
    assert [(r["speaker"], r["role"], r["t_start"], r["t_end"]) for r in rows] == [
        ("Sam Jones", "interviewer", 1.0, 7.25), ("Jane Smith", "participant", 7.3, 3603.5)]
    assert not any("color" in r["text"] or "Teams" in r["text"] for r in rows)


def test_vtt_inline_speakers_and_unlabelled_continuation(tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text(
        "WEBVTT\n\n1\n00:00:02.000 --> 00:00:05.000\nAlex (Healthwatch): What support did you get?\n\n"
        "2\n00:00:05.500 --> 00:00:09.000\nMaria: Almost none, to be honest.\n\n"
        "3\n00:00:09.000 --> 00:00:12.000\nThe social worker left and nobody replaced her.\n\n"
        "4\n00:00:12.500 --> 00:00:14.000\n- ALEX: Thank you.\n", encoding="utf-8")
    record = only(read_vtt(path, ImportOptions(interviewer=["Alex (Healthwatch)", "ALEX"])))
    assert spoken(record) == [
        ("Alex (Healthwatch)", "interviewer", "What support did you get?"),
        ("Maria", "participant", "Almost none, to be honest. The social worker left and nobody replaced her."),
        ("ALEX", "interviewer", "Thank you."),
    ]
    assert record.turns[1].t_start == 5.5 and record.turns[1].t_end == 12.0


def test_vtt_without_blank_line_after_header(tmp_path):
    path = tmp_path / "tight.vtt"
    path.write_text("WEBVTT\n00:00:01.000 --> 00:00:02.000\n<v Ann>One.</v>\n\n"
                    "00:00:03.000 --> 00:00:04.000\n<v Ben>Two.</v>\n", encoding="utf-8")
    record = only(read_vtt(path, ImportOptions()))
    assert spoken(record) == [("Ann", "participant", "One."), ("Ben", "participant", "Two.")]


def test_srt_speaker_prefixes(tmp_path, run, review_path):
    path = tmp_path / "radio.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,500\nJANE: I waited six weeks\nfor a call back.\n\n"
        "2\n00:00:03,600 --> 00:00:06,000\n[Interviewer] Did you complain?\n\n"
        "3\n00:00:06,100 --> 00:00:09,000\n<i>[Jane]</i> Yes, to PALS.\n\n"
        "4\n00:01:00,000 --> 00:01:02,000\n{\\an8}They never replied.\n", encoding="utf-8")
    record = only(read_srt(path, ImportOptions()))
    assert spoken(record) == [
        ("JANE", "participant", "I waited six weeks for a call back."),
        ("Interviewer", "interviewer", "Did you complain?"),
        ("Jane", "participant", "Yes, to PALS. They never replied."),
    ]
    assert [(t.t_start, t.t_end) for t in record.turns] == [(1.0, 3.5), (3.6, 6.0), (6.1, 62.0)]
    rows = imported(run, review_path, path)
    assert len(rows) == 3


def test_captions_without_speakers_are_grouped_into_paragraphs(tmp_path):
    cues = [f"{i}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\nSentence number {i} is here." for i in range(1, 6)]
    cues.append("6\n00:00:30,000 --> 00:00:31,000\nAfter a long pause.")
    path = tmp_path / "nospeakers.srt"
    path.write_text("\n\n".join(cues) + "\n", encoding="utf-8")
    record = only(read_srt(path, ImportOptions()))
    assert record.kind == "transcript"
    assert [record.text[t.start:t.end] for t in record.turns] == [
        " ".join(f"Sentence number {i} is here." for i in range(1, 6)), "After a long pause."]
    assert (record.turns[0].t_start, record.turns[0].t_end) == (1.0, 5.9)


def test_long_turns_are_split_into_sentences_with_exact_offsets(tmp_path, run, review_path):
    sentence = "The discharge lounge had no chairs left and we waited for hours without any food or drink."
    cues = [f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v Pat>{sentence}</v>" for i in range(12)]
    path = tmp_path / "long.vtt"
    path.write_text("WEBVTT\n\n" + "\n\n".join(cues) + "\n", encoding="utf-8")
    rows = imported(run, review_path, path)
    assert len(rows) == 12  # one merged turn of 1,100 characters, split into its sentences
    assert {r["text"] for r in rows} == {sentence}
    assert {(r["speaker"], r["t_start"], r["t_end"]) for r in rows} == {("Pat", 0.0, 11.9)}


# ---------------------------------------------------------------- .docx

def test_docx_plain_paragraphs(tmp_path, run, review_path):
    path = write_docx(tmp_path / "carers.docx", [
        "Carers' group, 12 June", "",
        "Facilitator: What would make the biggest difference?",
        "Ade: Respite. Proper respite, booked more than a week ahead.",
        "It's the not knowing that wears you down.",
        "Facilitator: Thank you.",
    ], table=[["Attendees", "4"], ["Venue", "Library"]])  # not a transcript: ignored
    record = only(read_docx(path, ImportOptions()))
    assert spoken(record) == [
        (None, "other", "Carers' group, 12 June"),
        ("Facilitator", "facilitator", "What would make the biggest difference?"),
        ("Ade", "participant", "Respite. Proper respite, booked more than a week ahead.\n\n"
                               "It's the not knowing that wears you down."),
        ("Facilitator", "facilitator", "Thank you."),
    ]
    assert "Library" not in record.text
    rows = imported(run, review_path, path)
    assert len(rows) == 4


def test_docx_teams_classic_cues(tmp_path, run, review_path):
    path = write_docx(tmp_path / "teams-classic.docx", [
        "0:0:0.0 --> 0:0:5.120\nSmith, Jane (NHS North)\nMorning all, thanks for joining.",
        "0:0:5.120 --> 0:0:9.800\nSmith, Jane (NHS North)\nLet's start with waiting times.",
        "0:0:10.0 --> 0:1:2.500\nOmar Khan\nThe wait for the memory clinic was eleven months.",
    ])
    record = only(read_docx(path, ImportOptions()))
    assert record.meta["layout"] == "teams-cues"
    assert spoken(record) == [
        ("Smith, Jane (NHS North)", "participant", "Morning all, thanks for joining. Let's start with waiting times."),
        ("Omar Khan", "participant", "The wait for the memory clinic was eleven months."),
    ]
    assert [(t.t_start, t.t_end) for t in record.turns] == [(0.0, 9.8), (10.0, 62.5)]
    rows = imported(run, review_path, path, extra=["--interviewer", "Smith, Jane (NHS North)"])
    assert [r["role"] for r in rows] == ["interviewer", "participant"]


def test_docx_teams_current_export(tmp_path):
    path = write_docx(tmp_path / "teams.docx", [
        "Community mental health listening event-20240605_140003-Meeting Recording",
        "June 5, 2024, 1:00PM\n46m 12s",
        "Sam Jones started transcription",
        "Sam Jones   0:03\nWelcome. Please tell us about crisis support.",
        "Lee   0:41\nI called the crisis line three times.",
        "Lee   1:02\nNobody called back.",
        "Sam Jones   1:02:09\nThank you, Lee.",
        "Sam Jones stopped transcription",
    ], title="Crisis support listening event")
    record = only(read_docx(path, ImportOptions(interviewer=["Sam Jones"])))
    assert (record.meta["layout"], record.title, record.date) == ("teams", "Crisis support listening event",
                                                                  "2024-06-05")
    assert spoken(record) == [
        (None, "other", "Community mental health listening event-20240605_140003-Meeting Recording\n"
                        "June 5, 2024, 1:00PM\n46m 12s"),
        ("Sam Jones", "interviewer", "Welcome. Please tell us about crisis support."),
        ("Lee", "participant", "I called the crisis line three times.\nNobody called back."),
        ("Sam Jones", "interviewer", "Thank you, Lee."),
    ]
    assert [(t.t_start, t.t_end) for t in record.turns[1:]] == [(3.0, 41.0), (41.0, 3729.0), (3729.0, None)]


def test_docx_teams_clock_times(tmp_path):
    path = write_docx(tmp_path / "teams-clock.docx", [
        "Jane Smith  3:21 PM", "How was the home visit?",
        "Bob  3:22 PM", "Late, but good when they came.",
        "Jane Smith  4:01 PM", "Thanks, Bob.",
    ])
    record = only(read_docx(path, ImportOptions()))
    assert [(t.speaker, t.t_start) for t in record.turns] == [("Jane Smith", 0), ("Bob", 60), ("Jane Smith", 2400)]


def test_docx_zoom_exports(tmp_path, run, review_path):
    bracket = write_docx(tmp_path / "zoom-a.docx", [
        "[Kim Lee] 00:00:04", "Can you describe the night you were discharged?",
        "[Ravi] 00:00:09", "It was past midnight.", "My son drove two hours.",
        "[Kim Lee] 00:01:15", "I'm sorry to hear that.",
    ])
    record = only(read_docx(bracket, ImportOptions(interviewer=["kim lee"])))
    assert record.meta["layout"] == "zoom"
    assert spoken(record) == [
        ("Kim Lee", "interviewer", "Can you describe the night you were discharged?"),
        ("Ravi", "participant", "It was past midnight.\nMy son drove two hours."),
        ("Kim Lee", "interviewer", "I'm sorry to hear that."),
    ]
    assert [t.t_start for t in record.turns] == [4, 9, 75]

    inline = write_docx(tmp_path / "zoom-b.docx", [
        "00:01:02 Kim Lee: And your GP?", "00:01:09 Ravi: Didn't get the letter for a fortnight."])
    record = only(read_docx(inline, ImportOptions()))
    assert [(t.speaker, t.t_start, t.t_end) for t in record.turns] == [("Kim Lee", 62, 69), ("Ravi", 69, None)]
    assert record.text[record.turns[1].start:record.turns[1].end] == "Didn't get the letter for a fortnight."
    rows = imported(run, review_path, bracket, inline)
    assert len(rows) == 5


def test_docx_table_transcript(tmp_path):
    path = write_docx(tmp_path / "table.docx", ["Interview 7 (transcribed by agency)"], table=[
        ["Time", "Speaker", "Text"],
        ["00:00:05", "Interviewer", "What matters most to you?"],
        ["00:00:11", "Beth", "Being listened to."],
        ["00:00:20", "Beth", "And not repeating my story."],
    ])
    record = only(read_docx(path, ImportOptions()))
    assert record.meta["layout"] == "table"
    assert spoken(record) == [
        (None, "other", "Interview 7 (transcribed by agency)"),
        ("Interviewer", "interviewer", "What matters most to you?"),
        ("Beth", "participant", "Being listened to.\nAnd not repeating my story."),
    ]
    assert (record.turns[2].t_start, record.turns[2].t_end) == (11, None)


def test_docx_without_speakers_is_a_document_of_paragraphs(tmp_path):
    path = write_docx(tmp_path / "letter.docx", [
        "Dear Healthwatch,", "", "We met at 3:21", "The nurse came at 4:05",
        "My father was discharged at night.\nNobody told us."])
    record = only(read_docx(path, ImportOptions()))
    assert (record.kind, record.meta["layout"], record.title, record.date) == (
        "document", "paragraphs", "letter", None)
    assert [record.text[t.start:t.end] for t in record.turns] == [
        "Dear Healthwatch,", "We met at 3:21", "The nurse came at 4:05",
        "My father was discharged at night.\nNobody told us."]


# ---------------------------------------------------------------- many files, re-import

def test_directory_of_mixed_formats_in_one_command(tmp_path, run, review_path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.txt").write_text("Interviewer: Hi.\nParticipant: Hello.\n", encoding="utf-8")
    (folder / "b.md").write_text("**Q:** Why?\n\n**A:** Because.\n", encoding="utf-8")
    (folder / "c.vtt").write_text("WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Yes.</v>\n", encoding="utf-8")
    (folder / "d.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nBOB: No.\n", encoding="utf-8")
    write_docx(folder / "e.docx", ["Interviewer: Anything else?", "Cath: That's all."])
    result = run("import", review_path, *sorted(folder.iterdir()))
    assert result.exit_code == 0, result.output
    assert query(review_path, "SELECT format, n_documents FROM sources ORDER BY id") == [
        ("txt", 1), ("md", 1), ("vtt", 1), ("srt", 1), ("docx", 1)]
    rows = segments(review_path)
    assert [r["speaker"] for r in rows] == ["Interviewer", "Participant", "Q", "A", "Ann", "BOB", "Interviewer", "Cath"]


def test_reimport_changes_nothing_and_says_so(tmp_path, run, review_path):
    path = tmp_path / "teams.vtt"
    path.write_text(TEAMS_VTT, encoding="utf-8")
    imported(run, review_path, path)
    before = snapshot(review_path)
    result = run("import", review_path, path)
    assert result.exit_code == 0
    assert f"{path}: already imported as source 1; nothing changed." in result.output
    assert snapshot(review_path) == before


def test_two_hour_recording_in_three_formats(tmp_path, run, review_path):
    """The benchmark's seeded 1,500-cue recording as .vtt, Teams .docx and .txt: the same
    speakers and start times whichever format it arrives in, and every offset exact."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import bench_transcripts

    files = bench_transcripts.write_all(tmp_path, 1500)
    rows = imported(run, review_path, files["vtt"], files["docx"], files["txt"])
    by_doc = {}
    for row in rows:
        by_doc.setdefault(row["external_id"] + str(row["document_id"]), []).append(row)
    vtt, teams, txt = by_doc.values()
    assert [(r["speaker"], r["t_start"], r["text"]) for r in vtt] == [
        (r["speaker"], r["t_start"], r["text"]) for r in teams]
    assert len(vtt) > 372 and vtt[-1]["t_end"] > 7000  # long turns split into sentences; 2 hours long
    assert {r["role"] for r in vtt if r["speaker"] == "Sam (Healthwatch)"} == {"participant"}
    assert len(txt) == 1500 and txt[0]["speaker"] == "Sam (Healthwatch)"


# ---------------------------------------------------------------- bad input

def _fails(run, review: Path, path: Path, message: str) -> None:
    """The exact one-line error, exit code 1, and the review unchanged."""
    before = snapshot(review)
    result = run("import", review, path)
    assert result.exit_code == 1
    assert result.output == f"Error: {path}: {message}\n"
    assert snapshot(review) == before


@pytest.fixture
def seeded(tmp_path, run, review_path) -> Path:
    """A review that already holds one transcript, so 'unchanged' means something."""
    path = tmp_path / "seed.txt"
    path.write_text("Interviewer: Hello.\nP1: Hi.\n", encoding="utf-8")
    imported(run, review_path, path)
    return review_path


@pytest.mark.parametrize("name, content", [("empty.txt", b""), ("blank.md", b"  \n\n\t\n"), ("empty.vtt", b""),
                                           ("empty.srt", b"\n")])
def test_empty_transcript(tmp_path, run, seeded, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    _fails(run, seeded, path, "the file is empty: there is no transcript text to import.")


def test_vtt_without_header(tmp_path, run, seeded):
    path = tmp_path / "noheader.vtt"
    path.write_text("1\n00:00:01.000 --> 00:00:02.000\nHello\n", encoding="utf-8")
    _fails(run, seeded, path, "line 1: not a WebVTT file: the first line must be 'WEBVTT'. If this is a SubRip "
                              "file, rename it to .srt.")


def test_vtt_broken_timestamp(tmp_path, run, seeded):
    path = tmp_path / "broken.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nHello\n\n2\n00:00:02.000 --> 00:00:3,500\nBye\n",
                    encoding="utf-8")
    _fails(run, seeded, path, "line 8: cannot read the cue timing '00:00:02.000 --> 00:00:3,500'; expected "
                              "'00:00:01.000 --> 00:00:04.000'. Fix the timestamp.")


def test_vtt_cue_without_timing_and_backwards_cue(tmp_path, run, seeded):
    path = tmp_path / "notiming.vtt"
    path.write_text("WEBVTT\n\n1\nHello there\n", encoding="utf-8")
    _fails(run, seeded, path, "line 3: expected a cue timing line like '00:00:01.000 --> 00:00:04.000', found "
                              "'1'. Check for a missing blank line or a broken cue.")
    path = tmp_path / "backwards.vtt"
    path.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nHello\n", encoding="utf-8")
    _fails(run, seeded, path, "line 3: the cue ends (00:00:02.000) before it starts (00:00:05.000). "
                              "Fix the timestamp.")


def test_vtt_without_cues(tmp_path, run, seeded):
    path = tmp_path / "headeronly.vtt"
    path.write_text("WEBVTT\n\nNOTE nothing was said\n", encoding="utf-8")
    _fails(run, seeded, path, "no captions: the file has no cues with words. Export the transcript again.")


def test_srt_broken_timing(tmp_path, run, seeded):
    path = tmp_path / "broken.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n\n2\n00:00:02 --> soon\nBye\n", encoding="utf-8")
    _fails(run, seeded, path, "line 6: cannot read the cue timing '00:00:02 --> soon'; expected "
                              "'00:00:01,000 --> 00:00:04,000'. Fix the timestamp.")


def test_docx_not_a_zip(tmp_path, run, seeded):
    path = tmp_path / "renamed.docx"
    path.write_text("Interviewer: this is really a text file\n", encoding="utf-8")
    _fails(run, seeded, path, "not a valid .docx file (it is not a zip archive; it may be corrupt or renamed). "
                              "Open and re-save it, or export again.")


def test_docx_encrypted(tmp_path, run, seeded):
    path = tmp_path / "protected.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)  # an OLE container, as Office encrypts
    _fails(run, seeded, path, "this .docx is password-protected or in the old binary format. Open it in Office, "
                              "remove the password (or Save As .docx) and import again.")


def test_docx_corrupt(tmp_path, run, seeded):
    good = write_docx(tmp_path / "good.docx", [f"Ann: paragraph {i} about the ward and the discharge lounge."
                                               for i in range(300)])
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("word/document.xml")
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(body + 40, body + 400):
        data[i] ^= 0x5A
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(bytes(data))
    _fails(run, seeded, damaged, "corrupt .docx file: its compressed data is damaged. Open it in Word and save it "
                                 "again, or export it again.")
    wrong = tmp_path / "wrong.docx"
    with zipfile.ZipFile(wrong, "w") as z:
        z.writestr("notes.txt", "a zip, but not a Word document")
    _fails(run, seeded, wrong, "not a Word document: There is no item named '[Content_Types].xml' in the "
                               "archive. Open it in Word and save it again as .docx.")


def _docx_with_part(tmp_path: Path, name: str, part: str, data: bytes) -> Path:
    """A real .docx with one part replaced."""
    base = write_docx(tmp_path / "base.docx", ["Ann: hello"])
    path = tmp_path / name
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, data if item.filename == part else src.read(item))
    return path


def test_docx_zip_bomb_refused_quickly(tmp_path, run, seeded):
    bomb = _docx_with_part(tmp_path, "bomb.docx", "word/document.xml", b"<" + b" " * (24 << 20))
    with zipfile.ZipFile(bomb) as z:
        part = z.getinfo("word/document.xml")
    started = time.perf_counter()
    _fails(run, seeded, bomb, f"refused: part 'word/document.xml' unpacks {part.file_size // part.compress_size}x "
                              "(a zip bomb?). Re-save the file from Office.")
    assert time.perf_counter() - started < 2


def test_docx_billion_laughs_refused_quickly(tmp_path, run, seeded):
    laughs = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n' + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
    ) + b']>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p>' \
        b'<w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>'
    path = _docx_with_part(tmp_path, "laughs.docx", "word/document.xml", laughs)
    started = time.perf_counter()
    _fails(run, seeded, path, "refused: XML part 'word/document.xml' declares a DTD or entities, which Office "
                              "never writes (an XML bomb?).")
    assert time.perf_counter() - started < 2


def test_docx_dtd_hidden_after_a_long_comment_is_refused(tmp_path, run, seeded):
    xml = (b'<?xml version="1.0"?>\n<!--' + b"x" * 10000 + b'-->\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">\n'
           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<w:document xmlns:w="http://schemas.openxmlformats.org/'
           b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Ann: &b;</w:t></w:r></w:p></w:body></w:document>')
    path = _docx_with_part(tmp_path, "hidden.docx", "word/document.xml", xml)
    _fails(run, seeded, path, "refused: XML part 'word/document.xml' declares a DTD or entities, which Office "
                              "never writes (an XML bomb?).")


def test_binary_file_named_txt(tmp_path, run, seeded):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    _fails(run, seeded, path, "this is a binary file, not text. Export the transcript as .txt, .docx, .vtt or .srt.")


def test_bad_front_matter_date(tmp_path, run, seeded):
    path = tmp_path / "dated.md"
    path.write_text("---\ndate: last Tuesday\n---\nInterviewer: Hi.\nP2: Hello.\n", encoding="utf-8")
    _fails(run, seeded, path, "front matter date 'last Tuesday' is not a date. Write it as YYYY-MM-DD.")
