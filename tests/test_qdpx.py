"""REFI-QDA projects (.qdpx): export validates against Project-mrt2019.xsd, a round trip
into a fresh review loses nothing the format can hold, the ATLAS.ti samples import, and
bad or hostile files are refused with the review left as it was."""

from __future__ import annotations

import csv
import json
import sqlite3
import xml.etree.ElementTree as ET
import zipfile

import pytest
from conftest import SHARED, snapshot

from rapidreview import codebook as cb
from rapidreview import demo, memos, store
from rapidreview.coding.manual import apply_code
from rapidreview.errors import InputError
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.interchange import ExportOptions, export_project

REFI = SHARED / "ref" / "refi-qda"
XSD = REFI / "Project-mrt2019.xsd"
SAMPLES = REFI / "samples"
P = "{urn:QDA-XML:project:1.0}"
EMOJI_TEXT = "Nurse 👩\u200d⚕️ Sam was brilliant 😀 but the wait 🕐 was long"
CODEBOOK = """
name: Small
codes:
  - key: access
    name: Access
    codable: false
    colour: "#1f77b4"
    description: Getting in.
    children:
      - key: waiting
        name: Waiting
        description: Time waiting.
        include: Queues.
        exclude: Phone queues.
        colour: "#ff7f0e"
  - key: staff
    name: Staff attitude
    group: people
"""


@pytest.fixture(scope="module")
def xsd():
    if not XSD.exists():
        pytest.skip(f"{REFI} is absent: the REFI-QDA schemas live in ../shared beside a project checkout")
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def _validate(schema, qdpx) -> list[str]:
    from lxml import etree

    with zipfile.ZipFile(qdpx) as z:
        doc = etree.fromstring(z.read("project.qde"), parser=etree.XMLParser(resolve_entities=False, no_network=True))
    return [] if schema.validate(doc) else [f"line {e.line}: {e.message}" for e in schema.error_log][:5]


def _small(db, tmp_path):
    """A review with what the format must carry: emoji, hierarchy, two coders, memos, cases."""
    path = tmp_path / "survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([
            ["ID", "Service", "Visits", "Answer"],
            ["R1", "GP", "3", EMOJI_TEXT],
            ["R2", "Dentist", "", "Could not get through on the phone.\r\nGave up."],
            ["R3", "GP", "12", "N/A"],
        ])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID", attrs=["Service", "Visits"], wave="2025-Q1"))
    cb.load_codebook(db, cb.loads_yaml(CODEBOOK))
    start = EMOJI_TEXT.index("the wait")
    apply_code(db, "waiting", codebook="Small", coder="alice", document="R1", quote="the wait 🕐 was long")
    apply_code(db, "waiting", codebook="Small", coder="bob", document="R1", start=start, end=len(EMOJI_TEXT))
    apply_code(db, "staff", codebook="Small", coder="alice", document="R1", quote="Sam was brilliant 😀")
    apply_code(db, "waiting", codebook="Small", coder="bob", document="R2", quote="Could not get through")
    seg = db.execute("SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id JOIN respondents r "
                     "ON r.id = d.respondent_id WHERE r.external_id = 'R2'").fetchone()[0]
    memos.add_memo(db, "document", "R1", "Named nurse: check consent.", author="alice")
    memos.add_memo(db, "code", "waiting", "Includes waits for transport.\r\nAnd on the phone?", author="bob",
                   codebook="Small")
    memos.add_memo(db, "segment", seg, "Phone access again.", author="bob")
    memos.add_memo(db, "review", None, "First pass done.", author="alice")
    return db


@pytest.fixture
def small(db, tmp_path):
    return _small(db, tmp_path)


@pytest.fixture(scope="module")
def demo_review(tmp_path_factory):
    """The demo review (built once), with people's codings and memos added."""
    directory = tmp_path_factory.mktemp("demo")
    demo.build(directory)
    db = store.open_review(directory / "review.db")
    _small(db, directory)
    yield directory / "review.db"
    db.conn.close()


# ---------------------------------------------------------------- comparing reviews


def _review(path) -> dict:
    """Everything the format can hold, keyed so two reviews can be compared exactly."""
    conn = sqlite3.connect(path)
    docs, keys = {}, {}
    for did, ext, src, meta, text, q, date, kind, title, answered, resp in conn.execute("""
            SELECT d.id, d.external_id, s.name, d.meta, d.text, d.question, d.date, d.kind, d.title, d.answered,
                   r.external_id FROM documents d JOIN sources s ON s.id = d.source_id
            LEFT JOIN respondents r ON r.id = d.respondent_id"""):
        meta = json.loads(meta)
        # After an import, the source file and the document's id in it are kept in meta.
        key = (meta.get("source_file", src), meta.get("qdpx_name", ext))
        keys[did] = key
        attrs = dict(conn.execute("SELECT name, value FROM attributes WHERE document_id = ?", [did]))
        docs[key] = (text, q, date, kind, title, answered, resp, attrs)
    codings = sorted((keys[d], s, e, code, coder) for d, s, e, code, coder in conn.execute(
        """SELECT g.document_id, g.start, g."end", k.name, g.coder FROM codings g JOIN codes k ON k.id = g.code_id
           WHERE g.status IN ('accepted', 'suggested')"""))
    codes = sorted(conn.execute("""
        SELECT b.name, k.name, p.name, k.description, k.include, k.exclude, lower(k.colour), k.codable, k.group_name
        FROM codes k JOIN codebooks b ON b.id = k.codebook_id LEFT JOIN codes p ON p.id = k.parent_id
        WHERE k.archived = 0"""), key=repr)
    notes = sorted(
        (target, keys.get(tid) if target in ("document",) else
         conn.execute("SELECT name FROM codes WHERE id = ?", [tid]).fetchone() if target == "code" else
         conn.execute('SELECT document_id, start, "end" FROM segments WHERE id = ?', [tid]).fetchone()[1:]
         if target == "segment" else None, author, text, created)
        for target, tid, author, text, created in conn.execute(
            "SELECT target, target_id, author, text, created_at FROM memos"))
    conn.close()
    return {"documents": docs, "codings": codings, "codes": codes, "memos": notes}


# ---------------------------------------------------------------- export


def test_demo_export_validates_against_the_xsd(demo_review, xsd, tmp_path):
    db = store.open_review(demo_review)
    out = tmp_path / "demo.qdpx"
    result = export_project(db, out, ExportOptions(suggestions=True))
    assert _validate(xsd, out) == []
    with zipfile.ZipFile(out) as z:
        root = ET.fromstring(z.read("project.qde"))
        sources = root.findall(f"{P}Sources/{P}TextSource")
        texts = {s.get("guid"): z.read(f"Sources/{s.get('guid')}.txt").decode("utf-8") for s in sources}
    n_docs, n_codes, n_codings = (db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                                  for t in ("documents", "codes", "codings WHERE status != 'rejected'"))
    assert len(sources) == result.counts["sources"] == n_docs
    assert len(root.findall(f".//{P}CodeBook//{P}Code")) == result.counts["codes"] == n_codes
    assert len(root.findall(f".//{P}PlainTextSelection/{P}Coding")) == result.counts["codings"] == n_codings
    # Every document's text is in the zip exactly, and the users are the coders.
    assert sorted(texts.values()) == sorted(r[0] for r in db.execute("SELECT text FROM documents"))
    assert {u.get("name") for u in root.iter(f"{P}User")} == \
        {r[0] for r in db.execute("SELECT coder FROM codings UNION SELECT author FROM memos")}
    db.conn.close()


def test_offsets_are_code_points_so_quotes_survive_emoji(small, tmp_path):
    out = tmp_path / "small.qdpx"
    export_project(small, out)
    with zipfile.ZipFile(out) as z:
        root = ET.fromstring(z.read("project.qde"))
        [source] = [s for s in root.iter(f"{P}TextSource") if s.get("name").startswith("R1")]
        text = z.read(f"Sources/{source.get('guid')}.txt").decode("utf-8")
    assert text == EMOJI_TEXT
    quotes = {text[int(s.get("startPosition")):int(s.get("endPosition"))]
              for s in source.iter(f"{P}PlainTextSelection")}
    assert quotes == {"the wait 🕐 was long", "Sam was brilliant 😀"}
    # Counting UTF-16 units instead would put the span elsewhere: the emoji before it are two units each.
    start = EMOJI_TEXT.index("the wait")
    assert len(EMOJI_TEXT[:start].encode("utf-16-le")) // 2 != start
    assert any(int(s.get("startPosition")) == start for s in source.iter(f"{P}PlainTextSelection"))


def test_export_is_deterministic_and_atomic(small, tmp_path):
    a, b = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    export_project(small, a)
    export_project(small, b)
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob("*.part"))


def test_withdrawn_respondents_stay_in_the_review(small, tmp_path, xsd):
    small.execute("UPDATE respondents SET withdrawn = 1 WHERE external_id = 'R1'")
    out = tmp_path / "w.qdpx"
    result = export_project(small, out)
    assert _validate(xsd, out) == []
    with zipfile.ZipFile(out) as z:
        names = {s.get("name").split(" |")[0] for s in ET.fromstring(z.read("project.qde")).iter(f"{P}TextSource")}
        texts = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("Sources/")]
    assert names == {"R2", "R3"} and EMOJI_TEXT not in texts
    assert result.left_out["documents of withdrawn respondents"] == 1


# ---------------------------------------------------------------- round trip


def test_demo_round_trip_is_exact(demo_review, tmp_path, xsd):
    db = store.open_review(demo_review)
    out = tmp_path / "demo.qdpx"
    export_project(db, out, ExportOptions(suggestions=True, name="demo"))
    db.conn.close()
    fresh = store.open_review(tmp_path / "fresh.db")
    [result] = import_files(fresh, [out])
    before, after = _review(demo_review), _review(tmp_path / "fresh.db")
    assert len(after["documents"]) == len(before["documents"]) == result.counts["documents"]
    assert after["documents"] == before["documents"]  # text exactly, fields, respondents, attributes
    assert after["codes"] == before["codes"]  # names, hierarchy, descriptions, criteria, colours, groups
    assert len(after["codings"]) == len(before["codings"]) == result.counts["codings"]
    assert after["codings"] == before["codings"]  # document, start, end, code, coder
    assert after["memos"] == before["memos"]
    # Exported again, the fresh review is the same project, byte for byte: same GUIDs, names, everything.
    again = tmp_path / "again.qdpx"
    export_project(fresh, again, ExportOptions(suggestions=True, name="demo"))
    assert again.read_bytes() == out.read_bytes()


def test_importing_the_same_project_twice_changes_nothing(small, tmp_path, review_path):
    out = tmp_path / "small.qdpx"
    export_project(small, out)
    other = store.open_review(tmp_path / "other.db")
    [first] = import_files(other, [out])
    assert first.counts["codings"] == 4 and first.counts["memos"] == 4
    before = snapshot(tmp_path / "other.db")
    [second] = import_files(other, [out])
    assert second.skipped and "already imported" in second.message()
    assert snapshot(tmp_path / "other.db") == before


def test_import_into_a_review_with_the_codebook_adds_nothing_twice(small, tmp_path):
    out = tmp_path / "small.qdpx"
    export_project(small, out)
    other = store.open_review(tmp_path / "other.db")
    cb.load_codebook(other, cb.loads_yaml(CODEBOOK.replace("name: Small", "name: small")))
    ids = dict(other.execute("SELECT name, id FROM codes"))
    import_files(other, [out])
    # The codings land on the codes already there (matched by GUID), and no code is added.
    assert dict(other.execute("SELECT name, id FROM codes")) == ids
    used = {r[0] for r in other.execute("SELECT DISTINCT code_id FROM codings")}
    assert used == {ids["Waiting"], ids["Staff attitude"]}


def test_codes_from_an_import_without_a_codebook_round_trip(db, review_path, tmp_path):
    """Codes a CSV import made (the reserved 'imported' codebook) come back as imported codes."""
    path = tmp_path / "fft.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["ID", "Answer", "Codes"], ["1", "No parking at all.", "Parking; Access"],
                                 ["2", "Kind staff.", "Staff"]])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID", codes=["Codes"]))
    out = tmp_path / "fft.qdpx"
    export_project(db, out)
    fresh = store.open_review(tmp_path / "fresh.db")
    import_files(fresh, [out])
    before, after = _review(review_path), _review(tmp_path / "fresh.db")
    assert after["codings"] == before["codings"] and len(after["codings"]) == 3
    assert after["codes"] == before["codes"]
    assert [r[0] for r in fresh.execute("SELECT name FROM codebooks")] == ["imported"]


def test_a_project_of_many_batches_keeps_every_coding_and_memo(db, review_path, tmp_path):
    """Codings are parked batch by batch while the project streams in, and find their codes at the end."""
    from rapidreview.ingest.write import BATCH

    path, names = tmp_path / "many.csv", ["Parking", "Staff", "Waiting", "Cost"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["ID", "Answer", "Codes"]] + [
            # The first batch has no codings: parking starts in the second.
            [str(i), f"Answer number {i} about the visit.",
             "; ".join(names[i % 4:i % 4 + 1 + i % 2]) if i >= BATCH else ""]
            for i in range(2 * BATCH + 500)])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID", codes=["Codes"]))
    last = db.execute("SELECT max(id) FROM documents").fetchone()[0]
    memos.add_memo(db, "document", last, "The last answer, in the last batch.", author="ana")
    out = tmp_path / "many.qdpx"
    export_project(db, out)
    fresh = store.open_review(tmp_path / "fresh.db")
    [result] = import_files(fresh, [out])
    before, after = _review(review_path), _review(tmp_path / "fresh.db")
    assert result.counts["documents"] == 2 * BATCH + 500
    assert after["codings"] == before["codings"] and len(after["codings"]) == result.counts["codings"] > BATCH
    assert [r[0] for r in fresh.execute("SELECT text FROM memos")] == ["The last answer, in the last batch."]
    assert not fresh.execute("SELECT name FROM temp.sqlite_master").fetchall()  # nothing parked is left


def test_cli_export_and_import(small, run, tmp_path, review_path):
    out = tmp_path / "cli.qdpx"
    result = run("export", review_path, "--format", "qdpx", "-o", out)
    assert result.exit_code == 0, result.output
    assert "3 sources" in result.output and "4 codings" in result.output
    result = run("import", tmp_path / "fresh.db", out)
    assert result.exit_code == 0, result.output
    assert "3 documents" in result.output and "4 codings" in result.output and "users (coders): alice, bob" in \
        result.output


# ---------------------------------------------------------------- the ATLAS.ti samples


@pytest.mark.parametrize("name", ["target-atlas-project.qdpx", "blank-atlas-project.qdpx"])
def test_atlas_samples_import(name, db, review_path, xsd):
    path = SAMPLES / name
    assert _validate(xsd, path) == []
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("project.qde"))
    users = sorted(u.get("name") for u in root.iter(f"{P}User"))
    codes = {c.get("guid"): c.get("name") for c in root.iter(f"{P}Code")}
    parents = {child.get("name"): parent.get("name") for parent in root.iter(f"{P}Code")
               for child in parent.findall(f"{P}Code")}
    [result] = import_files(db, [path])
    assert result.counts["documents"] == len(root.findall(f".//{P}TextSource"))
    assert result.counts["codes"] == len(codes) and result.counts["users"] == len(users)
    assert f"users (coders): {', '.join(users)}" in result.message()
    stored = dict(db.execute("SELECT guid, name FROM codes"))
    assert stored == codes  # the tool's own GUIDs are kept
    assert dict(db.execute("SELECT c.name, p.name FROM codes c JOIN codes p ON p.id = c.parent_id")) == parents
    if codes:
        assert db.execute("SELECT name FROM codebooks").fetchone()[0] == root.get("name")
    assert import_files(db, [path])[0].skipped


# ---------------------------------------------------------------- other tools' projects, leniently


def _qdpx(path, qde: str, files: dict | None = None):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde)
        for name, data in (files or {}).items():
            z.writestr(name, data)
    return path


FOREIGN = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Clinic study" origin="NVivo 14">
  <Users><User guid="{{AAAAAAAA-0000-4000-8000-000000000001}}" name="Jo"/></Users>
  <CodeBook><Codes>
    <Code guid="C0000000-0000-4000-8000-000000000001" name="Parking" isCodable="true" color="#0F0">
      <Code guid="C0000000-0000-4000-8000-000000000002" name="Cost" isCodable="true"/>
    </Code>
    <Code guid="C0000000-0000-4000-8000-000000000003" name="Cost" isCodable="true"/>
  </Codes></CodeBook>
  <Variables>
    <Variable guid="B0000000-0000-4000-8000-000000000001" name="Age" typeOfVariable="Integer"/>
  </Variables>
  <Cases>
    <Case guid="D0000000-0000-4000-8000-000000000001" name="Anna">
      <VariableValue><VariableRef targetGUID="B0000000-0000-4000-8000-000000000001"/><IntegerValue>42</IntegerValue>
      </VariableValue>
      <SourceRef targetGUID="E0000000-0000-4000-8000-000000000001"/>
    </Case>
  </Cases>
  <Sources>
    <TextSource guid="E0000000-0000-4000-8000-000000000001" name="Interview"
        plainTextPath="internal://e1.txt" richTextPath="internal://e1.docx">
      <Shiny>an element no schema knows</Shiny>
      <PlainTextSelection guid="F0000000-0000-4000-8000-000000000001" startPosition="{start}" endPosition="{end}">
        <Coding guid="F1000000-0000-4000-8000-000000000001" creatingUser="AAAAAAAA-0000-4000-8000-000000000001">
          <CodeRef targetGUID="c0000000-0000-4000-8000-000000000002"/></Coding>
        <Coding guid="F1000000-0000-4000-8000-000000000002" creatingUser="AAAAAAAA-0000-4000-8000-000000000001">
          <CodeRef targetGUID="99999999-0000-4000-8000-000000000009"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="F0000000-0000-4000-8000-000000000002" startPosition="5" endPosition="999">
        <Coding guid="F1000000-0000-4000-8000-000000000003"><CodeRef targetGUID="C0000000-0000-4000-8000-000000000001"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="E0000000-0000-4000-8000-000000000002" name="Interview"
        plainTextPath="absolute:///C:/Users/jo/Documents/e2.txt"/>
    <PDFSource guid="E0000000-0000-4000-8000-000000000003" name="Leaflet" path="internal://leaflet.pdf"/>
    <PictureSource guid="E0000000-0000-4000-8000-000000000004" name="Photo" path="internal://p.png"/>
  </Sources>
  <Notes>
    <Note guid="90000000-0000-4000-8000-000000000001" name="n" creatingUser="AAAAAAAA-0000-4000-8000-000000000001">
      <PlainTextContent>Remember the car park.</PlainTextContent></Note>
  </Notes>
</Project>
"""
INTERVIEW = "Interviewer: How was parking?\nAnna: Parking cost £8 😡 which is too much."


def test_other_tools_projects_import_leniently(db, tmp_path):
    quote = "Parking cost £8 😡"
    start = INTERVIEW.index(quote)
    qde = FOREIGN.replace("{{", "{").replace("}}", "}").replace("{start}", str(start)) \
        .replace("{end}", str(start + len(quote)))
    path = _qdpx(tmp_path / "nvivo.qdpx", qde, {
        "sources/e1.txt": "\ufeff" + INTERVIEW,  # a BOM, and a lower-case folder
        "Sources/e2.txt": "Second text, found by its file name.",
    })
    [result] = import_files(db, [path])
    text = result.message()
    assert result.counts["documents"] == 2 and result.counts["codings"] == 1
    assert "2 text sources" not in text and "1 PDF sources skipped" in text and "1 picture sources skipped" in text
    assert "1 codings skipped: their code is not in the project's codebook" in text
    assert "1 selections skipped: outside their source's text" in text and "5-999" in text
    assert "code 'Cost' appears twice" in text
    [(doc_text, quote_text, coder, code)] = db.execute("""
        SELECT d.text, substr(d.text, g.start + 1, g."end" - g.start), g.coder, k.name
        FROM codings g JOIN documents d ON d.id = g.document_id JOIN codes k ON k.id = g.code_id""").fetchall()
    assert (doc_text, quote_text, coder, code) == (INTERVIEW, quote, "Jo", "Cost")
    # The case is the respondent, its variables the attributes; speaker turns become segments.
    assert db.execute("""SELECT r.external_id, a.name, a.value FROM documents d JOIN respondents r
                         ON r.id = d.respondent_id JOIN attributes a ON a.document_id = d.id""").fetchall() == \
        [("Anna", "Age", "42")]
    assert [r[0] for r in db.execute("SELECT speaker FROM segments ORDER BY id") if r[0]] == ["Interviewer", "Anna"]
    assert sorted(r[0] for r in db.execute("SELECT external_id FROM documents")) == ["Interview", "Interview (2)"]
    assert db.execute("SELECT target, author, text FROM memos").fetchall() == \
        [("review", "Jo", "Remember the car park.")]


# ---------------------------------------------------------------- refused, with the review unchanged


BAD = {
    "not a zip": (lambda p: p.write_text("project, not really"), "not a valid .qdpx file"),
    "no project.qde": (lambda p: _zip(p, {"Sources/a.txt": "hello"}), "no project.qde"),
    "a codebook": (lambda p: _zip(p, {"project.qde": (SAMPLES / "atlas-codebook.qdc").read_text()}),
                   "this is a REFI-QDA codebook"),
    "wrong namespace": (lambda p: _zip(p, {"project.qde": '<Project xmlns="urn:other" name="x"/>'}),
                        "not a REFI-QDA project: project.qde's root element is <Project> in namespace 'urn:other'"),
    "traversal member": (lambda p: _zip(p, {"project.qde": _project(""), "../evil.txt": "x"}),
                         "points outside it"),
    "traversal path": (lambda p: _zip(p, {"project.qde": _project(
        '<TextSource guid="E0000000-0000-4000-8000-000000000001" plainTextPath="internal://../../etc/passwd"/>')}),
        "points outside the project"),
    "entity bomb": (lambda p: _zip(p, {"project.qde": '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]>'
                                                      '<Project xmlns="urn:QDA-XML:project:1.0" name="&a;"/>'}),
                    "DTD or entities"),
    "broken xml": (lambda p: _zip(p, {"project.qde": _project("<Sources>")}), "not well-formed XML"),
}


def _zip(path, files: dict):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)


def _project(sources: str) -> str:
    return f'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>{sources}</Sources></Project>'


@pytest.mark.parametrize("case", list(BAD))
def test_bad_projects_are_refused_and_change_nothing(case, small, review_path, tmp_path, run):
    make, message = BAD[case]
    path = tmp_path / "bad.qdpx"
    make(path)
    before = snapshot(review_path)
    with pytest.raises(InputError) as e:
        import_files(small, [path])
    assert message in str(e.value) and str(path) in str(e.value)
    assert snapshot(review_path) == before
    result = run("import", review_path, path)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "Traceback" not in result.output
    assert snapshot(review_path) == before
