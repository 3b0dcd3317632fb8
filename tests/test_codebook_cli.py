"""`rapidreview codebook ...` end to end: new, validate, load, show, diff, export, import,
merge, split, archive, delete; errors as one line and exit code 1."""

from __future__ import annotations

import json

from conftest import ROOT

NHS = ROOT / "codebooks" / "nhs-patient-experience.yaml"


def test_new_validate_load_show_diff_export(tmp_path, review_path, run):
    book = tmp_path / "my-codebook.yaml"
    result = run("codebook", "new", book, "--name", "Access review")
    assert result.exit_code == 0 and book.exists()
    assert run("codebook", "new", book).exit_code == 1  # no overwrite without --force
    result = run("codebook", "validate", book)
    assert result.exit_code == 0 and "ok ('Access review', 4 codes)" in result.output
    result = run("codebook", "load", review_path, book)
    assert result.exit_code == 0 and "as version 1 (4 added)" in result.output
    assert "unchanged (version 1)" in run("codebook", "load", review_path, book).output
    book.write_text(book.read_text().replace("name: Waiting", "name: Waiting times"), encoding="utf-8")
    result = run("codebook", "diff", review_path, book)
    assert "~ waiting: renamed 'Waiting' -> 'Waiting times'" in result.output
    assert "as version 2" in run("codebook", "load", review_path, book).output
    result = run("codebook", "diff", review_path)
    assert result.output.strip() == "~ waiting: renamed 'Waiting' -> 'Waiting times'"
    result = run("codebook", "show", review_path)
    assert "    Waiting times  [waiting]" in result.output and "[category]" in result.output
    versions = json.loads(run("codebook", "show", review_path, "--versions", "--json").output)
    assert [v["version"] for v in versions] == [1, 2]
    result = run("codebook", "export", review_path)
    assert result.output.startswith("name: Access review\n") and "name: Waiting times" in result.output
    qdc = tmp_path / "out.qdc"
    assert run("codebook", "export", review_path, "-o", qdc).exit_code == 0
    assert b"urn:QDA-XML:codebook:1.0" in qdc.read_bytes()
    listed = json.loads(run("codebook", "list", review_path, "--json").output)
    assert [(b["name"], b["version"], b["codes"]) for b in listed] == [("Access review", 2, 4)]


def test_validate_reports_every_file_and_fails(tmp_path, run):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncodes:\n  - key: A b\n    name: A\n", encoding="utf-8")
    result = run("codebook", "validate", NHS, bad)
    assert result.exit_code == 1
    assert "nhs-patient-experience.yaml: ok" in result.output
    assert "bad.yaml: line 3, codes[0] (A b).key: 'A b': a key is a lower-case slug" in result.output


def test_merge_split_archive_delete(tmp_path, review_path, run):
    book = tmp_path / "b.yaml"
    run("codebook", "new", book)
    run("codebook", "load", review_path, book)
    result = run("codebook", "merge", review_path, "waiting", "--into", "getting-appointment")
    assert result.exit_code == 0 and "Merged waiting into getting-appointment" in result.output
    result = run("codebook", "split", review_path, "staff-attitude", "--into", "kind:Kind staff",
                 "--into", "rude:Rude staff", "--json")
    assert json.loads(result.output)["into"] == ["kind", "rude"]
    result = run("codebook", "split", review_path, "kind", "--into", "oops")
    assert result.exit_code == 2 and "use KEY:NAME" in result.output
    assert run("codebook", "archive", review_path, "rude").exit_code == 0
    assert "Deleted kind" in run("codebook", "delete", review_path, "kind").output
    result = run("codebook", "delete", review_path, "nope")
    assert result.exit_code == 1 and result.output.startswith("Error: unknown code 'nope'")


def test_import_qdc_and_write_yaml(tmp_path, review_path, run):
    src = tmp_path / "in.qdc"
    src.write_bytes(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="11111111-1111-1111-1111-'
                    b'111111111111" name="Parking" isCodable="true"/></Codes></CodeBook>')
    out = tmp_path / "kept.yaml"
    result = run("codebook", "import", review_path, src, "--name", "From NVivo", "-o", out)
    assert result.exit_code == 0, result.output
    assert "guid: 11111111-1111-1111-1111-111111111111" in out.read_text()
    assert "unchanged (version 1)" in run("codebook", "load", review_path, out).output
    result = run("codebook", "import", review_path, tmp_path / "missing.qdc")
    assert result.exit_code == 2


def test_load_refusal_is_one_clear_line(tmp_path, review_path, run, db):
    book = tmp_path / "b.yaml"
    run("codebook", "new", book)
    run("codebook", "load", review_path, book)
    doc_source = db.execute("INSERT INTO sources (path, name, sha256, format, imported_at) VALUES "
                            "('x', 'x', 'x', 'csv', 'now')").lastrowid
    doc = db.execute("INSERT INTO documents (source_id, external_id, kind, text) VALUES (?, 'D1', 'survey', "
                     "'Waited.')", [doc_source]).lastrowid
    db.conn.commit()
    assert run("apply", review_path, "waiting", "--document", "D1", "--start", 0, "--end", 6).exit_code == 0
    book.write_text(book.read_text().replace("key: waiting", "key: waits"), encoding="utf-8")
    result = run("codebook", "load", review_path, book)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "waiting ('Waiting', 1 codings)" in result.output
    assert doc
    result = run("codebook", "load", review_path, book, "--archive-missing")
    assert "Archived (they left the file but have codings): waiting" in result.output
