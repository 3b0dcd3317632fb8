"""Person names in running text, without a trained model.

Three kinds of evidence, strongest first:
1. a title or role before a capitalised word: "Dr Patel", "Nurse Bernadette", "dr khan";
2. a relation or naming phrase before a word, capitalised or not: "my son jack",
   "our daughter, Amara", "a lady called bernie";
3. a capitalised word in the names list (`data/names.tsv.gz`, see build_names.py),
   extended over the surname that follows: "Siobhan O'Neill", "Mary-Jane Smith-Jones".
Names that are also common words ("Will", "Hope", "Patience") need 1, 2, or a surname
after them; those that are often lower-case words ("Rose", "Jack") are not taken at
the start of a sentence on list evidence alone. Places ("Leeds") are never names on
their own. Protected spans (the allow-list, organisation names such as "St Gemma's
Hospice" or "Queen Elizabeth Hospital") are never touched.
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path
from typing import Iterator

DATA = Path(__file__).parent / "data"

_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_POSSESSIVE = re.compile(r"['’]s$", re.I)

TITLES = frozenset("""dr doctor mr mrs ms miss mx prof professor nurse sister matron sr rev reverend fr father
cllr councillor dame sir lady lord midwife auntie aunty uncle nana nanna grandma grandad nurses""".split())
# Titles that are also ordinary words: only a title when capitalised.
WEAK_TITLES = frozenset("sister father lady lord nurse doctor uncle auntie aunty nana nanna grandma grandad".split())
RELATIONS = frozenset("""son sons daughter daughters mum mam mom mother dad father husband wife partner brother sister
nan nana nanna gran granny grandma grandmother grandad granddad grandpa grandfather grandson granddaughter
grandchild aunt auntie aunty uncle cousin niece nephew friend neighbour neighbor carer boyfriend girlfriend
fiance fiancé fiancee fiancée child baby boy girl stepdad step-dad stepmum step-mum stepson stepdaughter
stepfather stepmother twin hubby missus mate colleague sibling wife's husband's""".split())
# Job titles that come just before a name: "the OT Lisa", "the physio, Bill,", "nurse was Sue".
ROLES = frozenset("""nurse nurses sister doctor dr physio physiotherapist ot receptionist midwife carer paramedic porter
consultant hca assistant cleaner surgeon registrar gp therapist psychiatrist psychologist counsellor worker
pharmacist phlebotomist dentist optician volunteer coordinator manager matron health visitor practitioner
radiographer sonographer anaesthetist houseman junior chaplain advocate officer driver lady man gentleman girl
guy chap fella bloke""".split())
POSSESSORS = frozenset("my our his her their your the".split())
NAMING = frozenset("called named name's nicknamed".split())
# Before a name that is also a word, these make it a name ("thanks to Precious").
WEAK_TRIGGERS = frozenset("thanks thank ask asked spoke speak told tell".split())
# Capitalised words that follow a title or relation but are not people.
NOT_NAME = frozenset("""practitioner practitioners manager lead leads specialist specialists practice ward wards unit
team staff associate assistant nurse nurses sister doctor doctors consultant registrar surgeon on in at and or who
said says was is were are had has have did does told gave came went the a an it he she they we i you his her their
my our your this that there here then when what why how not no yes but so if because as of to for from with by
about after before during over under again also just only very really too all some any every each other another
practice's station call calls line desk bay bed room reception receptionist pharmacy pharmacist clinic hospital
surgery service services trust council england nhs gp gps please thanks thank hi hello dear sorry well oh um mm
today tomorrow yesterday tonight morning afternoon evening night week month year monday tuesday wednesday thursday
friday saturday sunday january february march april may june july august september october november december
mental health care social community district practice team's north south east west central upper lower
nil none na doc docs""".split())
# After a sentence-initial name that is also a word, these say it is a person: "Dawn at
# Citizens Advice", "Hope from the district nurses", "Sue, would you like to go next?".
PERSON_NEXT = frozenset("""at from on said says told came helped gave explained who rang called phoned visited took
made kept always never sorted listened treated stayed brought went asked looked checked saw came noticed
was is has had did""".split())
WEAK_NEXT = frozenset("was is has had did".split())  # not enough for "Patience is needed"
PARTICLES = frozenset("da de del della di van von der den le la ní nic mac bin bint al el ben ter du dos das st".split())
# Capitalised words that end an organisation or place name: "St Gemma's Hospice".
ORG_SUFFIX = ("Hospital|Infirmary|Hospice|Surgery|Practice|Clinic|Centre|Center|Trust|House|Ward|Wing|Unit|Lodge|"
              "Court|Road|Street|Lane|Avenue|Drive|Close|Crescent|Way|Place|Grove|Gardens|Terrace|Walk|Hill|Row|"
              "Square|Mews|Parade|View|Rise|Green|Park|Foundation|Fund|Charity|College|University|School|Academy|"
              "Church|Mosque|Temple|Gurdwara|Library|Pharmacy|Chemists?|Surgeries|Partnership|Group|Suite|Building|"
              "Memorial|Institute|Society|Association|Service|Services|Team|Home|Village|Estate|Station|Bridge|Medical|"
              "Health")
LOWER_SUFFIX = ("hospital|infirmary|hospice|surgery|practice|clinic|centre|center|ward|wing|unit|trust|road|street|"
                "lane|avenue|drive|crescent|close|medical centre|health centre|course|programme|program|team|"
                "service|services|scheme|project|group|pathway|site|building")
_ORG = re.compile(r"(?<![\w'’])(?:(?:St\.?|[A-Z][\w'’\-]*)\s+){1,4}(?:" + ORG_SUFFIX + r")\b"
                  r"|(?<![\w'’])(?:(?:St\.?|[A-Z][\w'’\-]*)\s+){0,3}[A-Z][\w\-]*(?<!['’]s)\s+(?:" + LOWER_SUFFIX + r")\b")
_SENTENCE_END = frozenset(".!?:;\n\r\"“”•*>")


@functools.lru_cache(maxsize=1)
def names_table() -> dict[str, str]:
    """name -> flags (F first, L last, C common word, W often lower-case, P place)."""
    table = {}
    with gzip.open(DATA / "names.tsv.gz", "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            name, _, flags = line.rstrip("\n").partition("\t")
            table[name] = flags
    return table


@functools.lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    with gzip.open(DATA / "words.txt.gz", "rt", encoding="utf-8") as f:
        return frozenset(f.read().split())


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | frozenset("mum dad nan gran son daughter".split())


def normalise(word: str) -> str:
    """'MARY-JANE' -> 'Mary-Jane', "o'brien" -> "O'Brien": the names list's form."""
    out = []
    for part in re.split(r"([\-'’])", word):
        out.append(part[:1].upper() + part[1:].lower() if part not in "-'’" else part)
    return "".join(out)


def flags_of(word: str) -> str:
    table = names_table()
    return table.get(word) or table.get(normalise(word)) or ""


def org_spans(text: str) -> list[tuple[int, int]]:
    """Capitalised phrases ending in an organisation or street word."""
    return [(m.start(), m.end()) for m in _ORG.finditer(text)]


class _Tok:
    __slots__ = ("start", "end", "wend", "word", "base", "shape", "flags")

    def __init__(self, start, end, word, upper_text):
        base = _POSSESSIVE.sub("", word) if len(word) > 3 else word
        self.start, self.end, self.word, self.base = start, start + len(base), word, base
        self.wend = start + len(word)
        if base[0].isupper():
            self.shape = "cap" if (len(base) == 1 or not base.isupper() or upper_text) else "upper"
        else:
            self.shape = "lower"
        self.flags = None

    def f(self) -> str:
        if self.flags is None:
            self.flags = flags_of(self.base)
        return self.flags


def detect(text: str, protected: list[tuple[int, int]] | tuple = ()) -> Iterator:
    """Yield name Spans in `text`; `protected` spans (allow-list) are left alone."""
    from .detectors import Span

    if not text:
        return
    letters = sum(c.isalpha() for c in text)
    upper_text = letters > 8 and sum(c.isupper() for c in text) > 0.7 * letters
    toks = [_Tok(m.start(), m.end(), m.group(), upper_text) for m in _TOKEN.finditer(text)]
    if not toks:
        return
    blocked = list(protected) + org_spans(text)
    words, stops = common_words(), stop_words()
    n = len(toks)
    hit = [False] * n

    def is_blocked(t: _Tok) -> bool:
        return any(a < t.end and t.start < b for a, b in blocked)

    def sentence_start(i: int) -> bool:
        j = toks[i].start - 1
        while j >= 0 and text[j] in " \t([‘'\"-–—":
            j -= 1
        return j < 0 or text[j] in _SENTENCE_END

    # "Very Good Service Will Recommend": when ordinary words are capitalised mid-sentence,
    # capitals say little.
    plain = [t for i, t in enumerate(toks) if len(t.word) > 3 and t.word.lower() in words and not sentence_start(i)]
    title_text = len(plain) >= 3 and sum(t.shape == "cap" for t in plain) > 0.6 * len(plain)

    def gap_ok(i: int) -> bool:
        """Nothing but spaces, a comma or a dash between token i-1 and token i."""
        gap = text[toks[i - 1].wend:toks[i].start]
        return len(gap) <= 3 and all(c in " ,-–—:\t" for c in gap)

    def lower_of(i: int) -> str:
        return toks[i].word.lower() if 0 <= i < n else ""

    def is_word(t: _Tok) -> bool:
        return t.base.lower() in words

    def name_like_cap(t: _Tok) -> bool:
        """A capitalised word that can be (part of) a name once context says so."""
        if t.shape != "cap" or t.base.lower() in NOT_NAME or t.base.lower() in stops:
            return False
        f = t.f()
        if "P" in f and "F" not in f:
            return False
        return bool(f) or not is_word(t)

    def name_like_lower(t: _Tok, strict: bool) -> bool:
        """A lower-case word that is a first name (after "my son", "called")."""
        low = t.base
        if t.shape != "lower" or low in stops or low in NOT_NAME or len(low) < 3:
            return False
        f = t.f()
        if "F" not in f or "P" in f or "C" in f or low in RELATIONS:
            return False
        return not strict or ("G" in f and "W" not in f and low not in words and len(low) > 3)

    for i, t in enumerate(toks):
        if hit[i] or is_blocked(t):
            continue
        prev = lower_of(i - 1)
        prev_ok = i > 0 and gap_ok(i)
        # 1. titles and roles
        if i > 0 and text[toks[i - 1].wend:t.start] in (" ", ". ") and prev in TITLES and (toks[i - 1].shape == "cap" or prev not in WEAK_TITLES):
            title_cap = toks[i - 1].shape != "lower"
            if name_like_cap(t) or (t.shape == "cap" and len(t.base) == 1) or (
                    not title_cap and (name_like_lower(t, strict=False) or ("L" in t.f() and t.shape == "lower"
                                                                         and t.base not in words))):
                hit[i] = True
                continue
        # 2. relations and naming phrases
        if prev_ok and (_after_relation(toks, i, text) or prev in NAMING or (prev == "is" and lower_of(i - 2) == "name")):
            if name_like_cap(t) or (t.shape == "cap" and "F" in t.f()) or name_like_lower(t, strict=False):
                hit[i] = True
                continue
        # 3. the names list
        if t.shape != "cap":
            if t.shape == "lower" and name_like_lower(t, strict=True) and not upper_text and _lower_ok(toks, i, text):
                hit[i] = True
            continue
        f = t.f()
        if not f or t.base.lower() in NOT_NAME or t.base.lower() in stops:
            continue
        nxt = toks[i + 1] if i + 1 < n and _adjacent(text, t, toks[i + 1]) else None
        if prev == "the" or _names_a_place(text, t, nxt):
            continue  # "the Freeman", "Rowan 1", "Trent PTS": hospitals, wards and services
        surname_next = (nxt is not None and nxt.shape == "cap" and name_like_cap(nxt) and "L" in nxt.f()
                        and not is_word(nxt) and not ({"C", "W", "P"} & set(nxt.f())))
        start = sentence_start(i)
        if "F" in f:
            if "P" in f:
                continue
            after = _next_word(toks, i, text)
            if "C" in f:
                enclosed = text[t.start - 2:t.start] == ", " and text[t.wend:t.wend + 1] == ","
                thanked = prev in WEAK_TRIGGERS or (prev == "to" and lower_of(i - 2) in ("thanks", "you"))
                if (surname_next or _listed_with_name(toks, i, text, hit)
                        or (not start and not title_text and (_after_role(toks, i) or thanked or enclosed))):
                    hit[i] = True
                continue
            if start and ("W" in f or is_word(t)):
                if surname_next or t.word != t.base or after in PERSON_NEXT or after == ",":
                    hit[i] = True
                continue
            if title_text and is_word(t) and not surname_next:
                continue
            hit[i] = True

    # Extend each name over the surname and particles that follow it.
    for i in range(n):
        if not hit[i] or i + 1 >= n or hit[i + 1]:
            continue
        j = i + 1
        while j < n and _adjacent(text, toks[j - 1], toks[j]) and not is_blocked(toks[j]):
            tj = toks[j]
            fj = tj.f()
            if tj.shape == "cap" and (name_like_cap(tj) or len(tj.base) == 1) and ("C" not in fj or "L" in fj):
                hit[j] = True
                j += 1
            elif tj.word.lower() in PARTICLES and j + 1 < n and toks[j + 1].shape == "cap" and toks[j - 1].shape == "cap":
                hit[j] = True
                j += 1
            else:
                break
            if toks[j - 1].word != toks[j - 1].base:
                break  # a possessive ends the name

    i = 0
    while i < n:
        if not hit[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and hit[j + 1] and _adjacent(text, toks[j], toks[j + 1]) and toks[j].word == toks[j].base:
            j += 1
        yield Span(toks[i].start, toks[j].end, "name", "names")
        i = j + 1


def _adjacent(text: str, a: _Tok, b: _Tok) -> bool:
    """b follows a with only a space (or an initial's full stop) between them."""
    gap = text[a.wend:b.start]
    return gap in (" ", ". ") if len(a.word) == 1 else gap == " "


def _after_relation(toks, i: int, text: str) -> bool:
    """"my son Jack", "our eldest daughter, Amara", "my late husband Bill"."""
    j = i - 1
    if j < 0 or toks[j].word.lower() not in RELATIONS:
        return False
    if text[toks[j].wend:toks[i].start].strip() not in ("", ",", "-", "–", "—"):
        return False
    return any(toks[k].word.lower() in POSSESSORS for k in range(max(0, j - 3), j))


def _next_word(toks, i: int, text: str) -> str:
    """The next word in lower case, or "," when a comma follows (a vocative: "Sue, ...")."""
    t = toks[i]
    if text[t.wend:t.wend + 1] == ",":
        return ","
    return toks[i + 1].word.lower() if i + 1 < len(toks) else ""


def _names_a_place(text: str, t: _Tok, nxt) -> bool:
    """A name followed by a number or an acronym names a ward or service: "Rowan 1", "Trent PTS"."""
    after = text[t.wend:t.wend + 6]
    if re.match(r" \d", after):
        return True
    return nxt is not None and nxt.shape == "upper" and len(nxt.word) >= 2


def _after_role(toks, i: int) -> bool:
    """A job title one or two words before: "the physio, Bill", "my named nurse was Sue"."""
    return any(toks[j].word.lower() in ROLES for j in (i - 1, i - 2) if j >= 0)


def _listed_with_name(toks, i: int, text: str, hit) -> bool:
    """"Precious and Mohammed": a word-like name beside a clear name."""
    if i + 2 < len(toks) and toks[i + 1].word == "and" and toks[i + 2].shape == "cap":
        f = toks[i + 2].f()
        return "F" in f and "C" not in f
    if i >= 2 and toks[i - 1].word == "and" and hit[i - 2]:
        return True
    return False


def _lower_ok(toks, i: int, text: str) -> bool:
    """A lower-case first name in running text: not inside an email or a web address."""
    t = toks[i]
    left = text[max(0, t.start - 1):t.start]
    right = text[t.end:t.end + 1]
    return left not in ("@", ".", "/", "_") and right not in ("@", ".", "/", "_") or right == "." and left not in "@./_"
