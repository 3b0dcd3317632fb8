"""Quote safety: only redacted text, never from withdrawn or non-consenting respondents,
and never from groups smaller than N."""

from __future__ import annotations

import pytest
from test_privacy_redact import import_comments

from rapidreview import privacy
from rapidreview.errors import NotFound, RapidReviewError

ROWS = [
    ("R1", "Dr Patel was kind to us in the GP surgery.", "GP"),
    ("R2", "The GP never rings back, I am fed up. Zebracorn.", "GP"),
    ("R3", "Waited 9 hours in A&E with Zainab my daughter.", "A&E"),
    ("R4", "Maternity was lovely, Amara the midwife was brilliant.", "Maternity"),
    ("R5", "Long wait at the GP for a blood test.", "GP"),
]


def test_withdrawn_respondent_never_appears(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    privacy.withdraw(db, "R2", reason="asked by email")
    texts = [s["text"] for s in privacy.publishable_segments(db)]
    assert len(texts) == 4 and not any("Zebracorn" in t for t in texts)
    assert all("Patel" not in t and "Zainab" not in t and "Amara" not in t for t in texts)
    withdrawn_doc = [d for d in range(1, 6) if d not in privacy.publishable_documents(db)]
    assert len(withdrawn_doc) == 1
    with pytest.raises(RapidReviewError, match="withdrew"):
        privacy.quote(db, withdrawn_doc[0], 0, 10)
    privacy.reinstate(db, "R2")
    assert any("Zebracorn" in s["text"] for s in privacy.publishable_segments(db))
    assert "respondent.withdraw" in [r[0] for r in db.execute("SELECT action FROM events")]


def test_consent_refused_is_excluded(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    privacy.set_consent(db, "R2", False)
    assert not any("Zebracorn" in s["text"] for s in privacy.publishable_segments(db))
    assert len(privacy.excluded_respondents(db)) == 1
    assert [r["respondent"] for r in privacy.respondents(db, only_excluded=True)] == ["R2"]
    with pytest.raises(NotFound, match="respondents list"):
        privacy.withdraw(db, "nobody")


def test_small_groups_withheld(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    privacy.redact(db)
    out = privacy.publishable_segments(db, min_group=3, group_attr="Service")
    assert {s["group"]["Service"] for s in out} == {"GP"} and len(out) == 3
    # a withdrawal shrinks the group below the threshold: all its quotes go
    privacy.withdraw(db, "R5")
    assert privacy.publishable_segments(db, min_group=3, group_attr="Service") == []
    assert len(privacy.publishable_segments(db, min_group=2, group_attr="Service")) == 2


def test_quotes_need_redaction_first(db, tmp_path):
    import_comments(db, tmp_path, ROWS)
    with pytest.raises(privacy.RedactionNeeded):
        privacy.publishable_segments(db)
    with pytest.raises(RapidReviewError, match="not been checked"):
        privacy.quote(db, 1, 0, 5)
    privacy.redact(db)
    assert privacy.quote(db, 1, 0, 8) == "Dr [NAME 1]"
