"""Transcript readers: .txt, .md, .docx, .vtt, .srt. Each file is one document.

    records = read_vtt(Path("focus-group.vtt"), ImportOptions(interviewer=["Sam"]))

A .txt or .md document is the file's text exactly; its turns are offsets of the words
after each "Name:" label. Other formats are composed into a readable text
("Speaker: words", a blank line between turns) and the turns point at the words.
Interviewers and facilitators are marked by role, so their questions are not taken
as participant voice; lines before the first speaker (a title, a date) are a turn
with no speaker and role "other". A file without any speaker label is kind
"document", one turn per paragraph. YAML front matter (--- ... ---) at the top of a
.txt or .md gives the title, date, participant id and attributes.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
import zlib
from pathlib import Path

from ..errors import InputError
from .records import DocumentRecord, ImportOptions, Turn
from .safezip import check_office_file
from .transcript_formats import Utterance, compose
from .transcript_formats.cues import parse_srt, parse_vtt
from .transcript_formats.office import export_layout, read_docx_content, table_utterances
from .transcript_formats.speakers import has_speakers, paragraphs, parse_plain

__all__ = ["read_text", "read_docx", "read_vtt", "read_srt", "decode", "role_for"]

INTERVIEWER_WORDS = {"interviewer", "researcher", "interviewers"}
FACILITATOR_WORDS = {"facilitator", "moderator", "cofacilitator", "facilitators"}
_QUESTION = re.compile(r"(?i)(?:q|question)[ \t]*\d*")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(.*?)(?:^|\n)(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.S)
NO_SPEAKERS_NOTE = ("no speaker labels found, so imported as a document with a segment per paragraph "
                    "(label turns as 'Name: words')")
_WRITTEN_DATE = re.compile(r"\b\d{1,2} [A-Z][a-z]{2,8} \d{4}\b|\b[A-Z][a-z]{2,8} \d{1,2}, \d{4}\b")
RESPONDENT_KEYS = {"participant", "participant_id", "respondent", "respondent_id", "interviewee_id", "participant id"}
INTERVIEWER_KEYS = {"interviewer": "interviewer", "interviewers": "interviewer", "researcher": "interviewer",
                    "facilitator": "facilitator", "facilitators": "facilitator", "moderator": "facilitator"}


# ---------------------------------------------------------------- readers

def read_text(path: Path, options: ImportOptions):
    """A .txt or .md transcript (or a plain document without speakers)."""
    text = decode(path.read_bytes(), options.encoding, path)
    _require_text(text, path)
    front, body = front_matter(text, path, dayfirst=options.dayfirst)
    markdown = path.suffix.lower() == ".md"
    if has_speakers(text, body, markdown=markdown):
        turns, kind = parse_plain(text, body, markdown=markdown), "transcript"
    else:
        turns, kind = paragraphs(text, body, markdown=markdown), "document"
    yield _record(path, text, turns, kind, options, front, {"layout": "markdown" if markdown else "text"})


def read_docx(path: Path, options: ImportOptions):
    """A Word transcript: plain "Name: words" paragraphs, a Teams or Zoom export, or a table."""
    paras, tables, title = _open_docx(path)
    lines = [line for p in paras for line in p.split("\n")]
    found = export_layout(lines)
    if found is None and not has_speakers("\n".join(lines)):
        utterances = table_utterances(tables)
        if utterances:
            preamble = "\n".join(line.strip() for line in lines if line.strip())
            found = ("table", ([_other(preamble)] if preamble else []) + utterances)
    if found:
        layout, utterances = found
        text, turns = compose(utterances)
        _require_text(text, path)
        yield _record(path, text, turns, "transcript", options, _docx_front(text, turns, title), {"layout": layout})
        return
    # A blank line between Word paragraphs, so a document without speakers has one turn per paragraph.
    text = "\n\n".join(p.strip() for p in paras if p.strip())
    if not text:  # no paragraphs: perhaps everything is in tables
        text = "\n\n".join("\n".join(c for c in row if c) for rows in tables for row in rows if any(row))
    _require_text(text, path)
    if has_speakers(text):
        turns, kind = parse_plain(text), "transcript"
    else:
        turns, kind = paragraphs(text), "document"
    yield _record(path, text, turns, kind, options, _docx_front(text, turns, title), {"layout": "paragraphs"})


def read_vtt(path: Path, options: ImportOptions):
    """A WebVTT caption file (Teams, Zoom, Stream...)."""
    yield _captions(path, options, parse_vtt, "vtt")


def read_srt(path: Path, options: ImportOptions):
    """A SubRip caption file."""
    yield _captions(path, options, parse_srt, "srt")


def _captions(path: Path, options: ImportOptions, parse, layout: str) -> DocumentRecord:
    source = decode(path.read_bytes(), options.encoding, path)
    _require_text(source, path)
    text, turns = compose(parse(source, path))
    if not text:
        raise InputError("no captions: the file has no cues with words. Export the transcript again.",
                         path=path)
    # Captions are a recording's transcript even when no one is named.
    return _record(path, text, turns, "transcript", options, {}, {"layout": layout})


# ---------------------------------------------------------------- records and roles

def _record(path: Path, text: str, turns: list[Turn], kind: str, options: ImportOptions, front: dict,
            meta: dict) -> DocumentRecord:
    names = {n.casefold().strip(): "interviewer" for n in options.interviewer}
    names.update(front.get("roles", {}))
    for turn in turns:
        if turn.speaker:
            turn.role = role_for(turn.speaker, names)
    speakers = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    if speakers:
        meta = {**meta, "speakers": speakers}
    elif kind == "document":  # shown after the import, in case the labels were missed
        meta = {**meta, "notes": [NO_SPEAKERS_NOTE]}
    return DocumentRecord(
        external_id=path.stem, text=text, kind=kind,
        respondent=front.get("respondent"), date=front.get("date"), title=front.get("title") or path.stem,
        attributes=front.get("attributes", {}), turns=turns, row=1, meta=meta,
    )


def role_for(speaker: str, names: dict[str, str] | None = None) -> str:
    """'interviewer', 'facilitator' or 'participant' for a speaker label.

    Named roles ("Interviewer 1", "Q", "Jane (facilitator)") and the names given with
    --interviewer or in front matter count; everyone else is a participant.
    """
    key = speaker.casefold().strip()
    if names and key in names:
        return names[key]
    if _QUESTION.fullmatch(key):
        return "interviewer"
    words = set(re.findall(r"[a-z]+", key.replace("co-", "co")))
    if words & INTERVIEWER_WORDS:
        return "interviewer"
    if words & FACILITATOR_WORDS:
        return "facilitator"
    return "participant"


def _docx_front(text: str, turns: list[Turn], title: str | None) -> dict:
    """What front matter would say: the title in the file's properties, and a date
    written in the heading lines ("4 February 2025, 2:02pm", as Teams writes it)."""
    front = {"title": title} if title else {}
    heading = next((text[t.start:t.end] for t in turns[:1] if t.role == "other"), "")
    m = _WRITTEN_DATE.search(heading)
    if m:
        for fmt in ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y"):
            try:
                front["date"] = dt.datetime.strptime(" ".join(m.group().split()), fmt).date().isoformat()
                break
            except ValueError:
                continue
    return front


def _other(text: str) -> Utterance:
    return Utterance(None, text, role="other")


# ---------------------------------------------------------------- files

def decode(data: bytes, encoding: str | None, path) -> str:
    """Text from bytes: the given encoding, else UTF-8 (with or without BOM), UTF-16,
    Windows-1252, then whatever charset-normalizer finds."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}. Try utf-8, utf-16 or cp1252.", path=path) from None
        except UnicodeDecodeError as e:
            raise InputError(f"cannot decode byte {e.start} as {encoding}. Leave out --encoding to detect it.",
                             path=path) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try(data, "utf-16")
    elif data.startswith(codecs.BOM_UTF8):
        text = _try(data, "utf-8-sig")
    elif b"\x00" in data:  # UTF-16 without a BOM, or not text at all
        text = _utf16_without_bom(data)
        if text is None:
            raise InputError("this is a binary file, not text. Export the transcript as .txt, .docx, .vtt or "
                             ".srt.", path=path)
    else:
        text = _try(data, "utf-8") or _try(data, "cp1252") or _detected(data)
    if text is None:
        raise InputError("cannot decode the file: its encoding is not UTF-8, UTF-16 or Windows-1252. "
                         "Give it with --encoding, or re-save the file as UTF-8.", path=path)
    if "\x00" in text:
        raise InputError("this is a binary file, not text. Export the transcript as .txt, .docx, .vtt or .srt.",
                         path=path)
    return text


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    # ASCII-range text in UTF-16 has a NUL in every other byte.
    if len(data) < 4 or len(data) % 2:
        return None
    if data[1::2].count(0) > len(data) // 4:
        return _try(data, "utf-16-le")
    if data[0::2].count(0) > len(data) // 4:
        return _try(data, "utf-16-be")
    return None


def _detected(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else None


def _require_text(text: str, path) -> None:
    if not text.strip():
        raise InputError("the file is empty: there is no transcript text to import.", path=path)


def _open_docx(path: Path):
    try:
        check_office_file(path, "docx")
        return read_docx_content(path)
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise InputError("corrupt .docx file: its compressed data is damaged. Open it in Word and save it again, "
                         "or export it again.", path=path) from None
    except KeyError as e:
        raise InputError(f"not a Word document: {str(e.args[0] if e.args else e)[:100]}. Open it in Word and save "
                         "it again as .docx.", path=path) from None
    except Exception as e:  # python-docx and lxml raise their own errors on broken parts
        if isinstance(e, ValueError) or type(e).__module__.startswith(("docx", "lxml")):
            raise InputError(f"not a readable Word document ({str(e)[:100]}). Open it in Word and save it "
                             "again as .docx.", path=path) from None
        raise


def front_matter(text: str, path, *, dayfirst: bool = True) -> tuple[dict, int]:
    """Attributes from a YAML block (--- ... ---) at the top, and where the body starts."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    import yaml

    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        where = f"line {line + 2}: " if line is not None else ""
        raise InputError(f"{where}the front matter (--- ... ---) is not valid YAML. Fix it, or remove the block.",
                         path=path) from None
    if not isinstance(data, dict):
        return {}, 0  # a rule (---) under a first line, not front matter
    out: dict = {"attributes": {}, "roles": {}}
    for key, value in data.items():
        name = str(key).strip()
        norm = name.casefold().replace("-", "_")
        if value is None or value == "":
            continue
        if norm == "title":
            out["title"] = str(value)
        elif norm in ("date", "interview_date"):
            out["date"] = _iso_date(value, path, dayfirst)
        elif norm in RESPONDENT_KEYS:
            out["respondent"] = str(value)
        elif norm in INTERVIEWER_KEYS:
            for person in value if isinstance(value, list) else str(value).split(";"):
                out["roles"][str(person).casefold().strip()] = INTERVIEWER_KEYS[norm]
        else:
            out["attributes"][name] = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
    return out, m.end()


def _iso_date(value, path, dayfirst: bool) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    given = str(value).strip()
    formats = ["%Y-%m-%d", "%d/%m/%Y" if dayfirst else "%m/%d/%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y"]
    for fmt in formats:
        try:
            return dt.datetime.strptime(given, fmt).date().isoformat()
        except ValueError:
            continue
    raise InputError(f"front matter date {given!r} is not a date. Write it as YYYY-MM-DD.", path=path)
