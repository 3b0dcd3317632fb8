"""Person names in running text, without a trained model.

Three kinds of evidence, strongest first:
1. a title or role before a capitalised word: "Dr Patel", "Nurse Bernadette", "dr khan";
2. a relation or naming phrase before a word, capitalised or not: "my son jack",
   "our daughter, Amara", "a lady called bernie";
3. a capitalised word in the names list (`data/names.tsv.gz`, see build_names.py),
   extended over the surname that follows: "Siobhan O'Neill", "Mary-Jane Smith-Jones";
   self-introductions and appositions ("I'm Tomasz,", "Precious, the nurse."); a
   sentence-initial given name before a verb ("Steve put me in touch", "Frank gets").
A review's known names (speakers, participants, the researcher's list: known.py) are
names wherever they stand capitalised, unless plainly a month by a date ("in June 2024")
or a word at a sentence start ("Will you..."). A name found once in a text is that
person wherever else it stands capitalised in the same text ("my wife, June ... June was").
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
_POSSESSIVE_ENDS = frozenset(("'s", "’s", "'S", "’S"))


def _strip_possessive(w: str) -> str:
    return w[:-2] if len(w) > 3 and w[-2:] in _POSSESSIVE_ENDS else w

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
nil none na doc docs muslim muslims hindu sikh jewish buddhist catholic protestant english scottish irish
polish asian african caribbean""".split())
# Popular given names that are also everyday lower-case words: not names in lower case
# without a trigger ("an amber warning", "15 miles", "she is an angel").
LOWER_WORD_NAMES = frozenset("""amber holly ruby daisy ivy pearl crystal robin lee dean carol gene jean victor dawn
rose iris violet heather sky summer autumn april june may august hope faith grace joy patience mercy chance price
page hunter mason porter baker cook will bill mark pat sue don ray guy max frank rich jack skip lance chase miles
nick norman sunny hazel olive ginger brandy candy penny rusty buddy bud bob art bliss sage basil jade harmony melody
destiny precious blessing gift marvel ace king prince duke earl major rocky stone river storm rain star angel honey
sugar cash bishop pastor deacon sister doc marshall sterling sonny kit kitty bunny dusty faye fay gay mae bella
carter cole drew grant hope lily lilly poppy rowan rowen ash ashley brook brooke cliff dale glen glenn gordon
hall hill hunter jay jewel lane lark may neil noble oliver paris pip reed rob rod rusty sandy scott shelby
sonny spencer tucker ward wade warren wood young ellis else""".split())
# After a sentence-initial name that is also a word, these say it is a person: "Dawn at
# Citizens Advice", "Hope from the district nurses", "Sue, would you like to go next?".
PERSON_NEXT = frozenset("""at from on said says told came helped gave explained who rang called phoned visited took
made kept always never sorted listened treated stayed brought went asked looked checked saw came noticed
was is has had did""".split())
# Known names that are also months stay months next to a date: "in June", "June 2024", "3rd May".
MONTHS = frozenset("January February March April May June July August September October November December".split())
MONTH_BEFORE = frozenset("in since until till by last next this early late mid during from of end".split())
# Verbs after a sentence-initial name: "Steve put me in touch", "Frank gets anxious".
VERB_NEXT = PERSON_NEXT | frozenset("""put puts gets got rang rings phones phoned says does doesn't hasn't isn't
wasn't didn't won't can't couldn't wouldn't knows knew works worked lives lived comes goes sent found needs wants
loves loved keeps organised arranged suggested mentioned recommended introduced drove picked used""".split())
# After a sentence-initial name that is also a common word ("Pat", "Hope"), only these count.
STRONG_VERB_NEXT = frozenset("said says told rang phoned helped put explained hasn't doesn't didn't isn't "
                             "wasn't".split())
_CONTRACTION = re.compile(r"['’](?:m|ll|ve|d|re|t)$|n['’]t$", re.I)
SELF_INTRO = frozenset(("i'm", "i’m", "im"))
# Asking someone by name: "Sue, would you like to go next?"
_VOCATIVE = re.compile(r",\s+(?:would|could|can|do|did|are|were|have|will|is there) (?:you|anything)\b")
# "Precious, the nurse." and "Lou, my support worker, ...": the role ends the phrase, so
# "Brilliant, the nurse was" (a word, then a verb) is not one.
_APPOSITIVE = re.compile(r",\s+(?:the|my|our|his|her|their|a)\s+([a-z]+)(?:\s+worker)?"
                         r"(?=[,.;:!?)]|\s+(?:who|on|at|from|in|there)\b|\s*$)")
PARTICLES = frozenset("da de del della di van von der den le la ní nic mac bin bint al el ben ter du dos das st"
                      .split())
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
TRIGGERS = TITLES | RELATIONS | NAMING | {"name"}
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
    # The list keeps names of three letters or more; these short ones are common enough.
    for name in ("Jo", "Ed", "Al", "Di", "Ty", "Bo"):
        table.setdefault(name, "FG")
    return table


@functools.lru_cache(maxsize=1)
def lower_names() -> frozenset[str]:
    """Names that may be spotted in lower case: first names and surnames that are not
    common words or places ("jack" after "my son", "khan" after "dr")."""
    stops = stop_words()
    return frozenset(n.lower() for n, f in names_table().items()
                     if ("F" in f or "L" in f) and "C" not in f and "P" not in f and n.lower() not in stops)


@functools.lru_cache(maxsize=1)
def _interest() -> frozenset[str]:
    """Words that send a text down the careful path: triggers in any case, names that can
    be names without a trigger (not places; common words only if popular given names,
    such as "Sue" or "Bill"), and lower-case names."""
    triggers = TRIGGERS | ROLES | WEAK_TRIGGERS
    names = {n for n, f in names_table().items() if "P" not in f and ("C" not in f or "G" in f)}
    return frozenset(names | lower_names() | triggers | {t.title() for t in triggers} | {t.upper() for t in triggers})


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


_SUFFIX_WORD = re.compile(r"\b(?:" + ORG_SUFFIX.lower() + "|" + LOWER_SUFFIX + r")\b")
_LOWER_SUFFIXES = frozenset(LOWER_SUFFIX.split("|"))
_CAPS_BEFORE = re.compile(r"(?<![\w'’])(?:(?:St\.?|[A-Z][\w'’\-]*)\s+){1,4}$")


def org_spans(text: str, low: str | None = None) -> list[tuple[int, int]]:
    """Capitalised phrases ending in an organisation or street word: "St Gemma's
    Hospice", "Kingsley ward". Finds the (rare) suffix words first, then looks back."""
    low = text.lower() if low is None else low
    out = []
    for m in _SUFFIX_WORD.finditer(low):
        suffix = text[m.start():m.end()]
        if suffix.isupper():
            continue  # SHOUTED TEXT: capitals say nothing about organisations
        if not suffix[0].isupper() and suffix not in _LOWER_SUFFIXES:
            continue
        before = _CAPS_BEFORE.search(text, max(0, m.start() - 80), m.start())
        if before is None:
            continue
        if not suffix[0].isupper() and before.group().rstrip()[-2:] in _POSSESSIVE_ENDS:
            continue  # "Janice's team" is a person's team
        out.append((before.start(), m.end()))
    return out


class _Tok:
    __slots__ = ("start", "end", "wend", "word", "base", "shape", "flags")

    def __init__(self, start, end, word, upper_text):
        base = word[:-2] if len(word) > 3 and word[-2:] in _POSSESSIVE_ENDS else word
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


def detect(text: str, protected: list[tuple[int, int]] | tuple = (), known: frozenset[str] = frozenset()
           ) -> Iterator:
    """Yield name Spans in `text`; `protected` spans (allow-list) are left alone. `known`
    names (the review's speakers, the researcher's list) are names wherever they appear
    capitalised, unless their own use as a word or month is plain (see `_known_hit`)."""
    from .detectors import Span

    if not text:
        return
    # Fast path (set look-ups in C): most comments hold no word that could be a name or
    # point to one. Possessives and upper-case words take the careful path.
    interesting = lower_names()
    ws = _TOKEN.findall(text)
    if (_interest().isdisjoint(ws) and known.isdisjoint(ws) and "'" not in text and "’" not in text
            and not any(len(w) > 1 and w.isupper() for w in ws)):
        return
    matches = list(_TOKEN.finditer(text))
    uppers = sum(map(str.isupper, text))
    upper_text = uppers > 8 and uppers > 0.7 * sum(map(str.isalpha, text))
    toks = [_Tok(m.start(), m.end(), m.group(), upper_text) for m in matches]
    if callable(protected):
        protected = protected(text)
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
    # capitals say little. Worked out only when a decision needs it.
    title_cache: list[bool] = []

    def is_title_text() -> bool:
        if not title_cache:
            plain = [t for i, t in enumerate(toks)
                     if len(t.word) > 3 and t.word.lower() in words and not sentence_start(i)]
            title_cache.append(len(plain) >= 3 and sum(t.shape == "cap" for t in plain) > 0.6 * len(plain))
        return title_cache[0]

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
        if not f and _CONTRACTION.search(t.base):
            return False  # "I'm", "She'll", "Didn't": not names after "my main carer,"
        return bool(f) or not is_word(t)

    def name_like_lower(t: _Tok, strict: bool) -> bool:
        """A lower-case word that is a first name (after "my son", "called")."""
        low = t.base
        if t.shape != "lower" or low in stops or low in NOT_NAME or len(low) < 3:
            return False
        f = t.f()
        if "F" not in f or "P" in f or "C" in f or low in RELATIONS:
            return False
        return not strict or ("G" in f and "W" not in f and low not in LOWER_WORD_NAMES and len(low) > 3)

    def known_hit(i: int) -> bool:
        """A known name here is the person, unless plainly a month or a word: "in June 2024",
        "Will you...", "Very Good Service Will Recommend"."""
        t = toks[i]
        if t.shape != "cap":
            return False
        if t.base in MONTHS and t.word == t.base and _month_context(text, toks, i):
            return False
        f = t.f()
        wordlike = is_word(t) or t.base.lower() in stops or "C" in f or "W" in f or t.base in MONTHS
        if not wordlike:
            return True
        if sentence_start(i):  # "Pat hasn't", "Steve: ...", not "Will you", "Grace period"
            after = _next_word(toks, i, text)
            return (t.word != t.base or after in VERB_NEXT or after in ("and", ",")
                    or bool(re.match(r"[:;.!?)]", text[t.wend:t.wend + 1]))
                    or (i + 1 < n and _adjacent(text, t, toks[i + 1]) and toks[i + 1].shape == "cap"))
        return not is_title_text()

    for i, t in enumerate(toks):
        if t.shape == "lower" and t.base not in interesting:
            continue  # no rule makes this word a name
        if hit[i] or is_blocked(t):
            continue
        if t.base in known:
            hit[i] = known_hit(i)
            continue
        prev = lower_of(i - 1)
        prev_ok = i > 0 and gap_ok(i)
        # 0. self-introductions and appositions: "I'm Dev, ...", "Precious, the nurse."
        # After "I'm", a word ("I'm Fine") needs to be a popular given name ("I'm Pat.").
        if t.shape == "cap" and name_like_cap(t) and ("F" in t.f() or not is_word(t)):
            intro = i > 0 and (prev in SELF_INTRO or (prev == "am" and lower_of(i - 2) == "i"))
            if (intro and _given(t, is_word(t)) and not is_title_text()
                    and (not is_word(t) or _ends_phrase(toks, i, text))):
                hit[i] = True
                continue
            m = _APPOSITIVE.match(text, t.wend)
            if m and (m.group(1) in ROLES or m.group(1) in RELATIONS) and not is_title_text():
                hit[i] = True
                continue
        # 1. titles and roles
        titled = i > 0 and prev in TITLES and text[toks[i - 1].wend:t.start] in (" ", ". ")
        if titled and (toks[i - 1].shape == "cap" or prev not in WEAK_TITLES):
            title_cap = toks[i - 1].shape != "lower"
            particle = t.word.lower() in PARTICLES and i + 1 < n and toks[i + 1].shape == "cap"
            if particle or name_like_cap(t) or (t.shape == "cap" and len(t.base) == 1) or (
                    not title_cap and (name_like_lower(t, strict=False) or ("L" in t.f() and t.shape == "lower"
                                                                         and t.base not in words))):
                hit[i] = True
                continue
        # 2. relations and naming phrases
        named = prev in NAMING or (prev == "is" and lower_of(i - 2) == "name")
        if prev_ok and (named or _after_relation(toks, i, text)):
            if (name_like_cap(t) or (t.shape == "cap" and "F" in t.f()) or name_like_lower(t, strict=False)
                    or (t.base in MONTHS and not _month_context(text, toks, i))):
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
        if prev in ("the", "st", "saint") or _names_a_place(text, t, nxt):
            continue  # "the Freeman", "St George's", "Rowan 1", "Trent PTS": places and services
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
                popular = "G" in f
                accompanied = popular and prev == "with" and _ends_phrase(toks, i, text)
                if (surname_next or _listed_with_name(toks, i, text, hit)
                        or (start and popular and t.word == t.base and (after in STRONG_VERB_NEXT
                                                            or _VOCATIVE.match(text, t.wend)))
                        or (not start and not is_title_text()
                            and (_after_role(toks, i) or thanked or enclosed or accompanied))):
                    hit[i] = True
                continue
            if start and ("W" in f or is_word(t)):
                if (surname_next or t.word != t.base or after in PERSON_NEXT or after == ","
                        or ("G" in f and after in VERB_NEXT)
                        or (i > 0 and "G" in f and text[t.wend:t.wend + 2] in (".", ". "))):
                    hit[i] = True
                continue
            if is_word(t) and not surname_next and is_title_text():
                continue
            hit[i] = True

    # A name found once (by a cue or the list) is that person wherever else it stands
    # capitalised in the same document: "tell me about June", "June was screaming".
    found = {toks[i].base for i in range(n) if hit[i] and toks[i].shape == "cap"} - known
    if found:
        for i, t in enumerate(toks):
            if not hit[i] and t.base in found and not is_blocked(t):
                hit[i] = known_hit(i)

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
            elif (tj.word.lower() in PARTICLES and j + 1 < n and toks[j + 1].shape == "cap"
                  and toks[j - 1].shape == "cap"):
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
    """"my son Jack", "our eldest daughter, Amara", "my late husband Bill", "my support worker Lou"."""
    j = i - 1
    if j < 0:
        return False
    word = toks[j].word.lower()
    if word == "worker" and j > 0 and toks[j - 1].word.lower() in ("support", "social", "key", "care"):
        j -= 1
    elif word not in RELATIONS:
        return False
    if text[toks[j].wend:toks[i].start].strip() not in ("", ",", "-", "–", "—"):
        return False
    return any(toks[k].word.lower() in POSSESSORS for k in range(max(0, j - 3), j))


def _given(t: _Tok, word: bool) -> bool:
    """A given name, or an unlisted word that is no English word ("Tomasz", "Abdi"); a word
    only when it is a popular given name ("Pat", "Frank")."""
    f = t.f()
    if word or "C" in f:
        return "F" in f and "G" in f
    return "F" in f or not f


def _month_context(text: str, toks, i: int) -> bool:
    """A month by its neighbours: a number after or before it, or "in", "since", "last"..."""
    t = toks[i]
    if re.match(r",?\s*\d", text[t.wend:t.wend + 4]):
        return True
    if re.search(r"\d(?:st|nd|rd|th)?\s+(?:of\s+)?$", text[max(0, t.start - 12):t.start]):
        return True
    return i > 0 and toks[i - 1].word.lower() in MONTH_BEFORE


def _ends_phrase(toks, i: int, text: str) -> bool:
    """The word ends its phrase: punctuation, "and", or the end of the text follows."""
    rest = text[toks[i].wend:toks[i].wend + 5]
    return not rest.strip() or rest[0] in ",.;:!?)" or rest.startswith(" and ")


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
