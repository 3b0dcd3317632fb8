"""The detectors on the privacy corpus (corpora/privacy): recall per kind and look-alikes
kept, against the targets of issue 5. Figures: bench/bench_privacy.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapidreview.privacy.evaluate import score

CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "privacy"
STRUCTURED = ["nhs_number", "phone", "email", "postcode", "ni_number"]


@pytest.fixture(scope="module")
def result():
    return score(CORPUS)


def test_corpus_is_big_enough(result):
    assert result.units >= 300
    assert set(result.planted) >= {*STRUCTURED, "name", "address", "date_of_birth", "url"}
    assert result.lookalikes >= 100


@pytest.mark.parametrize("kind", STRUCTURED)
def test_structured_identifiers_all_found(result, kind):
    assert result.recall(kind) == 1.0, [m for m in result.missed if m[1] == kind]


@pytest.mark.parametrize("kind", ["name", "address"])
def test_names_and_addresses(result, kind):
    assert result.recall(kind) >= 0.95, [m for m in result.missed if m[1] == kind]


def test_dates_and_urls(result):
    assert result.recall("date_of_birth") >= 0.95
    assert result.recall("url") >= 0.95


def test_lookalikes_survive(result):
    assert result.lost_share <= 0.10, result.lost
