"""Transcript import benchmark: a seeded 2-hour recording (about 1,500 cues) as .vtt,
as a classic Teams .docx and as a .txt, each imported into a fresh review.

    python bench/bench_transcripts.py            # 1,500 cues
    python bench/bench_transcripts.py --cues 6000

Figures per format: time to parse (reader only), time to import (reader, writer,
sentence splitting of long turns, FTS, one transaction), segments written, and the
ratio of our import time to a raw `sqlite_utils` `insert_all` of the same segment rows
into a fresh file, measured in the same run (the baseline does none of our work).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import docx
import sqlite_utils

from rapidreview import store
from rapidreview.ingest import ImportOptions, import_files
from rapidreview.ingest.transcripts import read_docx, read_text, read_vtt
from rapidreview.nlp import sentence_spans

REPEAT = 3  # best of three: the machine is shared

SPEAKERS = ["Sam (Healthwatch)", "Priya", "Tom", "Maria", "Lee"]
PHRASES = [
    "I rang the surgery at eight and the line was engaged", "nobody explained what the new tablets were for",
    "the discharge letter arrived two weeks later", "my carer's hours were cut without any warning",
    "the receptionist was kind but there were no appointments", "I waited nine hours in the discharge lounge",
    "the crisis team never called me back", "we had to chase the personal budget ourselves",
    "the community nurse was brilliant with my dad", "the app kept logging me out",
]


def cues(n: int, seed: int = 7):
    """(start, end, speaker, words): n cues over about 4.8 s each (2 hours for 1,500)."""
    rng = random.Random(seed)
    t, speaker = 0.0, SPEAKERS[0]
    for _ in range(n):
        if rng.random() < 0.3:
            speaker = rng.choice(SPEAKERS)
        length = rng.uniform(3.5, 5.5)
        words = ", and ".join(rng.sample(PHRASES, rng.randint(1, 2))).capitalize() + rng.choice([".", "?", "."])
        yield t, t + length, speaker, words
        t += length + rng.uniform(0.1, 0.5)


def stamp(t: float, sep: str = ".") -> str:
    h, rest = divmod(t, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}".replace(".", sep)


def write_all(folder: Path, n: int) -> dict[str, Path]:
    data = list(cues(n))
    vtt = folder / "recording.vtt"
    vtt.write_text("WEBVTT\n\n" + "\n\n".join(
        f"{i}\n{stamp(a)} --> {stamp(b)}\n<v {who}>{words}</v>" for i, (a, b, who, words) in enumerate(data, 1))
        + "\n", encoding="utf-8")
    document = docx.Document()
    for a, b, who, words in data:
        p = document.add_paragraph(f"{stamp(a)} --> {stamp(b)}")
        for line in (who, words):
            run = p.add_run()
            run.add_break()
            run.add_text(line)
    teams = folder / "recording.docx"
    document.save(teams)
    txt = folder / "recording.txt"
    txt.write_text("\n".join(f"[{stamp(a)[:8]}] {who}: {words}" for a, b, who, words in data) + "\n",
                   encoding="utf-8")
    return {"vtt": vtt, "docx": teams, "txt": txt}


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=1500)
    args = parser.parse_args()
    readers = {"vtt": read_vtt, "docx": read_docx, "txt": read_text}
    options = ImportOptions(interviewer=["Sam (Healthwatch)"])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = write_all(folder, args.cues)
        list(sentence_spans(["Load the spaCy pipeline once. Then time."]))
        print(f"{args.cues} cues, about {args.cues * 4.8 / 3600:.1f} hours of recording")
        print(f"{'format':6} {'bytes':>9} {'parse s':>8} {'import s':>9} {'turns':>6} {'segments':>9} "
              f"{'raw insert s':>13} {'ratio':>6}")
        for fmt, path in files.items():
            parse_s = min(timed(lambda: list(readers[fmt](path, options)))[1] for _ in range(REPEAT))
            record = list(readers[fmt](path, options))[0]
            import_s, raw_s = [], []
            for i in range(REPEAT):
                db = store.open_review(folder / f"{fmt}-{i}.db")
                results, seconds = timed(lambda: import_files(db, [path], options))
                import_s.append(seconds)
                rows = [dict(r) for r in db.query("SELECT document_id, seq, speaker, role, start, \"end\", "
                                                  "t_start, t_end, text FROM segments")]
                raw = sqlite_utils.Database(folder / f"{fmt}-raw-{i}.db")
                raw_s.append(timed(lambda: raw["segments"].insert_all(rows, batch_size=2000))[1])
            print(f"{fmt:6} {path.stat().st_size:9d} {parse_s:8.3f} {min(import_s):9.3f} {len(record.turns):6d} "
                  f"{results[0].counts['segments']:9d} {min(raw_s):13.4f} {min(raw_s) / min(import_s):6.3f}")

if __name__ == "__main__":
    sys.exit(main())
