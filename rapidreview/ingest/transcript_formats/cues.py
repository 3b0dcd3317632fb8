"""Caption files: WebVTT (.vtt, as Teams and Zoom export) and SubRip (.srt).

A cue is a timing line and the words shown; the speaker comes from a voice tag
(`<v Jane Smith>`), an inline label ("Jane Smith: ...", "JANE:", "[Jane]"), or the
previous cue (captions often name a speaker only when it changes). Consecutive cues
of one speaker become one utterance.
"""

from __future__ import annotations

import html
import re

from ...errors import InputError
from . import Utterance, merge_same_speaker
from .speakers import is_speaker_label, match_speaker

_VTT_TIME = re.compile(r"(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})")
_SRT_TIME = re.compile(r"(\d{1,3}):([0-5]?\d):([0-5]?\d)(?:[,.](\d{1,3}))?")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"</?[^>]*>|\{\\[^}]*\}")  # HTML-like tags, and {\an8} ASS overrides in SRT
_BRACKET_SPEAKER = re.compile(r"\[([^\]\d][^\]]{0,40})\][ \t]*:?[ \t]*")
_DIALOGUE = re.compile(r"(?:-|>>)[ \t]+")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
PARAGRAPH_CHARS = 400  # speakerless captions: group cues into paragraphs about this long
PAUSE = 3.0  # seconds of silence that also end a paragraph


def _numbered_lines(text: str):
    return list(enumerate(re.split(r"\r\n|\r|\n", text), start=1))


def _blocks(lines):
    """Runs of non-blank lines: [(line number, line), ...]."""
    block = []
    for number, line in lines:
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_vtt(text: str, path) -> list[Utterance]:
    lines = _numbered_lines(text.lstrip("\ufeff"))
    first = lines[0][1]
    if not (first.startswith("WEBVTT") and first[6:7] in ("", " ", "\t")):
        raise InputError("line 1: not a WebVTT file: the first line must be 'WEBVTT'. If this is a SubRip "
                         "file, rename it to .srt.", path=path)
    cues = []
    blocks = list(_blocks(lines))
    header = blocks.pop(0)  # WEBVTT and optional metadata lines
    timed = [i for i, (_, line) in enumerate(header) if "-->" in line]
    if timed:  # no blank line after the header: the first cue starts inside it
        first = timed[0]
        blocks.insert(0, header[first - 1 if first > 1 else first:])  # with the cue id above it, if any
    for block in blocks:
        number, head = block[0]
        if head.startswith(_SKIPPED_BLOCKS) and head.split(None, 1)[0] in _SKIPPED_BLOCKS:
            continue
        timing = 0 if "-->" in head else 1 if len(block) > 1 and "-->" in block[1][1] else None
        if timing is None:
            raise InputError(f"line {number}: expected a cue timing line like '00:00:01.000 --> 00:00:04.000', "
                             f"found {head.strip()[:60]!r}. Check for a missing blank line or a broken cue.",
                             path=path)
        t_start, t_end = _timing(block[timing], _VTT_TIME, "00:00:01.000 --> 00:00:04.000", path)
        cues.append((t_start, t_end, [line for _, line in block[timing + 1:]]))
    return _utterances(cues)


def parse_srt(text: str, path) -> list[Utterance]:
    text = text.lstrip("\ufeff")
    if text.startswith("WEBVTT"):
        return parse_vtt(text, path)
    cues = []
    for block in _blocks(_numbered_lines(text)):
        number, head = block[0]
        timing = 1 if head.strip().isdigit() else 0
        if timing < len(block) and "-->" in block[timing][1]:
            t_start, t_end = _timing(block[timing], _SRT_TIME, "00:00:01,000 --> 00:00:04,000", path)
            cues.append((t_start, t_end, [line for _, line in block[timing + 1:]]))
        elif cues and timing == 0:
            cues[-1][2].extend(line for _, line in block)  # a blank line inside a cue's text
        else:
            raise InputError(f"line {block[min(timing, len(block) - 1)][0]}: expected a cue number and a timing "
                             "line like '00:00:01,000 --> 00:00:04,000'. Check the cue.", path=path)
    return _utterances(cues)


def _timing(numbered_line, pattern: re.Pattern, example: str, path) -> tuple[float, float]:
    number, line = numbered_line
    left, _, right = line.partition("-->")
    given = [left.strip(), (right.split() or [""])[0]]  # cue settings may follow the end time
    stamps = [pattern.fullmatch(s) for s in given]
    if not all(stamps):
        raise InputError(f"line {number}: cannot read the cue timing {line.strip()[:60]!r}; expected "
                         f"'{example}'. Fix the timestamp.", path=path)
    start, end = (_seconds(s) for s in stamps)
    if end < start:
        raise InputError(f"line {number}: the cue ends ({given[1]}) before it starts ({given[0]}). "
                         "Fix the timestamp.", path=path)
    return start, end


def _seconds(m: re.Match) -> float:
    h, mnt, s, frac = m.groups()
    frac = (frac or "0").ljust(3, "0")
    return round(int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int(frac) / 1000, 3)


def _utterances(cues) -> list[Utterance]:
    pieces: list[Utterance] = []
    speaker = None
    for t_start, t_end, payload in cues:
        for who, words in _speakers_in(payload):
            speaker = who or speaker
            if words:
                pieces.append(Utterance(speaker, words, t_start, t_end))
    if any(p.speaker for p in pieces):
        return merge_same_speaker(pieces)
    return _paragraphs(pieces)


def _speakers_in(payload: list[str]):
    """(speaker or None, clean words) for each voice in a cue's lines."""
    raw = "\n".join(payload)
    if _VOICE.search(raw):
        parts = _VOICE.split(raw)  # [before, name, words, name, words, ...]
        if _clean(parts[0]):
            yield None, _clean(parts[0])
        for name, words in zip(parts[1::2], parts[2::2]):
            yield (name or "").strip() or None, _clean(words)
        return
    who, words = None, []
    for line in payload:
        line = _TAG.sub("", line)
        m = _DIALOGUE.match(line)
        rest = line[m.end():] if m else line
        hit = _inline_speaker(rest)
        if hit:
            if words or who:
                yield who, _clean(" ".join(words))
            who, words = hit[0], [rest[hit[1]:]]
        else:
            words.append(rest if m else line)
    yield who, _clean(" ".join(words))


def _inline_speaker(line: str):
    m = _BRACKET_SPEAKER.match(line)
    if m and is_speaker_label(m.group(1)):
        return m.group(1).strip(), m.end()
    hit = match_speaker(line)
    return (hit[0], hit[2]) if hit else None


def _clean(words: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", words)).split())


def _paragraphs(pieces: list[Utterance]) -> list[Utterance]:
    """Captions without speakers: cues grouped into paragraphs at pauses or after about
    PARAGRAPH_CHARS at the end of a sentence, so segments are not cue-sized fragments."""
    out: list[Utterance] = []
    for p in pieces:
        prev = out[-1] if out else None
        if prev is not None and not (
            (p.t_start is not None and prev.t_end is not None and p.t_start - prev.t_end >= PAUSE)
            or (len(prev.text) >= PARAGRAPH_CHARS and prev.text.endswith((".", "?", "!")))
        ):
            prev.text = f"{prev.text} {p.text}"
            prev.t_end = p.t_end
        else:
            out.append(Utterance(None, p.text, p.t_start, p.t_end))
    return out
