"""Measure the detectors on an annotated corpus (corpora/privacy/ and any set like it).

A corpus directory holds comments (`*.csv`: an id column first, the text last),
plain-text transcripts (`*.txt`, one document per file), WebVTT files (`*.vtt`, one
document per file, the spoken words one cue a line) and `gold.jsonl`: one line per
planted span, {file, doc, kind, text, occurrence}; kind "keep" marks a look-alike that
must survive. A planted span is found when every character of it (but spaces) is inside
a redaction; a look-alike is lost when any redaction touches it.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .detectors import detect


def load_corpus(directory) -> tuple[dict[tuple[str, str], str], list[dict]]:
    """(file, doc) -> text, and the gold rows."""
    directory = Path(directory)
    docs = {}
    for path in sorted(directory.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            next(reader, None)
            for row in reader:
                if row:
                    docs[(path.name, row[0])] = row[-1]
    for path in sorted(directory.glob("*.txt")):
        docs[(path.name, path.name)] = path.read_text(encoding="utf-8")
    for path in sorted(directory.glob("*.vtt")):
        docs[(path.name, path.name)] = vtt_text(path.read_text(encoding="utf-8"))
    gold = [json.loads(line) for line in (directory / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return docs, gold


def vtt_text(body: str) -> str:
    out = []
    for line in body.splitlines():
        s = line.strip()
        if "-->" in s or not s or s == "WEBVTT" or s.isdigit():
            continue
        out.append(re.sub(r"</?v[^>]*>", "", line))
    return "\n".join(out)


@dataclass
class Score:
    found: Counter = field(default_factory=Counter)
    planted: Counter = field(default_factory=Counter)
    kept: int = 0
    lookalikes: int = 0
    missed: list = field(default_factory=list)
    lost: list = field(default_factory=list)
    units: int = 0

    def recall(self, kind: str) -> float:
        return self.found[kind] / self.planted[kind] if self.planted[kind] else 1.0

    @property
    def lost_share(self) -> float:
        return (self.lookalikes - self.kept) / self.lookalikes if self.lookalikes else 0.0

    def table(self) -> list[dict]:
        rows = [{"kind": k, "planted": self.planted[k], "found": self.found[k], "recall": round(self.recall(k), 3)}
                for k in sorted(self.planted)]
        rows.append({"kind": "look-alikes", "planted": self.lookalikes, "found": self.lookalikes - self.kept,
                     "recall": f"{self.lost_share:.1%} lost"})
        return rows


def score(directory, config=None, detect_fn=None) -> Score:
    """Run the detectors over every document and compare with the gold spans."""
    docs, gold = load_corpus(directory)
    detect_fn = detect_fn or (lambda text: detect(text, config))
    spans = {key: detect_fn(text) for key, text in docs.items()}
    result = Score(units=_units(docs))
    by_doc = defaultdict(list)
    for row in gold:
        by_doc[(row["file"], row["doc"])].append(row)
    for key, rows in by_doc.items():
        text = docs[key]
        covered = _covered(len(text), spans[key])
        for row in rows:
            at = _nth(text, row["text"], row["occurrence"])
            if at < 0:
                raise ValueError(f"gold span {row['text']!r} not found in {key}")
            chars = range(at, at + len(row["text"]))
            if row["kind"] == "keep":
                result.lookalikes += 1
                if not any(covered[i] for i in chars):
                    result.kept += 1
                else:
                    result.lost.append((key, row["text"], _context(text, at, len(row["text"]))))
                continue
            result.planted[row["kind"]] += 1
            if all(covered[i] or text[i].isspace() for i in chars):
                result.found[row["kind"]] += 1
            else:
                result.missed.append((key, row["kind"], row["text"], _context(text, at, len(row["text"]))))
    return result


def _units(docs) -> int:
    """Comments plus transcript turns (non-empty lines of transcripts)."""
    n = 0
    for (file, _), text in docs.items():
        n += 1 if file.endswith(".csv") else sum(1 for line in text.splitlines() if line.strip())
    return n


def _covered(length: int, spans) -> list[bool]:
    covered = [False] * length
    for s in spans:
        for i in range(s.start, s.end):
            covered[i] = True
    return covered


def _nth(text: str, needle: str, n: int) -> int:
    at = -1
    for _ in range(n + 1):
        at = text.find(needle, at + 1)
        if at < 0:
            return -1
    return at


def _context(text: str, at: int, length: int) -> str:
    return text[max(0, at - 40):at + length + 40].replace("\n", " ")
