"""Interchange: REFI-QDA .qdc (validated against Codebook.xsd, ATLAS.ti sample), CSV and XLSX."""

from __future__ import annotations

import pytest
from conftest import ROOT, SHARED

from rapidreview import codebook as cb

REFI = SHARED / "ref" / "refi-qda"
XSD = REFI / "Codebook.xsd"
ATLAS = REFI / "samples" / "atlas-codebook.qdc"
NHS = ROOT / "codebooks" / "nhs-patient-experience.yaml"


@pytest.fixture
def refi():
    if not XSD.exists():
        pytest.skip(f"{REFI} is absent: the REFI-QDA schemas live in ../shared beside a project checkout")
    return REFI


def _codes(book):
    return [(c.key, c.name, c.description, c.include, c.exclude, c.colour, c.codable, c.group)
            for c, _, _ in book.walk()]


@pytest.mark.parametrize("path", sorted((ROOT / "codebooks").glob("*.yaml")), ids=lambda p: p.name)
def test_qdc_export_validates_against_xsd_and_round_trips(refi, path):
    book = cb.read(path)
    data = cb.dumps_qdc(book)
    assert cb.validate_qdc(data, XSD) == []
    back = cb.loads_qdc(data, name=book.name)
    # Names, hierarchy, criteria, colours, headings and groups survive; keys are rebuilt from names.
    assert [c[1:] for c in _codes(back)] == [c[1:] for c in _codes(book)]
    # GUIDs are stable: made from (codebook, key) when the file gives none, and kept on import.
    assert [c.guid for c, _, _ in back.walk()] == [cb.make_guid(book.name, c.key) for c, _, _ in book.walk()]
    assert cb.dumps_qdc(book) == data


def test_atlas_sample_imports(refi):
    book = cb.read_qdc(ATLAS)
    [code] = book.codes
    assert (code.name, code.description, code.colour, code.group) == ("code1", "description", "#46aa00", "code group 1")
    assert code.guid == "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"
    assert "ATLAS.ti" in book.credit
    assert cb.validate_qdc(cb.dumps_qdc(book), XSD) == []


def test_loaded_qdc_keeps_guids_in_the_review(refi, db):
    cb.load_codebook(db, cb.read_qdc(ATLAS))
    assert db.execute("SELECT guid FROM codes").fetchone() == ("1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294",)
    exported = cb.loads_qdc(cb.dumps_qdc(cb.codebook_from_db(db)))
    assert exported.codes[0].guid == "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"


def test_guids_stay_when_a_yaml_codebook_is_reloaded(db):
    book = cb.read(NHS)
    cb.load_codebook(db, book)
    first = dict(db.execute("SELECT key, guid FROM codes").fetchall())
    book.codes[0].children[0].name = "Organisation and efficiency"
    cb.load_codebook(db, book)
    assert dict(db.execute("SELECT key, guid FROM codes").fetchall()) == first


def test_lenient_import_of_old_namespace_braced_guids_and_missing_iscodable():
    data = b"""<?xml version="1.0"?>
<CodeBook xmlns="urn:QDA-XML:codebook:0:4" origin="Old tool">
  <Codes>
    <Code guid="{1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294}" name="Parent" color="#0a0">
      <Code name="Child (no guid)" isCodable="true"><Description>About it.

Include: this

Exclude: that</Description></Code>
    </Code>
  </Codes>
</CodeBook>"""
    book = cb.loads_qdc(data, name="old")
    parent = book.codes[0]
    child = parent.children[0]
    assert (parent.colour, parent.codable, parent.guid) == ("#00aa00", True, "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294")
    assert (child.description, child.include, child.exclude) == ("About it.", "this", "that")
    assert child.guid == cb.make_guid("old", child.key)


def test_wrong_namespace_is_a_clear_error():
    with pytest.raises(cb.CodebookError, match="not a REFI-QDA codebook.*urn:example.*expected <CodeBook"):
        cb.loads_qdc(b'<CodeBook xmlns="urn:example"><Codes/></CodeBook>')
    with pytest.raises(cb.CodebookError, match="REFI-QDA project"):
        cb.loads_qdc(b'<Project xmlns="urn:QDA-XML:project:1.0"/>')
    with pytest.raises(cb.CodebookError, match="well-formed"):
        cb.loads_qdc(b"<CodeBook")


def test_unknown_and_duplicate_guids_are_errors():
    data = b"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>
      <Code guid="11111111-1111-1111-1111-111111111111" name="A" isCodable="true"/>
      <Code guid="11111111-1111-1111-1111-111111111111" name="B" isCodable="true"/>
    </Codes><Sets><Set guid="22222222-2222-2222-2222-222222222222" name="G">
      <MemberCode guid="33333333-3333-3333-3333-333333333333"/></Set></Sets></CodeBook>"""
    with pytest.raises(cb.CodebookError) as e:
        cb.loads_qdc(data)
    assert "used by two codes ('A' and 'B')" in str(e.value)
    assert "set 'G' lists a code GUID '33333333-3333-3333-3333-333333333333' that is not among the codes" in str(e.value)


def test_entities_are_not_expanded():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="11111111-1111-1111-1111-111111111111" name="&b;"
 isCodable="true"/></Codes></CodeBook>"""
    with pytest.raises(cb.CodebookError):
        cb.loads_qdc(bomb)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_table_round_trip(tmp_path, suffix):
    book = cb.read(NHS)
    path = tmp_path / f"codebook{suffix}"
    cb.write(book, path)
    back = cb.read(path, name=book.name)
    strip = [(c.key, c.name, c.description, c.include, c.exclude, c.examples, c.colour, c.codable, c.rules)
             for c, _, _ in book.walk()]
    assert [(c.key, c.name, c.description, c.include, c.exclude, c.examples, c.colour, c.codable, c.rules)
            for c, _, _ in back.walk()] == strip


def test_minimal_csv_with_parents_by_name(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("Code,Parent,Description\nWaiting,Access,Time waiting\nAccess,,Getting in\n"
                    "Phone,access,Getting through\n", encoding="utf-8")
    book = cb.read(path)
    assert book.name == "codes"
    [access] = book.codes
    assert (access.key, [c.key for c in access.children]) == ("access", ["waiting", "phone"])


def test_csv_errors_name_the_row(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,parent,colour\nA,,#123456\nB,Nowhere,\nC,,red\n", encoding="utf-8")
    with pytest.raises(cb.CodebookError) as e:
        cb.read(path)
    assert "row 3, parent: parent 'Nowhere' is not a code in this table" in str(e.value)
    path.write_text("code,colour\nA,#123456\nC,red\n", encoding="utf-8")
    with pytest.raises(cb.CodebookError, match=r"row 3, codes\[1\] \(c\)\.colour: 'red'"):
        cb.read(path)
    path.write_text("name,colur\nA,#123456\n", encoding="utf-8")
    with pytest.raises(cb.CodebookError, match="unknown column.*'colur'"):
        cb.read(path)
