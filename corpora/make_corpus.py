#!/usr/bin/env python3
"""Write the bundled sample corpus in corpora/healthwatch-sample, deterministically.

    python corpora/make_corpus.py                 # rewrite corpora/healthwatch-sample
    python corpora/make_corpus.py --out /tmp/hw   # somewhere else (the tests do this)

Everything is synthetic: the transcripts are written by us in `src/transcripts/*.md`
(one "Speaker: text" paragraph per turn) and converted here into the formats researchers
actually receive (Word, Teams and Zoom exports, WebVTT, SRT, typed .txt/.md). The survey
answers are composed from the phrase bank in `src/survey-bank.yaml`. One seeded
random.Random(2025) drives every choice, and zip members and document properties get
fixed timestamps, so the same script writes the same bytes on every run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
DEFAULT_OUT = HERE / "healthwatch-sample"
SEED = 2025
ORG = "Healthwatch Kingsmoor"
ZIP_TIME = (2025, 4, 1, 9, 0, 0)  # every member of every .docx/.xlsx gets this timestamp

QUESTIONS = ["What was good about the service?", "What could be better?",
             "Is there anything else you want to tell us?"]
RATING = "How would you rate the service?"
COLUMNS = ["Respondent ID", "Date submitted", "Service", "Area", "Age group", "Ethnicity", RATING, *QUESTIONS]
ATTRIBUTES = ["Service", "Area", "Age group", "Ethnicity", RATING]


# --------------------------------------------------------------------------- transcripts

@dataclass
class Transcript:
    meta: dict
    turns: list[tuple[str, str]]  # (speaker as written in the source, text)

    @property
    def interviewer(self) -> str:
        return self.meta["interviewer"]

    @property
    def date(self) -> dt.date:
        return self.meta["date"]


@dataclass
class Cue:
    speaker: str
    text: str
    start: float
    end: float


def read_transcript(path: Path) -> Transcript:
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    turns = []
    for para in re.split(r"\n\s*\n", body.strip()):
        speaker, said = para.split(": ", 1)
        turns.append((speaker.strip(), " ".join(said.split())))
    return Transcript(yaml.safe_load(front), turns)


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.?!])\s+(?=[A-Z\[\"'])", text)


def chunks(text: str, max_words: int) -> list[str]:
    """Pack whole sentences into pieces of at most max_words; a longer sentence is
    broken at commas, and a longer clause between words, as captioning tools do."""
    units = []
    for sentence in sentences(text):
        if len(sentence.split()) <= max_words:
            units.append(sentence.split())
            continue
        for clause in re.split(r"(?<=,)\s+", sentence):
            words = clause.split()
            units += [words[i:i + max_words] for i in range(0, len(words), max_words)]
    out: list[list[str]] = [[]]
    for words in units:
        if out[-1] and len(out[-1]) + len(words) > max_words:
            out.append([])
        out[-1].extend(words)
    return [" ".join(piece) for piece in out if piece]


def timed(t: Transcript, rng: random.Random, max_words: int) -> list[Cue]:
    """Cues with plausible timings: each speaker talks at their own pace, with pauses."""
    pace = {}
    clock = rng.uniform(1.0, 4.0)
    cues = []
    for speaker, text in t.turns:
        pace.setdefault(speaker, rng.uniform(2.2, 3.0))  # words per second
        for piece in chunks(text, max_words):
            length = len(piece.split()) / pace[speaker] * rng.uniform(0.9, 1.15)
            cues.append(Cue(speaker, piece, clock, clock + length))
            clock += length + rng.uniform(0.05, 0.35)
        clock += rng.uniform(0.3, 1.6)
    return cues


def label(t: Transcript, speaker: str, style: str) -> str:
    """How each kind of file names the speakers."""
    if speaker != t.interviewer:
        return "A" if style == "qa" else speaker
    return {"plain": "Interviewer", "org": f"{speaker} (Healthwatch)", "qa": "Q",
            "INTERVIEWER": "INTERVIEWER", "FACILITATOR": "FACILITATOR"}[style]


def hms(seconds: float, sep: str = ".", millis: bool = True) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}" if millis else f"{h:02d}:{m:02d}:{s:02d}"


def teams_time(seconds: float) -> str:
    s = int(seconds)
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def long_date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


def new_document(t: Transcript):
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    props = doc.core_properties
    when = dt.datetime.combine(t.date, dt.time(17, 0))
    props.title, props.author, props.last_modified_by = t.meta["title"], ORG, ORG
    props.created, props.modified, props.revision = when, when, 1
    props.subject, props.keywords, props.comments = t.meta["service"], t.meta["kind"], ""
    return doc


def write_docx_plain(t: Transcript, rng: random.Random, path: Path) -> None:
    """A transcript typed up in Word: a heading, a note, then bold "Name:" paragraphs."""
    doc = new_document(t)
    doc.add_heading(t.meta["title"], level=1)
    doc.add_paragraph(f"{t.meta['kind'].capitalize()} recorded on {long_date(t.date)} in {t.meta['area']} by "
                      f"{ORG}. Names and identifying details have been changed.")
    for speaker, text in t.turns:
        para = doc.add_paragraph()
        para.add_run(f"{label(t, speaker, 'plain')}:").bold = True
        para.add_run(f" {text}")
    doc.save(path)


def write_docx_teams(t: Transcript, rng: random.Random, path: Path) -> None:
    """A Microsoft Teams transcript download: "Name   0:03" then what they said."""
    cues = timed(t, rng, max_words=60)
    doc = new_document(t)
    host = label(t, t.interviewer, "org")
    start = dt.datetime.combine(t.date, dt.time(14, rng.randrange(0, 10), rng.randrange(60)))
    doc.add_paragraph(f"{t.meta['title']}-{start:%Y%m%d_%H%M%S}-Meeting Recording")
    doc.add_paragraph(f"{long_date(t.date)}, {start:%-I:%M}pm")
    doc.add_paragraph(f"{int(cues[-1].end // 60)}m {int(cues[-1].end % 60)}s")
    doc.add_paragraph(f"{host} started transcription")
    for cue in cues:
        doc.add_paragraph(f"{label(t, cue.speaker, 'org')}   {teams_time(cue.start)}")
        doc.add_paragraph(cue.text)
    doc.add_paragraph(f"{host} stopped transcription")
    doc.save(path)


def write_docx_zoom(t: Transcript, rng: random.Random, path: Path) -> None:
    """A Zoom transcript pasted into Word: "[Name] 00:01:02" lines, each followed by the text."""
    doc = new_document(t)
    doc.add_paragraph(f"Zoom meeting transcript: {t.meta['title']}")
    for cue in timed(t, rng, max_words=45):
        doc.add_paragraph(f"[{label(t, cue.speaker, 'org')}] {hms(cue.start, millis=False)}")
        doc.add_paragraph(cue.text)
    doc.save(path)


def write_vtt(t: Transcript, rng: random.Random, path: Path, variant: int) -> None:
    """WebVTT with <v Name> voice tags. Variants: numbered cues with a NOTE; bare cues;
    Teams-style GUID cue ids with closing </v> tags."""
    lines = ["WEBVTT", ""]
    if variant == 0:
        lines += ["NOTE", f"{ORG}: {t.meta['title']}.",
                  f"Recorded {long_date(t.date)}, {t.meta['area']}. Names have been changed.", ""]
    guid = "%08x-%04x-%04x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16))
    for n, cue in enumerate(timed(t, rng, max_words=28), 1):
        if variant == 0:
            lines.append(str(n))
        elif variant == 2:
            lines.append(f"{guid}/{n + 11}-0")
        close = "</v>" if variant == 2 else ""
        lines += [f"{hms(cue.start)} --> {hms(cue.end)}", f"<v {label(t, cue.speaker, 'org')}>{cue.text}{close}", ""]
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")


def wrap(text: str, width: int = 42) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def write_srt(t: Transcript, rng: random.Random, path: Path) -> None:
    """Subtitles from a transcription service: short cues, "Name: " when the speaker changes."""
    blocks, previous = [], None
    for n, cue in enumerate(timed(t, rng, max_words=14), 1):
        name = f"{label(t, cue.speaker, 'org')}: " if cue.speaker != previous else ""
        previous = cue.speaker
        text = "\n".join(wrap(name + cue.text))
        blocks.append(f"{n}\n{hms(cue.start, ',')} --> {hms(cue.end, ',')}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8", newline="\r\n")


def front_matter(t: Transcript) -> str:
    # Service and Area are spelt as the survey's columns, so one attribute covers both.
    keys = {"title": t.meta["title"], "date": t.meta["date"], "Service": t.meta["service"], "Area": t.meta["area"]}
    return "---\n" + yaml.safe_dump(keys, sort_keys=False, allow_unicode=True) + "---\n"


def write_typed(t: Transcript, rng: random.Random, path: Path, style: str, newline: str = "\n") -> None:
    """A typed transcript with YAML front matter and "SPEAKER: text" paragraphs."""
    body = [front_matter(t)]
    if path.suffix == ".md":
        body.append(f"# {t.meta['title']}\n")
    body += [f"{label(t, speaker, style)}: {text}\n" for speaker, text in t.turns]
    path.write_text("\n".join(body), encoding="utf-8", newline=newline)


WRITERS = {
    "docx-plain": write_docx_plain,
    "docx-teams": write_docx_teams,
    "docx-zoom": write_docx_zoom,
    "vtt": write_vtt,
    "srt": write_srt,
    "txt-interviewer": lambda t, rng, p: write_typed(t, rng, p, "INTERVIEWER", newline="\r\n"),  # typed on Windows
    "txt-facilitator": lambda t, rng, p: write_typed(t, rng, p, "FACILITATOR"),
    "md-qa": lambda t, rng, p: write_typed(t, rng, p, "qa"),
}


def write_transcripts(out: Path, rng: random.Random) -> list[Path]:
    folder = out / "transcripts"
    folder.mkdir(parents=True, exist_ok=True)
    written, vtt_variant, interviewers = [], 0, set()
    for source in sorted((SRC / "transcripts").glob("*.md")):
        t = read_transcript(source)
        path = folder / t.meta["file"]
        child = random.Random(rng.getrandbits(64))
        if t.meta["format"] == "vtt":
            write_vtt(t, child, path, vtt_variant)
            vtt_variant += 1
        else:
            WRITERS[t.meta["format"]](t, child, path)
        if path.suffix in (".docx", ".xlsx"):
            fix_zip(path)
        written.append(path)
        if t.meta["format"] in ("docx-teams", "docx-zoom", "vtt", "srt"):  # the formats that use display names
            interviewers.add(label(t, t.interviewer, "org"))
    mapping = out / "transcripts-mapping.yaml"
    mapping.write_text(
        "# Healthwatch staff and volunteers who interview or facilitate, as the Teams, Zoom, VTT and SRT\n"
        "# files name them, so their turns are not read as participant voice.\n"
        "#   rapidreview import review.db transcripts/* --mapping transcripts-mapping.yaml\n"
        + yaml.safe_dump({"interviewer": sorted(interviewers)}, sort_keys=False), encoding="utf-8")
    return written + [mapping]


def fix_zip(path: Path) -> None:
    """Give every member, and the document's created/modified properties, a fixed time."""
    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info)) for info in z.infolist()]
    stamp = dt.datetime(*ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            if name == "docProps/core.xml" and path.suffix == ".xlsx":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    path.write_bytes(buffer.getvalue())


# --------------------------------------------------------------------------- survey

SERVICE_WEIGHTS = {"GP practice": 30, "Hospital": 20, "Social care": 11, "Mental health": 10,
                   "Community services": 8, "Pharmacy": 12, "Dentist": 9}
# How each service tends to be rated (1..5): GP access and dentistry are the sore points.
RATING_WEIGHTS = {
    "GP practice": [20, 19, 21, 22, 18], "Hospital": [9, 12, 20, 30, 29], "Social care": [15, 18, 22, 25, 20],
    "Mental health": [22, 21, 20, 21, 16], "Community services": [3, 5, 12, 35, 45],
    "Pharmacy": [6, 10, 20, 32, 32], "Dentist": [31, 20, 15, 18, 16],
}
AREAS = {"Kingsmoor": 24, "Eastfield": 20, "Riverside": 18, "Millbrook Vale": 12, "Town centre": 16, "Ferndale": 10}
AGES = {"Under 18": 2, "18-24": 6, "25-34": 12, "35-44": 14, "45-54": 15, "55-64": 17, "65-74": 16,
        "75-84": 11, "85+": 4, "Prefer not to say": 3}
ETHNICITY = {  # ONS 2021 census categories, weighted roughly like a northern English town
    "White: English, Welsh, Scottish, Northern Irish or British": 680, "White: Irish": 10,
    "White: Gypsy or Irish Traveller": 5, "White: Roma": 3, "White: Other White": 50,
    "Mixed or Multiple ethnic groups: White and Black Caribbean": 10,
    "Mixed or Multiple ethnic groups: White and Black African": 5,
    "Mixed or Multiple ethnic groups: White and Asian": 10,
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups": 5,
    "Asian or Asian British: Indian": 30, "Asian or Asian British: Pakistani": 45,
    "Asian or Asian British: Bangladeshi": 12, "Asian or Asian British: Chinese": 7,
    "Asian or Asian British: Other Asian": 10,
    "Black, Black British, Black Welsh, Caribbean or African: African": 20,
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean": 10,
    "Black, Black British, Black Welsh, Caribbean or African: Other Black": 3,
    "Other ethnic group: Arab": 5, "Other ethnic group: Any other ethnic group": 7,
    "Prefer not to say": 40, "": 20,
}


def pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Answers:
    """Compose free-text answers from the phrase bank, in the many ways people write."""

    def __init__(self, bank: dict, rng: random.Random):
        self.bank, self.rng = bank, rng
        self.general = bank["general"]

    # -- filling slots
    def fill(self, template: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self.slot(m.group(1)), template)

    def slot(self, name: str) -> str:
        r, slots = self.rng, self.bank["slots"]
        if name == "them_cap":
            return r.choice(slots["them"]).capitalize()
        if name == "who_age":
            return str(r.choice(self.general["who_age"]))
        if name == "n3":
            return f"{r.randrange(1000):03d}"
        if name in ("first", "last"):
            return r.choice(self.bank["contact_names"][name])
        return str(r.choice(slots[name]))

    # -- clauses
    def clauses(self, service: str, kind: str, k: int) -> list[str]:
        own = self.bank["services"][service][kind]
        shared = self.general.get(kind, [])
        chosen: list[str] = []
        k = min(k, len(set(own) | set(shared)))
        while len(chosen) < k:
            pool = own if (not shared or self.rng.random() < 0.78) else shared
            clause = self.rng.choice(pool)
            if clause not in chosen:
                chosen.append(clause)
        return [self.fill(c) for c in chosen]

    def join(self, parts: list[str], opener: str = "", closer: str = "") -> str:
        r = self.rng
        style = r.random()
        if len(parts) > 2 and style < 0.12:  # a list, one point a line
            bullet = r.choice(["• ", "* ", "", "1) "])
            lines = [f"{(str(i + 1) + ') ') if bullet == '1) ' else bullet}{p[0].upper()}{p[1:]}"
                     for i, p in enumerate(parts)]
            text, opener = "\n".join(lines), ""
        elif len(parts) == 2 and style < 0.45:
            text = f"{parts[0]} {r.choice(['and', 'and', 'but also', 'also', 'plus'])} {parts[1]}"
        else:
            text = ". ".join(p[0].upper() + p[1:] for p in parts)
        if opener and parts[0][:1].islower() and not opener.endswith(". "):
            text = text[0].lower() + text[1:]  # "Honestly the nurse...", but "Honestly I..." and "Dr..."
        text = opener + text
        text = text[0].upper() + text[1:]
        if not text.endswith(("?", "!", ".")) and r.random() < 0.75:
            text += r.choice([".", ".", ".", "!", "!!"])
        if closer:
            stop = "" if text.endswith(("!", "?")) else "."
            text = f"{text.rstrip('.')}{stop} {closer}" if r.random() < 0.8 else f"{text} {closer.lower()}"
            if r.random() < 0.6:
                text += r.choice([".", "!", "."])
        return text

    # -- the three questions
    def good(self, service: str, positive: float) -> str:
        r = self.rng
        if positive < 0.35:
            return self.join([self.fill(r.choice(self.general["faint_good"]))])
        k = r.choices([1, 2, 3], [5, 4, 2] if positive > 0.7 else [7, 3, 0])[0]
        opener = r.choice(self.general["openers_good"]) if positive > 0.5 else ""
        closer = r.choice(self.general["closers_good"]) if positive > 0.7 else ""
        return self.join(self.clauses(service, "good", k), opener, closer)

    def better(self, service: str, positive: float) -> str:
        r = self.rng
        if positive > 0.8 and r.random() < 0.6:
            return self.join([self.fill(r.choice(self.general["minor_better"]))])
        k = r.choices([1, 2, 3], [4, 4, 3] if positive < 0.4 else [6, 3, 1])[0]
        opener = r.choice(self.general["openers_bad"]) if positive < 0.4 else ""
        closer = r.choice(self.general["closers_bad"]) if positive < 0.3 else ""
        return self.join(self.clauses(service, "bad", k), opener, closer)

    def other(self, service: str, positive: float) -> str:
        r = self.rng
        own = self.bank["services"][service]["else"]
        pool = own if r.random() < 0.6 else self.general["else_general"]
        parts = [self.fill(r.choice(pool))]
        if r.random() < 0.35:
            parts.append(self.fill(r.choice(self.general["else_general"] + own)))
        parts = list(dict.fromkeys(parts))
        return self.join(parts)

    def story(self, service: str) -> str:
        """A long answer: a few sentences of narrative."""
        r = self.rng
        template = r.choice(self.general["long"])
        goods = self.clauses(service, "good", 3)
        bads = self.clauses(service, "bad", 3)
        values = {"good1": goods[0], "good2": goods[1], "good3": goods[2][0].upper() + goods[2][1:],
                  "bad1": bads[0], "bad2": bads[1], "bad3": bads[2],
                  "resolution": r.choice(self.general["resolution"]), "change": r.choice(self.general["change"]),
                  "minor": r.choice([m for m in self.general["minor_better"]
                                     if not m.startswith(("nothing", "can't"))])}
        values["story"] = self.fill(r.choice(self.bank["services"][service]["story"]))
        values["story_lower"] = values["story"][0].lower() + values["story"][1:]
        values["change_cap"] = values["change"][0].upper() + values["change"][1:]
        text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1)) or self.slot(m.group(1)), template)
        # capitalise after full stops, since clauses start lower case
        return re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)

    def formula_like(self, service: str, positive: float) -> str:
        """Text a spreadsheet would take for a formula: "- a list", "+ points", "=)", "@name"."""
        r = self.rng
        if self.bank["formula_like"] and r.random() < 0.3:  # the odd pasted oddity, each used once
            return self.bank["formula_like"].pop(0)
        kind = "good" if positive >= 0.5 else "bad"
        parts = self.clauses(service, kind, r.choice([1, 2, 3]))
        style = r.choice(["dash", "dash", "plus", "smile", "at"])
        if style == "dash":
            return "\n".join(f"- {p}" for p in parts) if len(parts) > 1 else f"-{parts[0]}"
        if style == "plus":
            return " ".join(f"+ {p}" for p in parts)
        if style == "smile":
            return f"=) {'. '.join(parts)}"
        return f"@Healthwatch {'. '.join(parts)}"

    # -- how people type
    def roughen(self, text: str) -> str:
        r = self.rng
        if r.random() < 0.16:  # typos and shorthand, a word or two
            found = [w for w in self.bank["typos"] if re.search(rf"\b{re.escape(w)}\b", text)]
            for word in r.sample(found, min(len(found), r.choice([1, 1, 2]))):
                text = re.sub(rf"\b{re.escape(word)}\b", r.choice(self.bank["typos"][word]), text, count=1)
        roll = r.random()
        if roll < 0.07:
            text = text.lower().rstrip(".!")
        elif roll < 0.09:
            text = text.upper()
        elif roll < 0.12:
            text = text.replace(". ", ".  ")  # two spaces after a full stop
        return text


def survey_rows(bank: dict, rng: random.Random, n: int, first_id: int, start: dt.date, days: int,
                reuse: list[dict] | None = None, reuse_share: float = 0.0) -> list[dict]:
    """n respondents in submission order; some may be people who answered the last wave."""
    answers = Answers(bank, rng)
    stamps = sorted(start + dt.timedelta(days=rng.randrange(days)) for _ in range(n))
    returning = rng.sample(reuse, round(n * reuse_share)) if reuse else []
    slots_for_returning = set(rng.sample(range(n), len(returning)))
    rows, next_id = [], first_id
    for i, when in enumerate(stamps):
        if i in slots_for_returning:
            earlier = returning.pop()
            person = {k: earlier[k] for k in ("Respondent ID", "Area", "Age group", "Ethnicity")}
            service = earlier["Service"] if rng.random() < 0.5 else pick(rng, SERVICE_WEIGHTS)
        else:
            person = {"Respondent ID": f"HWK-{next_id:04d}", "Area": pick(rng, AREAS),
                      "Age group": pick(rng, AGES), "Ethnicity": pick(rng, ETHNICITY)}
            next_id += 1
            service = pick(rng, SERVICE_WEIGHTS)
        rating = rng.choices([1, 2, 3, 4, 5], RATING_WEIGHTS[service])[0]
        row = {"Respondent ID": person["Respondent ID"], "Date submitted": when, "Service": service,
               "Area": person["Area"], "Age group": person["Age group"], "Ethnicity": person["Ethnicity"],
               RATING: rating if rng.random() > 0.02 else None}
        row.update(respond(answers, rng, service, rating))
        rows.append(row)
    return rows


def respond(answers: Answers, rng: random.Random, service: str, rating: int) -> dict:
    """The three free-text answers of one respondent, mostly in tune with their rating."""
    positive = (rating - 1) / 4 + rng.uniform(-0.15, 0.15)
    if rng.random() < 0.05:  # ticked the scale the wrong way round, or changed their mind
        positive = 1 - positive
    bank = answers.bank
    out = {}
    for question in QUESTIONS:
        roll = rng.random()
        blank = {QUESTIONS[0]: 0.06, QUESTIONS[1]: 0.06, QUESTIONS[2]: 0.32}[question]
        if roll < blank:
            out[question] = None
            continue
        roll = rng.random()
        if roll < 0.06:
            text = rng.choice(bank["placeholders"])
        elif roll < 0.10 and question != QUESTIONS[2]:
            text = rng.choice(bank["short"]["good" if question == QUESTIONS[0] else "bad"])
        elif roll < 0.11:
            text = answers.formula_like(service, positive)
        elif roll < 0.155:
            text = answers.story(service)
        else:
            maker = {QUESTIONS[0]: answers.good, QUESTIONS[1]: answers.better, QUESTIONS[2]: answers.other}
            text = answers.roughen(maker[question](service, positive))
            if rng.random() < 0.012:
                text += " " + rng.choice(bank["emoji"]["good" if positive >= 0.5 else "bad"])
        if question == QUESTIONS[2] and rng.random() < 0.04:
            stop = "" if text.endswith((".", "!", "?")) else "."
            text = f"{text}{stop} {answers.fill(rng.choice(bank['contact']))}"
        out[question] = text
    return out


def write_xlsx(rows: list[dict], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row[c] for c in COLUMNS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # an answer that looks like a formula is still an answer
            if cell.column > len(COLUMNS) - len(QUESTIONS):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(ws.max_row, 2).number_format = "dd/mm/yyyy"
    for letter, width in zip("ABCDEFGHIJ", [12, 14, 18, 15, 12, 30, 12, 45, 45, 45]):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "B2"
    when = dt.datetime(*ZIP_TIME)
    wb.properties.creator, wb.properties.created, wb.properties.modified = ORG, when, when
    wb.save(path)
    fix_zip(path)


def write_csv(rows: list[dict], path: Path) -> None:
    """The second wave as the survey tool's CSV download: UTF-8 with a BOM, CRLF rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = dict(row, **{"Date submitted": row["Date submitted"].strftime("%d/%m/%Y")})
        writer.writerow(["" if values[c] is None else values[c] for c in COLUMNS])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def write_mapping(path: Path) -> None:
    mapping = {"text": QUESTIONS, "id": "Respondent ID", "date": "Date submitted", "attrs": ATTRIBUTES}
    header = ("# Column choices for survey-2025-q1.xlsx and survey-2025-q2.csv (keys as in ImportOptions).\n"
              "#   rapidreview import review.db survey-2025-q1.xlsx --mapping survey-mapping.yaml --wave 2025-Q1\n")
    path.write_text(header + yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True), encoding="utf-8")


def write_surveys(out: Path, rng: random.Random) -> list[Path]:
    bank = yaml.safe_load((SRC / "survey-bank.yaml").read_text(encoding="utf-8"))
    q1 = survey_rows(bank, random.Random(rng.getrandbits(64)), 300, 1001, dt.date(2025, 1, 6), 85)
    q2 = survey_rows(bank, random.Random(rng.getrandbits(64)), 120, 1001 + 300, dt.date(2025, 4, 1), 90,
                     reuse=q1, reuse_share=1 / 3)
    paths = [out / "survey-2025-q1.xlsx", out / "survey-2025-q2.csv", out / "survey-mapping.yaml"]
    write_xlsx(q1, paths[0])
    write_csv(q2, paths[1])
    write_mapping(paths[2])
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    written = write_transcripts(args.out, rng) + write_surveys(args.out, rng)
    for path in written:
        print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
