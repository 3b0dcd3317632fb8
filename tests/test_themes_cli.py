"""`rapidreview themes ...` end to end through the CLI."""

from __future__ import annotations

import csv
import json
import random
import shutil

import pytest
from click.testing import CliRunner
from test_themes import _answers, build

from rapidreview.cli import cli


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("themes_cli") / "base.db"
    build(path, _answers(random.Random(2), 15)).conn.close()
    return path


@pytest.fixture
def review(base_db, tmp_path):
    path = tmp_path / "review.db"
    shutil.copy(base_db, path)
    return path


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_run_prints_a_table_and_stores_the_run(review):
    result = invoke("themes", review, "--k", "4", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Theme run 1: 60 segments, k=4, seed 1" in result.output
    assert "label" in result.output and "example" in result.output
    listing = invoke("themes", "list", review)
    assert listing.exit_code == 0 and "\n1 " in listing.output


def test_json_and_csv_output(review):
    data = json.loads(invoke("themes", review, "--k", "4", "--json").output)
    assert data["k"] == 4 and len([t for t in data["themes"] if t["kind"] == "theme"]) == 4
    assert all(t["quotes"] for t in data["themes"])
    rows = list(csv.DictReader(invoke("themes", "show", review, "--csv").output.splitlines()))
    assert len(rows) == 4 and rows[0]["quote_1"]


def test_auto_k_reports_its_choice(review):
    result = invoke("themes", review, "--k", "auto", "--json")
    assert result.exit_code == 0, result.output
    choice = json.loads(result.output)["details"]["k_choice"]
    assert sum(r["chosen"] for r in choice) == 1
    assert all("stability" in r and "silhouette" in r for r in choice)


def test_export_one_row_per_segment(review, tmp_path):
    assert invoke("themes", review, "--k", "4").exit_code == 0
    out = tmp_path / "themes.csv"
    result = invoke("themes", "export", review, "--format", "csv", "-o", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert len(rows) == 60 and {"theme", "label", "segment_id", "document"} <= set(rows[0])
    out_json = tmp_path / "themes.json"
    assert invoke("themes", "export", review, "--format", "json", "-o", out_json).exit_code == 0
    assert len(json.loads(out_json.read_text())) == 60


def test_show_rename_merge_split_promote_compare(review):
    assert invoke("themes", review, "--k", "4").exit_code == 0
    shown = invoke("themes", "show", review, "--theme", "1")
    assert shown.exit_code == 0 and "quotes:" in shown.output and "key terms:" in shown.output
    renamed = invoke("themes", "rename", review, "1", "Kind staff")
    assert renamed.exit_code == 0 and "Kind staff" in renamed.output
    assert "Kind staff *" in invoke("themes", "show", review).output
    merged = invoke("themes", "merge", review, "2", "3", "--label", "Two in one")
    assert merged.exit_code == 0 and "Merged into theme 2: Two in one" in merged.output
    split = invoke("themes", "split", review, "2")
    assert split.exit_code == 0 and split.output.count("Theme ") == 2
    promoted = invoke("themes", "promote", review, "1", "--code", "kind-staff")
    assert promoted.exit_code == 0, promoted.output
    assert "suggested codings" in promoted.output
    assert invoke("themes", review, "--k", "4").exit_code == 0
    compared = invoke("themes", "compare", review, "1", "2")
    assert compared.exit_code == 0 and "status" in compared.output


@pytest.mark.parametrize("args, message", [
    (["--within", "Acces"], "unknown code 'Acces'; did you mean 'Access'?"),
    (["--k", "40"], "too few for 40 themes"),
    (["--where", "Service=Nowhere"], "Available: 'Ambulance', 'Hospital'"),
    (["--where", "Service"], "write ATTRIBUTE=VALUE"),
    (["--from", "2099-01-01"], "no segments match the selection"),
    (["--k", "many"], "give a number of themes"),
])
def test_bad_input_is_one_clear_line(review, args, message):
    result = invoke("themes", review, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_edit_commands_on_a_review_without_runs(review):
    result = invoke("themes", "show", review)
    assert result.exit_code == 1
    assert "no theme runs yet" in result.output
    assert invoke("themes", "merge", review, "1", "2").exit_code == 1


def test_help_teaches_with_examples():
    for sub in ["run", "show", "list", "export", "merge", "split", "rename", "promote", "compare"]:
        result = invoke("themes", sub, "--help")
        assert result.exit_code == 0 and "Example:" in result.output, sub
