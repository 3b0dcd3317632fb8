"""What the review already knows about a theme's members: the codes applied to them,
their sentiment, their attributes (service, group, question, wave), and redaction.

Reads only; one query per kind of fact for the whole run, so it stays fast at 100k.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import sqlite_utils

SENTIMENT_WORDS = {"positive", "negative", "neutral", "mixed", "very positive", "very negative",
                   "neutral or mixed", "neutral/mixed"}
MAX_VALUES = 25  # attributes with more distinct values (ids, free text) are not broken down


def segment_codes(db: sqlite_utils.Database, segment_ids: list[int]) -> tuple[dict, dict, dict]:
    """(segment id -> code ids (not sentiment), segment id -> sentiment name, code id -> name).
    A coding counts when it is not rejected and covers the segment (same segment or
    overlapping span)."""
    wanted = set(segment_ids)
    codes, sentiment = defaultdict(set), {}
    names, is_sentiment = {}, set()
    for cid, name, group, parent in db.execute(
            "SELECT c.id, c.name, c.group_name, p.name FROM codes c LEFT JOIN codes p ON p.id = c.parent_id"):
        names[cid] = name
        if (group or "").casefold() == "sentiment" or (parent or "").casefold() == "sentiment" \
                or name.casefold() in SENTIMENT_WORDS:
            is_sentiment.add(cid)
    rows = db.execute("""
        SELECT s.id, c.code_id FROM codings c JOIN segments s ON s.document_id = c.document_id
        WHERE c.status != 'rejected'
          AND (c.segment_id = s.id OR (c.segment_id IS NULL AND c.start < s."end" AND c."end" > s.start))""")
    for seg, code in rows:
        if seg not in wanted:
            continue
        if code in is_sentiment:
            sentiment[seg] = names[code]
        else:
            codes[seg].add(code)
    if not sentiment:
        sentiment = _sentiment_attribute(db, wanted)
    return codes, sentiment, names


def _sentiment_attribute(db, wanted: set[int]) -> dict:
    """Fallback: an imported attribute such as 'Comment sentiment'."""
    rows = db.execute("""SELECT s.id, a.value FROM attributes a JOIN segments s ON s.document_id = a.document_id
                         WHERE a.name LIKE '%sentiment%' AND a.value IS NOT NULL AND a.value != ''""")
    return {seg: value for seg, value in rows if seg in wanted}


def segment_attributes(db: sqlite_utils.Database, segments) -> dict[str, dict[int, str]]:
    """attribute name -> {segment id: value}, for attributes worth a breakdown, plus
    'question', 'wave' and 'source'."""
    by_doc = defaultdict(list)
    for s in segments:
        by_doc[s.document_id].append(s.id)
    out: dict[str, dict[int, str]] = defaultdict(dict)
    for doc, name, value in db.execute("SELECT document_id, name, value FROM attributes WHERE value IS NOT NULL"):
        for seg in by_doc.get(doc, ()):
            out[name][seg] = " ".join(str(value).split())
    batches = dict(db.execute("SELECT id, coalesce(batch, name) FROM sources"))
    for s in segments:
        if s.question:
            out["question"][s.id] = " ".join(s.question.split())
        out["source"][s.id] = batches.get(s.source_id)
    keep = {}
    for name, values in out.items():
        distinct = set(values.values())
        if "sentiment" in name.casefold() or len(distinct) < 2 or len(distinct) > MAX_VALUES:
            continue
        keep[name] = values
    return keep


def overlapping_codes(member_ids, codes: dict, names: dict, base_rate: Counter, n_total: int,
                      top: int = 5) -> list[dict]:
    """The codes most applied to a theme's members, with share and lift over the run."""
    counts = Counter(c for s in member_ids for c in codes.get(s, ()))
    n = max(1, len(member_ids))
    rows = []
    for code, count in counts.most_common():
        share = count / n
        lift = share / (base_rate[code] / n_total) if base_rate[code] else None
        rows.append({"code": names.get(code, str(code)), "count": count, "share": round(share, 3),
                     "lift": round(lift, 2) if lift else None})
    rows.sort(key=lambda r: (-r["count"], r["code"]))
    return rows[:top]


def mix(member_ids, values: dict) -> dict:
    """Counts of each value among the members (those with a value)."""
    c = Counter(values[s] for s in member_ids if s in values)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def redacted_words(db: sqlite_utils.Database, document_ids) -> set[str]:
    """Lower-cased words inside redacted spans of these documents: never to be shown as
    a key term (or used as a keyword rule when a theme becomes a code)."""
    from .vectorize import lemma, words

    wanted = set(document_ids)
    out: set[str] = set()
    for doc, start, end, text in db.execute(
            "SELECT r.document_id, r.start, r.\"end\", d.text FROM redactions r "
            "JOIN documents d ON d.id = r.document_id WHERE coalesce(r.reviewed, '') != 'undone'"):
        if doc in wanted:
            out.update(w for word in words(text[start:end]) for w in (word, lemma(word)))
    return out


def redactor(db: sqlite_utils.Database):
    """A function (document_id, start, end, span_text) -> the span as it may be shown:
    with the review's redactions applied where there are any. Documents without
    redactions skip the lookup; the rest go through rapidreview.privacy's
    `redacted_text` (the one definition of a redacted span), or, in a build without
    the privacy package, the `redactions` layer applied here the same way."""
    try:
        from ..privacy import redacted_text
    except ImportError:  # pragma: no cover - privacy ships with rapidreview
        redacted_text = None
    spans = defaultdict(list)
    if db["redactions"].exists():
        for doc, start, end, repl in db.execute(
                "SELECT document_id, start, \"end\", replacement FROM redactions "
                "WHERE coalesce(reviewed, '') != 'undone' ORDER BY document_id, start"):
            spans[doc].append((start, end, repl))

    def show(document_id: int, start: int, end: int, span_text: str) -> str:
        """`span_text` is the document's text[start:end]."""
        if document_id not in spans:
            return span_text
        if redacted_text is not None:
            return redacted_text(db, document_id, start, end)
        out, pos = [], start
        for a, b, repl in spans.get(document_id, ()):
            if b <= pos or a >= end:
                continue
            a = max(a, pos)
            out.append(span_text[pos - start:a - start])
            out.append(repl)
            pos = min(b, end)
        out.append(span_text[pos - start:])
        return "".join(out)

    return show
