"""Word (.docx) transcripts. Layouts recognised, in this order:

- Teams, classic:  "0:0:0.0 --> 0:0:5.120" / "Jane Smith" / "words" (or a <v> voice tag)
- Zoom:            "[Jane Smith] 10:02:11" / "words"
- Teams, current:  "Jane Smith   0:03" or "Jane Smith  3:21 PM" / "words"
- a table with speaker and text columns (and maybe a time column)
- anything else:   plain "Name: words" paragraphs (read like a .txt by the caller)

The caller has already checked the file with `safezip.check_office_file`.
"""

from __future__ import annotations

import re

from . import Utterance, merge_same_speaker
from .cues import _utterances as cue_utterances
from .speakers import TIME, is_name_word, match_speaker, seconds

_TEAMS_CUE = re.compile(r"[ \t]*(\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)[ \t]*-->[ \t]*(\d+:\d{1,2}:\d{1,2}(?:\.\d+)?)[ \t]*")
_ZOOM_HEADER = re.compile(r"[ \t]*\[([^\]]{1,80})\][ \t]+(\d{1,2}:\d{2}(?::\d{2})?)[ \t]*")
_TEAMS_HEADER = re.compile(r"[ \t]*(\S.{0,79}?)[ \t]+(\d{1,2}:\d{2}(?::\d{2})?)(?:[ \t]*([AaPp])\.?[Mm]\.?)?[ \t]*")
_NOTICE = re.compile(r".{1,80} (?:started|stopped) transcription\.?[ \t]*")
_TIME_CELL = re.compile(rf"[\[(]?{TIME}[\])]?")
SPEAKER_HEADINGS = {"speaker", "name", "who", "person", "speaker name"}
TEXT_HEADINGS = {"text", "transcript", "words", "utterance", "what was said", "content", "transcription", "speech"}
TIME_HEADINGS = {"time", "timestamp", "start", "start time", "time stamp"}


def read_docx_content(path) -> tuple[list[str], list[list[list[str]]], str | None]:
    """The body's paragraphs (a line break inside one reads as "\\n"), its tables, and the
    title in the document's properties."""
    import docx

    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    tables = []
    for table in document.tables:
        rows = []
        for row in table.rows:
            seen, cells = set(), []
            for cell in row.cells:  # a merged cell is listed once per grid column it spans
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    cells.append(cell.text.strip())
            rows.append(cells)
        tables.append(rows)
    return paragraphs, tables, (document.core_properties.title or "").strip() or None


def looks_like_name(text: str) -> bool:
    """Looser than a plain-text label: exports write names such as 'Smith, Jane (NHS)'."""
    text = text.strip()
    words = text.split()
    return (0 < len(text) <= 80 and len(words) <= 8 and any(c.isalpha() for c in text)
            and text[-1] not in ".?!:;," and all(is_name_word(w) for w in words) and not text[0].isdigit())


def export_layout(lines: list[str]) -> tuple[str, list[Utterance]] | None:
    """(layout name, utterances) for a Teams or Zoom export; None for plain paragraphs."""
    if any(_TEAMS_CUE.fullmatch(line) for line in lines):
        return "teams-cues", _teams_cues(lines)
    zoom = [_header(_ZOOM_HEADER, line) for line in lines]
    if sum(1 for h in zoom if h) >= 1:
        return "zoom", _by_headers(lines, zoom)
    teams = [_header(_TEAMS_HEADER, line) for line in lines]
    if sum(1 for h in teams if h) >= 2:
        return "teams", _by_headers(lines, teams)
    return None


def _header(pattern: re.Pattern, line: str):
    """(speaker, seconds, is a clock time) for a header line, else None."""
    m = pattern.fullmatch(line)
    if not m or not looks_like_name(m.group(1)) or match_speaker(line):
        return None
    stamp = m.group(2)
    ampm = m.group(3).lower() if pattern is _TEAMS_HEADER and m.group(3) else None
    if ampm is None:
        return m.group(1).strip(), seconds(stamp), False
    h, mnt, *sec = (int(x) for x in stamp.split(":"))
    return m.group(1).strip(), ((h % 12) + (12 if ampm == "p" else 0)) * 3600 + mnt * 60 + sum(sec), True


def _by_headers(lines: list[str], headers) -> list[Utterance]:
    preamble, out = [], []
    for line, header in zip(lines, headers):
        if header:
            out.append(Utterance(header[0], "", header[1]))
        elif not line.strip() or _NOTICE.fullmatch(line):
            continue
        elif out:
            out[-1].text = f"{out[-1].text}\n{line.strip()}" if out[-1].text else line.strip()
        else:
            preamble.append(line.strip())
    if out and any(h[2] for h in headers if h):
        # Clock times (3:21 PM) become seconds since the first turn, like recording times.
        first = out[0].t_start
        for u in out:
            u.t_start = (u.t_start - first) % 86400
    for u, following in zip(out, out[1:]):
        u.t_end = following.t_start
    out = merge_same_speaker([u for u in out if u.text], sep="\n")
    return ([Utterance(None, "\n".join(preamble), role="other")] if preamble else []) + out


def _teams_cues(lines: list[str]) -> list[Utterance]:
    cues, preamble = [], []
    for line in lines:
        m = _TEAMS_CUE.fullmatch(line)
        if m:
            cues.append((seconds(m.group(1)), seconds(m.group(2)), []))
        elif line.strip() and not _NOTICE.fullmatch(line):
            (cues[-1][2] if cues else preamble).append(line.strip())
    for _, _, payload in cues:
        # Classic Teams puts the speaker's name on its own line above the words.
        if len(payload) >= 2 and not payload[0].startswith("<v") and looks_like_name(payload[0]) \
                and not match_speaker(payload[0]):
            payload[0] = f"<v {payload[0]}>"
    utterances = cue_utterances(cues)
    return ([Utterance(None, "\n".join(preamble), role="other")] if preamble else []) + utterances


def table_utterances(tables: list[list[list[str]]]) -> list[Utterance] | None:
    """The first table that is a transcript (speaker and text columns), as utterances."""
    for rows in tables:
        rows = [r for r in rows if any(r)]
        if len(rows) < 2 or min(len(r) for r in rows) < 2:
            continue
        columns = _table_columns(rows)
        if columns is None:
            continue
        speaker, text, time, body = columns
        out = []
        for row in body:
            words = row[text].strip() if text < len(row) else ""
            stamp = row[time].strip("[]() ") if time is not None and time < len(row) else ""
            if words:
                out.append(Utterance(row[speaker].strip() or None, words,
                                     seconds(stamp) if _TIME_CELL.fullmatch(stamp) else None))
        for u, following in zip(out, out[1:]):
            u.t_end = following.t_start
        if any(u.speaker for u in out):
            return merge_same_speaker(out, sep="\n")
    return None


def _table_columns(rows):
    """(speaker column, text column, time column or None, body rows) or None."""
    width = min(len(r) for r in rows)
    heads = [c.casefold().strip(" :") for c in rows[0][:width]]
    if any(h in SPEAKER_HEADINGS | TEXT_HEADINGS | TIME_HEADINGS for h in heads):
        find = lambda names: next((i for i, h in enumerate(heads) if h in names), None)  # noqa: E731
        speaker, text, time = find(SPEAKER_HEADINGS), find(TEXT_HEADINGS), find(TIME_HEADINGS)
        return (speaker, text, time, rows[1:]) if speaker is not None and text is not None else None
    cols = list(zip(*(r[:width] for r in rows)))
    time = next((i for i, c in enumerate(cols) if sum(bool(_TIME_CELL.fullmatch(v)) for v in c) >= 0.8 * len(c)),
                None)
    rest = [i for i in range(width) if i != time]
    names = [i for i in rest if sum(looks_like_name(v) for v in cols[i]) >= 0.8 * len(rows)
             and len(set(cols[i])) <= max(3, len(rows) // 2)]
    if not names:
        return None
    speaker = names[0]
    others = [i for i in rest if i != speaker]
    if not others:
        return None
    text = max(others, key=lambda i: sum(len(v) for v in cols[i]))
    return speaker, text, time, rows
