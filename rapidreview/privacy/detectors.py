"""Rule detectors for personal data: one small function per kind, each `text -> spans`.

Every detector yields `Span(start, end, kind, detector)`: character offsets into the text
it was given, never a rewritten text. `detect(text, config)` runs them all, applies the
allow-list, and resolves overlaps (the more specific kind wins: an email beats the name
inside it). They are plain regular expressions and set look-ups, so they run offline at
tens of thousands of comments a second; a trained spaCy pipeline, where installed, may
add recall (see `redact.py`), never replace these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from . import names as _names


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str
    detector: str


# Kinds and their placeholders. User patterns may add kinds (shown upper-cased).
PLACEHOLDERS = {
    "name": "NAME",
    "phone": "PHONE",
    "nhs_number": "NHS NUMBER",
    "email": "EMAIL",
    "postcode": "POSTCODE",
    "ni_number": "NI NUMBER",
    "date_of_birth": "DATE OF BIRTH",
    "address": "ADDRESS",
    "url": "URL",
}
STRUCTURED = ("nhs_number", "phone", "email", "postcode", "ni_number")

# When two detections overlap, the higher priority keeps the text.
PRIORITY = {"user": 100, "email": 90, "url": 85, "nhs_number": 80, "ni_number": 75, "phone": 70,
            "postcode": 65, "date_of_birth": 60, "address": 55, "name": 50}


def placeholder(kind: str) -> str:
    return PLACEHOLDERS.get(kind, kind.replace("_", " ").upper())


# ---------------------------------------------------------------- NHS numbers

_NHS = re.compile(r"(?<![\d\-])(\d{3})([ \-]?)(\d{3})\2(\d{4})(?![\d])")
_NHS_CONTEXT = re.compile(r"\bnhs\b|\bnhs\s*(?:no|num|number)|\bchi\b|hospital\s+(?:no|number)", re.I)


def nhs_checksum_ok(digits: str) -> bool:
    """Modulus 11: weights 10..2 over the first nine digits give the tenth."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def detect_nhs_numbers(text: str) -> Iterator[Span]:
    """NHS numbers: spaced, dashed or run together. A valid check digit is enough;
    without one, only with "NHS" just before (people mistype their own numbers)."""
    for m in _NHS.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        if len(set(digits)) == 1:
            continue  # 0000000000-style fillers are not NHS numbers
        if nhs_checksum_ok(digits):
            yield Span(m.start(), m.end(), "nhs_number", "nhs-checksum")
        elif _NHS_CONTEXT.search(text, max(0, m.start() - 40), m.start()):
            yield Span(m.start(), m.end(), "nhs_number", "nhs-context")


# ---------------------------------------------------------------- phone numbers

_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44\s?(?:\(0\)\s?)?|\(0|0)\d(?:[ \-\)]{0,2}\d){8,10}(?![\d])")


def detect_phones(text: str) -> Iterator[Span]:
    """UK phone numbers: mobile and landline, +44, (0113), spaces and dashes."""
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if m.group().startswith("+"):
            national = digits[2:]
            national = national[1:] if national.startswith("0") else national  # +44 (0)113
        else:
            national = digits[1:]
        if 9 <= len(national) <= 10:
            yield Span(m.start(), m.end(), "phone", "phone")


# ---------------------------------------------------------------- emails and URLs

_EMAIL = re.compile(r"(?<![\w.+\-])[A-Za-z0-9][A-Za-z0-9._%+\-']*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(
    r"(?<![\w@/])(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w@/.])[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|co\.uk|org|org\.uk|net|uk|io|me|ly)/[^\s<>\"']+", re.I)
_TRAILING = ".,;:!?)]}'\""


def detect_emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL.finditer(text):
        yield Span(m.start(), m.end(), "email", "email")


def detect_urls(text: str, public_domains: tuple[str, ...] = ()) -> Iterator[Span]:
    """Web addresses. Public sites of organisations (nhs.uk, gov.uk...) are not personal."""
    if "/" not in text and "www" not in text.lower():
        return
    for m in _URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in _TRAILING:
            end -= 1
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", text[m.start():end].lower()).split("/")[0]
        if any(host == d or host.endswith("." + d) for d in public_domains):
            continue
        yield Span(m.start(), end, "url", "url")


# ---------------------------------------------------------------- postcodes and NI numbers

# The 121 postcode areas: restricting the first letters keeps "B12 jab"-like look-alikes out.
_AREAS = ("AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E "
          "EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL "
          "LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN "
          "SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE").split()
_AREA_SET = frozenset(_AREAS)
_POSTCODE = re.compile(r"(?<![\w])([A-Z]{1,2})\d[A-Z\d]?[ \t]*\d[ABD-HJLNP-UW-Z]{2}(?![\w])", re.I)
# "QQ 12 34 56 C" is HMRC's own example number: people copy it, and test sets use it.
_NI = re.compile(r"(?<![\w])(?:(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]|QQ)"
                 r"(?:[ \-]?\d{2}){3}[ \-]?[A-D](?![\w])", re.I)


def detect_postcodes(text: str) -> Iterator[Span]:
    """Full UK postcodes, any case, with or without the space."""
    for m in _POSTCODE.finditer(text):
        if m.group(1).upper() in _AREA_SET:
            yield Span(m.start(), m.end(), "postcode", "postcode")


def detect_ni_numbers(text: str) -> Iterator[Span]:
    """National Insurance numbers (two letters, six digits, A-D), valid prefixes only."""
    for m in _NI.finditer(text):
        yield Span(m.start(), m.end(), "ni_number", "ni-number")


# ---------------------------------------------------------------- dates of birth

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = re.compile(
    r"(?<![\w/.\-])(?:"
    r"\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\.?,?\s+\d{4}"
    r"|" + _MONTH + r"\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}[\-/ ]" + _MONTH + r"[\-/ ](?:\d{4}|\d{2})"
    r")(?![\w/])", re.I)
_DOB_CONTEXT = re.compile(
    r"\bborn\b|\bbirth|\bd\.?\s?o\.?\s?b\b|\bb\.\s*$|\bbirthday|\baged?\b|\byears?\s+old\b|\byrs?\s+old\b", re.I)
_YEAR = re.compile(r"(\d{4})\s*$|[/.\-](\d{2})$")


def detect_dates_of_birth(text: str, old_before: int = 1990) -> Iterator[Span]:
    """Dates near "born", "DOB", "date of birth", age context; and full dates so long
    ago (before `old_before`) that in lived-experience comments they are birth dates."""
    last_end = 0
    for m in _DATE.finditer(text):
        # Context counts only up to the previous date: "born 1/2/40, seen on 3/4/24".
        before = text[max(last_end, m.start() - 45):m.start()]
        last_end = m.end()
        after = text[m.end():m.end() + 25]
        if _DOB_CONTEXT.search(before) or re.match(r"\W{0,3}\(?\s*(?:dob|d\.o\.b|born)\b", after, re.I):
            yield Span(m.start(), m.end(), "date_of_birth", "dob-context")
            continue
        year = _year(m.group())
        if year is not None and 1900 <= year < old_before:
            yield Span(m.start(), m.end(), "date_of_birth", "dob-old-date")


def _year(date: str) -> int | None:
    m = re.search(r"(?:19|20)\d{2}", date)
    if m:
        return int(m.group())
    return None


# ---------------------------------------------------------------- street addresses

_SUFFIX = ("road|rd|street|st|avenue|ave|lane|ln|drive|dr|close|crescent|cres|court|ct|way|place|pl|grove|"
           "gardens|gdns|terrace|walk|hill|row|square|sq|mews|parade|view|rise|green|fold|park|vale|croft|"
           "garth|mount|approach|boulevard|gate|wynd|brow|bank|chase|glade|heights|meadows|fields|wharf")
_STREET_WORD = r"(?:[A-Za-z][A-Za-z'’\-]*)"
_ADDRESS = re.compile(
    r"(?<![\w/£$.:])(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?"
    r"\d{1,4}[a-z]?,?\s+(?:((?:" + _STREET_WORD + r"\s+){0,3})(" + _SUFFIX + r")\b\.?"
    r"|()([A-Z][a-z]+gate)\b)", re.I)  # Yorkshire's Briggate, Kirkgate: the street word is the suffix
_NOT_STREET = frozenset(
    "the a an and or of in on at to for with from by my your his her our their this that these those it is was "
    "mg ml mcg g kg tablets tablet pills times hours hour minutes mins days weeks months years year am pm "
    "people patients staff of x miles mile stone ft feet foot inches lbs kg times steps stairs flights floors "
    "bags cups doses units hrs".split())


_RISKY_SUFFIX = frozenset("st dr pl ct sq way place walk row view rise green park bank gate fold mount chase fields "
                          "heights meadows glade wharf".split())


def detect_addresses(text: str) -> Iterator[Span]:
    """A house number and a street: "12 Ashfield Road", "Flat 3, 27 Kings Court"."""
    if not any(c.isdigit() for c in text):
        return
    mixed_case = text != text.lower()
    for m in _ADDRESS.finditer(text):
        if m.group(4):
            if m.group(4)[0].isupper() and m.group(4).lower() not in ("gate",):
                yield Span(m.start(), m.end(), "address", "address")
            continue
        words, suffix = m.group(1).split(), m.group(2)
        if not words:
            continue  # "3 Road" is not an address; nor is "12 way"
        if words == ["The"] and suffix[0].isupper() and len(suffix) > 2:
            yield Span(m.start(), m.end(), "address", "address")  # "12 The Green"
            continue
        if any(w.lower() in _NOT_STREET for w in words):
            continue
        if mixed_case and suffix.lower() in _RISKY_SUFFIX and not (words[0][0].isupper() and suffix[0].isupper()):
            continue  # "3 park", "2 green": in a text that uses capitals, such streets are capitalised
        yield Span(m.start(), m.end(), "address", "address")


# ---------------------------------------------------------------- names


def detect_names(text: str) -> Iterator[Span]:
    """People: after titles, roles and relations; capitalised names via the names list."""
    yield from _names.detect(text)


# ---------------------------------------------------------------- running them all


@dataclass
class UserPattern:
    kind: str
    regex: re.Pattern


DETECTORS: dict[str, Callable[[str], Iterator[Span]]] = {
    "nhs_number": detect_nhs_numbers,
    "phone": detect_phones,
    "email": detect_emails,
    "url": detect_urls,
    "postcode": detect_postcodes,
    "ni_number": detect_ni_numbers,
    "date_of_birth": detect_dates_of_birth,
    "address": detect_addresses,
    "name": detect_names,
}

_HAS_DIGIT = re.compile(r"\d")
_DIGIT_KINDS = {"nhs_number", "phone", "postcode", "ni_number", "date_of_birth", "address"}


def detect(text: str, config=None) -> list[Span]:
    """All detections in `text`, allow-listed phrases removed, overlaps resolved."""
    from .config import DEFAULT_CONFIG

    config = config or DEFAULT_CONFIG
    has_digit = _HAS_DIGIT.search(text) is not None
    found: list[Span] = []
    for kind in config.detectors:
        if kind in _DIGIT_KINDS and not has_digit:
            continue
        if kind == "url":
            found.extend(detect_urls(text, config.public_domains))
        elif kind == "date_of_birth":
            found.extend(detect_dates_of_birth(text, config.dob_before_year))
        elif kind == "name":
            found.extend(_names.detect(text, protected=config.protected, known=config.known))
        else:
            found.extend(DETECTORS[kind](text))
    for pattern in config.patterns:
        for m in pattern.regex.finditer(text):
            if m.end() > m.start():
                found.append(Span(m.start(), m.end(), pattern.kind, "user-pattern"))
    if found and config.allow_regex is not None:
        found = _drop_allowed(text, found, config)
    return resolve(found)


def _drop_allowed(text: str, spans: list[Span], config) -> list[Span]:
    allowed = config.protected(text)
    if not allowed:
        return spans
    out = []
    for s in spans:
        if s.detector == "user-pattern":
            out.append(s)  # the user asked for this one by name
            continue
        inside = any(a <= s.start and s.end <= b for a, b in allowed)
        touches = any(s.start < b and a < s.end for a, b in allowed)
        if inside or (touches and s.kind == "name"):
            continue
        out.append(s)
    return out


def resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: by priority, then length; returned in text order."""
    if len(spans) < 2:
        return list(spans)

    def rank(s: Span):
        p = PRIORITY["user"] if s.detector == "user-pattern" else PRIORITY.get(s.kind, 40)
        # A checksum-valid NHS number beats a phone reading of the same ten digits.
        return (-p, -(s.end - s.start), s.start)

    kept: list[Span] = []
    for s in sorted(set(spans), key=rank):
        if all(s.end <= k.start or k.end <= s.start for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: (s.start, s.end))
