"""Codebook files and versions: validation with lines, load as versions, diff, rename,
merge, split, archive, delete, and adoption of codes an import created."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import ROOT, snapshot

from rapidreview import codebook as cb
from rapidreview import import_files
from rapidreview.ingest import ImportOptions

STARTERS = sorted((ROOT / "codebooks").glob("*.yaml"))

BOOK = """\
name: Test book
codes:
  - key: access
    name: Access
    codable: false
    children:
      - key: waiting
        name: Waiting
        colour: "#ff7f0e"
        examples: ["Waited four hours.", "Seen on time."]
        rules:
          keywords: [wait, delay]
          patterns:
            - [{LEMMA: wait}, {LIKE_NUM: true}, {LOWER: hours}]
          exclude: [no wait]
          min_matches: 1
      - key: phone
        name: Getting through
  - key: staff
    name: Staff attitude
    rules: {keywords: [kind, rude]}
  - key: parking
    name: Parking
"""


def codings(db, key):
    return db.execute("SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id WHERE c.key = ?",
                      [key]).fetchone()[0]


@pytest.fixture
def survey(db, tmp_path):
    """Three answers imported with codes (coder 'import'), so codings exist."""
    path = tmp_path / "survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ID", "Answer", "Codes"])
        w.writerow(["R1", "I waited four hours and the staff were rude.", "Waiting; Staff attitude"])
        w.writerow(["R2", "Could not park anywhere.", "Parking"])
        w.writerow(["R3", "Kind staff, no wait at all.", "Staff attitude"])
    import_files(db, [path], ImportOptions(text=["Answer"], id="ID", codes=["Codes"]))
    return db


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.name)
def test_starter_codebooks_validate_and_are_complete(path):
    book = cb.read(path)
    codable = [c for c, _, _ in book.walk() if c.codable]
    assert len(codable) >= 15
    for code in codable:
        assert code.description and code.include and code.exclude, code.key
        assert len(code.examples) >= 2, code.key
        assert code.colour and code.rules.get("keywords"), code.key
    assert book.credit


def test_nhs_codebook_names_match_fft_labels(fft_dev):
    with open(fft_dev, encoding="utf-8") as f:
        header = next(csv.reader(f))
    labels = header[header.index("Comment sentiment") + 1:]
    book = cb.read(ROOT / "codebooks" / "nhs-patient-experience.yaml")
    names = {c.name for c, _, _ in book.walk() if c.codable}
    assert names == set(labels)


def test_template_validates():
    book = cb.loads_yaml(cb.template("My review"))
    assert book.name == "My review"
    assert book.by_key()["getting-appointment"].rules["patterns"]


def test_yaml_round_trip_keeps_content():
    book = cb.loads_yaml(BOOK)
    again = cb.loads_yaml(cb.dumps_yaml(book))
    assert again == book
    assert again.sha256() == book.sha256()


def test_bad_yaml_names_line_and_field():
    bad = BOOK.replace('colour: "#ff7f0e"', "colour: orange").replace("name: Parking", "name: Parking\n    desciption: x")
    with pytest.raises(cb.CodebookError) as e:
        cb.loads_yaml(bad, path="book.yaml")
    text = str(e.value)
    assert "line 9, codes[0].children[0] (waiting).colour" in text
    assert "#rrggbb" in text
    assert "line 24" in text and "unknown field 'desciption'" in text


def test_syntax_error_names_line():
    with pytest.raises(cb.CodebookError, match=r"book.yaml: line 5: not valid YAML.*flow sequence that starts at line 4"):
        cb.loads_yaml("name: x\ncodes:\n  - key: a\n    name: [unclosed\n", path="book.yaml")


def test_duplicate_key_and_name_clash_are_reported():
    bad = BOOK.replace("key: phone", "key: waiting").replace("name: Parking", "name: staff ATTITUDE")
    with pytest.raises(cb.CodebookError) as e:
        cb.loads_yaml(bad)
    text = str(e.value)
    assert "line 17" in text and "duplicate key 'waiting' (first at line 7)" in text
    assert "line 23" in text and "clashes with 'Staff attitude'" in text


def test_field_given_twice_is_an_error():
    with pytest.raises(cb.CodebookError, match="line 5.*'name' is given twice"):
        cb.loads_yaml("name: x\ncodes:\n  - key: a\n    name: A\n    name: B\n")


def test_rule_pattern_that_does_not_compile():
    bad = BOOK.replace("{LIKE_NUM: true}", "{LIKE_NUMBER: true}")
    with pytest.raises(cb.CodebookError) as e:
        cb.loads_yaml(bad)
    assert "line 14" in str(e.value) and "rules.patterns[0]" in str(e.value)
    assert "spaCy Matcher cannot compile" in str(e.value)


def test_numbers_where_text_is_needed_say_to_quote():
    with pytest.raises(cb.CodebookError, match='put it in quotes: "111"'):
        cb.loads_yaml(BOOK.replace("[kind, rude]", "[kind, 111]"))


def test_imported_is_a_reserved_name():
    with pytest.raises(cb.CodebookError, match="reserved"):
        cb.loads_yaml(BOOK.replace("name: Test book", "name: imported"))


# ---------------------------------------------------------------- versions


def test_load_change_load_makes_version_two_and_diff_shows_it(db):
    book = cb.loads_yaml(BOOK)
    first = cb.load_codebook(db, book)
    assert (first.version, first.changed) == (1, True)
    assert len(first.diff.added) == 5
    again = cb.load_codebook(db, cb.loads_yaml(BOOK))
    assert (again.version, again.changed) == (1, False)
    changed = cb.loads_yaml(BOOK.replace("name: Getting through", "name: Getting through by phone")
                            .replace("[kind, rude]", "[kind, rude, polite]") + "  - key: cost\n    name: Cost\n")
    second = cb.load_codebook(db, changed)
    assert second.version == 2
    lines = cb.diff_versions(db).lines()
    assert "+ cost: Cost" in lines
    assert "~ phone: renamed 'Getting through' -> 'Getting through by phone'" in lines
    assert any(line.startswith("~ staff: rules:") for line in lines)
    assert [v["version"] for v in cb.versions(db)] == [1, 2]
    rules = json.loads(db.execute("SELECT rules FROM codes WHERE key = 'waiting'").fetchone()[0])
    assert rules == {"keywords": ["wait", "delay"], "patterns": [[{"LEMMA": "wait"}, {"LIKE_NUM": True},
                     {"LOWER": "hours"}]], "exclude": ["no wait"], "min_matches": 1}
    row = db.execute("SELECT codable, group_name, position, guid, parent_id FROM codes WHERE key = 'phone'").fetchone()
    assert row[0] == 1 and row[2] == 1 and row[3] and row[4] is not None
    assert db.execute("SELECT count(*) FROM events WHERE action = 'codebook.load'").fetchone()[0] == 2


def test_rename_keeps_codings(survey):
    db = survey
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    assert codings(db, "staff") == 2
    code_id = db.execute("SELECT id FROM codes WHERE key = 'staff'").fetchone()[0]
    result = cb.load_codebook(db, cb.loads_yaml(BOOK.replace("name: Staff attitude", "name: Staff manner")))
    assert result.diff.renamed == [{"key": "staff", "old": "Staff attitude", "new": "Staff manner"}]
    assert db.execute("SELECT id, name FROM codes WHERE key = 'staff'").fetchone() == (code_id, "Staff manner")
    assert codings(db, "staff") == 2


def test_loading_adopts_imported_codes_with_their_codings(survey):
    db = survey
    assert cb.codebook_names(db) == ["imported"]
    ids = dict(db.execute("SELECT name, id FROM codes").fetchall())
    book = BOOK.replace("name: Parking", "name: PARKING")  # matched case-insensitively
    result = cb.load_codebook(db, cb.loads_yaml(book))
    assert sorted(result.adopted) == ["PARKING", "Staff attitude", "Waiting"]
    assert cb.codebook_names(db) == ["Test book"]  # the emptied 'imported' codebook is gone
    assert db.execute("SELECT id FROM codes WHERE key = 'parking'").fetchone()[0] == ids["Parking"]
    assert (codings(db, "waiting"), codings(db, "staff"), codings(db, "parking")) == (1, 2, 1)


def test_imported_codes_that_match_nothing_are_listed_with_nearest(survey):
    db = survey
    result = cb.load_codebook(db, cb.loads_yaml(BOOK.replace("name: Parking", "name: Car parking")))
    assert [u["name"] for u in result.unmatched] == ["Parking"]
    assert result.unmatched[0]["nearest"][0] == "Car parking"
    assert "imported" in cb.codebook_names(db)


def test_delete_with_codings_refused_unless_archived(survey, review_path):
    db = survey
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    without_parking = BOOK.replace("  - key: parking\n    name: Parking\n", "")
    before = snapshot(review_path)
    with pytest.raises(cb.CodebookError, match=r"parking \('Parking', 1 codings\).*--archive-missing"):
        cb.load_codebook(db, cb.loads_yaml(without_parking))
    assert snapshot(review_path) == before
    with pytest.raises(cb.CodebookError, match="has 1 codings.*archive"):
        cb.delete_code(db, "parking")
    result = cb.load_codebook(db, cb.loads_yaml(without_parking), archive_missing=True)
    assert result.archived == ["parking"]
    assert db.execute("SELECT archived FROM codes WHERE key = 'parking'").fetchone() == (1,)
    assert codings(db, "parking") == 1
    back = cb.load_codebook(db, cb.loads_yaml(BOOK))  # back in the file: live again, with its codings
    assert "'parking' was archived" in back.warnings[0]
    assert db.execute("SELECT archived FROM codes WHERE key = 'parking'").fetchone() == (0,)
    assert codings(db, "parking") == 1


def test_code_without_codings_is_deleted_when_it_leaves_the_file(db):
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    result = cb.load_codebook(db, cb.loads_yaml(BOOK.replace("  - key: parking\n    name: Parking\n", "")))
    assert result.deleted == ["parking"]
    assert db.execute("SELECT count(*) FROM codes WHERE key = 'parking'").fetchone() == (0,)


def test_merge_repoints_codings_and_folds_duplicates(survey):
    db = survey
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    # R1 carries both 'waiting' and 'staff' on the same span by the same coder: one must fold.
    result = cb.merge_codes(db, ["waiting"], "staff")
    assert (result["moved"], result["collided"]) == (0, 1)
    result = cb.merge_codes(db, ["parking"], "Staff attitude")
    assert result["moved"] == 1
    assert codings(db, "staff") == 3 and codings(db, "waiting") == 0
    staff = db.execute("SELECT id FROM codes WHERE key = 'staff'").fetchone()[0]
    assert db.execute("SELECT archived, merged_into FROM codes WHERE key = 'waiting'").fetchone() == (1, staff)
    assert result["version"] == 3
    assert "- waiting: Waiting" in cb.diff_versions(db, None, 1, 3).lines()
    with pytest.raises(cb.CodebookError, match="into itself"):
        cb.merge_codes(db, ["staff"], "staff")


def test_split_repoints_codings_to_the_chosen_code(survey):
    db = survey
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    result = cb.split_code(db, "staff", [("staff-kind", "Kind staff"), ("staff-rude", "Rude staff")],
                           codings_to="staff-rude")
    assert result["moved"] == 2
    assert (codings(db, "staff"), codings(db, "staff-rude"), codings(db, "staff-kind")) == (0, 2, 0)
    assert db.execute("SELECT archived FROM codes WHERE key = 'staff'").fetchone() == (1,)
    kept = cb.split_code(db, "waiting", [("wait-short", "Short wait"), ("wait-long", "Long wait")], keep_parent=True)
    assert kept["moved"] == 1
    parent = db.execute("SELECT id, codable, archived FROM codes WHERE key = 'waiting'").fetchone()
    assert parent[1:] == (0, 0)
    assert db.execute("SELECT parent_id FROM codes WHERE key = 'wait-long'").fetchone() == (parent[0],)
    with pytest.raises(cb.CodebookError, match="already taken"):
        cb.split_code(db, "parking", [("phone", "Phone again")])


def test_archive_and_undo(survey):
    db = survey
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    result = cb.archive_code(db, "access")
    assert result["codes"] == 3  # the heading and its two children
    assert codings(db, "waiting") == 1  # archived, codings kept
    assert [c.key for c, _, _ in cb.codebook_from_db(db).walk()] == ["staff", "parking"]
    cb.archive_code(db, "access", undo=True)
    assert len(list(cb.codebook_from_db(db).walk())) == 5


def test_find_code_suggests_nearest(db):
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    with pytest.raises(cb.NotFound, match="did you mean 'parking'"):
        cb.find_code(db, "parkin")


def test_exported_codebook_loads_back_unchanged(db):
    cb.load_codebook(db, cb.loads_yaml(BOOK))
    exported = cb.dumps_yaml(cb.codebook_from_db(db))
    assert "guid: " in exported
    again = cb.load_codebook(db, cb.loads_yaml(exported))
    assert (again.changed, again.version) == (False, 1)


def test_duplicate_guids_are_reported():
    guid = "1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294"
    bad = BOOK.replace("name: Waiting\n", f"name: Waiting\n        guid: {guid}\n").replace(
        "name: Parking", f"name: Parking\n    guid: '{{{guid.lower()}}}'")
    with pytest.raises(cb.CodebookError, match=r"line 25, codes\[2\] \(parking\)\.guid: .*also used by 'waiting'"):
        cb.loads_yaml(bad)


def test_fft_import_then_nhs_codebook_adopts_every_code(fft_dev, db):
    import_files(db, [fft_dev], ImportOptions(text=["FFT answer"], id="Comment ID", respondent="Respondent ID",
                                              question_col="FFT question", codes=["Not assigned.."]))
    before = db.execute("SELECT count(*) FROM codings").fetchone()[0]
    result = cb.load_codebook(db, cb.read(ROOT / "codebooks" / "nhs-patient-experience.yaml"))
    assert len(result.adopted) >= 40 and result.unmatched == []
    assert cb.codebook_names(db) == ["NHS patient experience"]
    kept = db.execute("""SELECT count(*) FROM codings g JOIN codes c ON c.id = g.code_id
                         JOIN codebooks b ON b.id = c.codebook_id WHERE b.name = 'NHS patient experience'""").fetchone()
    assert kept[0] == before > 5000
