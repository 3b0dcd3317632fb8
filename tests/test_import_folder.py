"""A folder on the command line imports the readable files in it, in one transaction."""

from __future__ import annotations

from conftest import snapshot


def test_folder_imports_every_readable_file(tmp_path, review_path, run):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "a.txt").write_text("INTERVIEWER: How was it?\nJo: The nurses were kind.\n", encoding="utf-8")
    (folder / "b.md").write_text("Q: And the GP?\nA: I could never get through at 8am.\n", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4 not ours")  # ignored: not a format we read
    result = run("import", review_path, folder, "--json")
    assert result.exit_code == 0, result.output
    assert snapshot(review_path)["sources"] == 2
    assert snapshot(review_path)["documents"] == 2


def test_a_bad_file_in_a_folder_keeps_the_others_out(tmp_path, review_path, run):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.txt").write_text("Jo: Fine.\n", encoding="utf-8")
    (folder / "b.vtt").write_text("not a caption file\n", encoding="utf-8")
    result = run("import", review_path, folder)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert snapshot(review_path).get("documents", 0) == 0
