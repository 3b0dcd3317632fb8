"""Speaker labels in plain text: "Name: words", "INTERVIEWER:", "Q:", "P1:",
"[00:01:23] Name: words", "00:01:02 Name: words", "**Name:** words" (Markdown).

`parse_plain(text)` finds the turns of a whole text and returns offsets into it, so
the text itself is stored exactly as given.
"""

from __future__ import annotations

import re

from ..records import Turn

# h:mm:ss(.fff) or mm:ss(.fff); SubRip writes a comma before the milliseconds.
TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_TIME_PREFIX = re.compile(rf"[ \t]*(?:\[({TIME})\]|\(({TIME})\)|(\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?)(?=[ \t]))"
                          r"[ \t]*(?:[-\u2013\u2014][ \t]*)?")
_BOLD_LABEL = re.compile(r"(\*\*|__)([^*_\n:]{1,60}?)[ \t]*(?::[ \t]*\1|\1[ \t]*:)(?=\s|$)")
_PLAIN_LABEL = re.compile(rf"([^:\n]{{1,60}}?)[ \t]*(?:[\[(]({TIME})[\])])?[ \t]*:(?=\s|$)")
_LINE = re.compile(r"[^\r\n]*")
_HEADING = re.compile(r"[ \t]{0,3}(?:#{1,6}[ \t]|(?:[-*_][ \t]*){3,}$)")

# "Note: ..." and friends label a paragraph, not a speaker; "Well: ..." starts a sentence.
NOT_SPEAKERS = frozenset("""
well also so and but yes no okay ok right honestly basically anyway plus however firstly secondly thirdly
finally then now because like actually look listen sorry thanks problem reason issue point trouble truth result fact
note notes nb n.b ps p.s summary background context date time times location venue place title subject re
agenda action actions outcome outcomes purpose attendees present apologies topic topics example examples tip
warning important source sources update transcript transcription duration recording file files ref reference
tel telephone phone email e-mail url link website address key theme themes quote quotes keywords
total contents contact consent section part page chapter step aim aims objective objectives method methods
""".split())
_PARTICLES = frozenset("de da di du la le van von der den del bin al el of the".split())
_BAD_CHARS = set('"\u201c\u201d?!;=<>{}|\\#*,')


def seconds(stamp: str) -> float:
    """'1:02:03.5', '02:03,500' or '3:21' as seconds."""
    parts = stamp.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return round(total, 3)


def is_speaker_label(label: str) -> bool:
    """True for what looks like a speaker's name or role, not the start of a sentence."""
    label = label.strip()
    if not 1 <= len(label) <= 40 or not _capital(label[0]) or label[0].isdigit() or _BAD_CHARS & set(label):
        return False
    if label.casefold().rstrip(".") in NOT_SPEAKERS or label[-1] in ".-":
        return False
    words = label.split()
    return len(words) <= 5 and all(is_name_word(w) for w in words[1:])


def is_name_word(word: str) -> bool:
    """'Smith', 'O'Neill', '1', '(carer)', 'van': not 'said' or 'was'."""
    return _capital(word[0]) or word[0] in "([" or word.casefold() in _PARTICLES


def _capital(c: str) -> bool:
    # Scripts without case (Arabic, Chinese, Devanagari...) count as capitals.
    return c.isdigit() or (c.isalpha() and not c.islower())


def match_speaker(line: str, *, markdown: bool = False):
    """(speaker, time in seconds or None, offset where the words start) or None."""
    pos, stamp = 0, None
    m = _TIME_PREFIX.match(line)
    if m:
        stamp = next(g for g in m.groups() if g)
        pos = m.end()
    m = _BOLD_LABEL.match(line, pos) if markdown or line.startswith("**", pos) else None
    if m and is_speaker_label(m.group(2)):
        label = m.group(2)
    else:
        m = _PLAIN_LABEL.match(line, pos)
        if not m or not is_speaker_label(m.group(1)):
            return None
        label = m.group(1)
        stamp = stamp or m.group(2)
    words = m.end()
    while words < len(line) and line[words] in " \t":
        words += 1
    return label.strip(), seconds(stamp) if stamp else None, words


def lines_of(text: str, start: int = 0):
    """(start, end) of each line's content, without its line break."""
    pos, n = start, len(text)
    while pos <= n:
        m = _LINE.match(text, pos)
        yield pos, m.end()
        pos = m.end()
        if pos >= n:
            break
        pos += 2 if text.startswith("\r\n", pos) else 1


def has_speakers(text: str, start: int = 0, *, markdown: bool = False) -> bool:
    """Two labelled lines, or one whose label is a role (a one-turn interview)."""
    found = 0
    for a, b in lines_of(text, start):
        hit = match_speaker(text[a:b], markdown=markdown)
        if hit:
            found += 1
            if found >= 2 or re.match(r"(?i)(interviewer|facilitator|moderator|researcher)\b", hit[0]):
                return True
    return False


def parse_plain(text: str, start: int = 0, *, markdown: bool = False) -> list[Turn]:
    """Speaker turns of `text` from offset `start`. Lines after a label continue its turn;
    lines before the first label are a turn without a speaker (role 'other'); in
    Markdown, headings and rules end a turn and belong to none."""
    turns: list[Turn] = []
    current: Turn | None = None
    for a, b in lines_of(text, start):
        line = text[a:b]
        if not line.strip():
            continue
        if markdown and _HEADING.match(line):
            current = None
            continue
        hit = match_speaker(line, markdown=markdown)
        if hit:
            speaker, stamp, words = hit
            current = Turn(a + words, b, speaker, "participant", stamp)
            turns.append(current)
        elif current is not None:
            current.end = b
        else:
            current = Turn(a, b, None, "other")
            turns.append(current)
    _fill_end_times(turns)
    return turns


def paragraphs(text: str, start: int = 0, *, markdown: bool = False) -> list[Turn]:
    """One turn per paragraph (blank-line separated), for documents without speakers."""
    turns: list[Turn] = []
    current: Turn | None = None
    for a, b in lines_of(text, start):
        line = text[a:b]
        if not line.strip() or (markdown and _HEADING.match(line)):
            current = None
        elif current is None:
            current = Turn(a, b, None, "participant")
            turns.append(current)
        else:
            current.end = b
    return turns


def _fill_end_times(turns: list[Turn]) -> None:
    # A turn ends when the next timed turn starts.
    following = None
    for turn in reversed(turns):
        if turn.t_start is not None:
            if turn.t_end is None:
                turn.t_end = following
            following = turn.t_start
