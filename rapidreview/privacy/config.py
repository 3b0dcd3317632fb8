"""What to redact: detectors on or off, the user's own patterns, and the allow-list.

A YAML file (`rapidreview redact review.db --config privacy.yaml`):

    allow:                      # phrases that are never redacted (case-insensitive)
      - Leeds General Infirmary
      - Ward 7
    patterns:                   # extra things to redact
      - kind: name
        words: [Bellamy, Okafor]          # literal words or phrases
      - kind: ward
        regex: '\\bRowan (?:Ward|Unit)\\b'   # a Python regular expression
    names: [Bernadette Okafor, Lou]       # people of this review: redacted wherever capitalised
    detectors: [nhs_number, phone, email, postcode, ni_number, date_of_birth, address, url, name]
    public_domains: [nhs.uk, gov.uk]      # web addresses of organisations are kept
    dob_before_year: 1990                 # full dates before this year count as birth dates
    default_allow: true                   # keep the built-in UK health and care allow-list

`rapidreview privacy config` prints the defaults as a starting file. A review's own
transcript speakers and participants are known names too, without listing them
(see known.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import RapidReviewError
from ..mapping_file import read_mapping
from .detectors import DETECTORS, UserPattern

# Organisations, services and places in UK health and care that must survive redaction.
DEFAULT_ALLOW = [
    "NHS", "NHS 111", "111", "999", "A&E", "A and E", "GP", "Age UK", "Citizens Advice", "Healthwatch",
    "Macmillan", "Macmillan Cancer Support", "Marie Curie", "Sue Ryder", "Martin House", "Mind", "Samaritans",
    "Carers UK", "Carers Trust", "Alzheimer's Society", "Dementia UK", "Mencap", "Scope", "Barnardo's",
    "Shelter", "Turning Point", "Change Grow Live", "St John Ambulance", "British Red Cross", "Red Cross",
    "Parkinson's UK", "Diabetes UK", "Stroke Association", "British Heart Foundation", "Cancer Research UK",
    "Florence Nightingale", "Nightingale", "Mary Seacole", "CQC", "Care Quality Commission", "PALS", "ICB",
    "Leeds General Infirmary", "LGI", "St James's Hospital", "Jimmy's", "Queen Elizabeth Hospital",
    "Royal Victoria Infirmary", "Pinderfields", "Airedale", "Calderdale", "Kirklees", "Boots", "Lloyds Pharmacy",
    "Superdrug", "Tesco", "Asda", "Costa", "Jubilee Wing", "Victoria Wing", "Gledhow Wing", "Bexley Wing",
    "Lincoln Wing", "Chancellor Wing", "Clarendon Wing", "Brotherton Wing", "Martin Wing", "Oak Ward",
    "Ward 1", "Ward 7", "Ward 12", "Covid", "Covid-19", "Long Covid", "Down's syndrome", "Crohn's",
    "Alzheimer's", "Parkinson's", "Asperger's", "Huntington's", "Addison's", "Hodgkin's", "Bell's palsy",
    "Christmas", "Easter", "Eid", "Diwali", "Ramadan", "Boxing Day", "Universal Credit", "PIP",
]
DEFAULT_PUBLIC_DOMAINS = ["nhs.uk", "gov.uk", "nice.org.uk", "cqc.org.uk", "healthwatch.co.uk", "ageuk.org.uk",
                          "citizensadvice.org.uk", "mind.org.uk", "macmillan.org.uk", "nhs.scot", "hscni.net"]

# Ward, bay and room numbers: places, not people, wherever they appear.
_DIGIT = re.compile(r"\d")
_PLACES = re.compile(r"\b(?:ward|bay|bed|room|wing|level|floor|gate|unit|suite|cubicle|pod|clinic)\s+\d+[a-z]?\b")


@dataclass
class PrivacyConfig:
    allow: list[str] = field(default_factory=list)
    patterns: list[UserPattern] = field(default_factory=list)
    detectors: tuple[str, ...] = tuple(DETECTORS)
    public_domains: tuple[str, ...] = tuple(DEFAULT_PUBLIC_DOMAINS)
    dob_before_year: int = 1990
    default_allow: bool = True
    allow_regex: re.Pattern | None = None
    names: list[str] = field(default_factory=list)  # personal names the researcher lists
    known: frozenset[str] = frozenset()  # name words redacted wherever capitalised (known.py)


    def __post_init__(self):
        phrases = list(self.allow) + (DEFAULT_ALLOW if self.default_allow else [])
        phrases = [p.strip().lower() for p in dict.fromkeys(phrases) if p.strip()]
        # One trie-shaped expression: hundreds of phrases cost about as much as one.
        # Matched against the lower-cased text: faster than re.I.
        self.allow_regex = re.compile(r"(?<![\w])" + _trie(phrases) + r"(?![\w])")
        if self.names and not self.known:
            from .known import name_words

            self.known = frozenset(w for n in self.names for w in name_words(str(n)))

    def protected(self, text: str) -> list[tuple[int, int]]:
        """Spans of allow-listed phrases (and "Ward 7"-style places) in `text`."""
        low = text.lower()  # same length and offsets for the scripts we see; checked below
        if len(low) != len(text):
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        out = [(m.start(), m.end()) for m in self.allow_regex.finditer(low)]
        if _DIGIT.search(text):
            out += [(m.start(), m.end()) for m in _PLACES.finditer(low)]
        return out

    def to_dict(self) -> dict:
        """What the researcher chose (not the derived `known`): stored in the review by
        `redact`, so text that leaves it later is redacted the same way (known.py)."""
        return {"allow": list(self.allow), "patterns": [{"kind": p.kind, "regex": p.regex.pattern,
                                                         "flags": p.regex.flags} for p in self.patterns],
                "detectors": list(self.detectors), "public_domains": list(self.public_domains),
                "dob_before_year": self.dob_before_year, "default_allow": self.default_allow,
                "names": list(self.names)}

    @classmethod
    def from_dict(cls, data: dict) -> "PrivacyConfig":
        return cls(allow=list(data.get("allow") or []),
                   patterns=[UserPattern(p["kind"], re.compile(p["regex"], p.get("flags", 0)))
                             for p in data.get("patterns") or []],
                   detectors=tuple(d for d in data.get("detectors") or DETECTORS if d in DETECTORS),
                   public_domains=tuple(data.get("public_domains") or DEFAULT_PUBLIC_DOMAINS),
                   dob_before_year=int(data.get("dob_before_year") or 1990),
                   default_allow=bool(data.get("default_allow", True)), names=list(data.get("names") or []))

    def fingerprint(self) -> dict:
        """What a scan used: stored with each scanned document."""
        return {"allow": sorted(self.allow), "patterns": [(p.kind, p.regex.pattern) for p in self.patterns],
                "detectors": list(self.detectors), "default_allow": self.default_allow,
                "dob_before_year": self.dob_before_year, "known": sorted(self.known)}


def _trie(phrases: list[str]) -> str:
    """A regex matching any of `phrases`, shaped as a trie (common prefixes shared)."""
    root: dict = {}
    for p in phrases:
        node = root
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return "(?:" + build(root) + ")"


def _phrase(p: str) -> str:
    """A literal phrase matched on word boundaries (also when it starts or ends with '&')."""
    return r"(?<![\w])" + re.escape(p.strip()) + r"(?![\w])"


DEFAULT_CONFIG = PrivacyConfig()


def load_config(path=None, *, allow=(), patterns=()) -> PrivacyConfig:
    """The config from a YAML file (optional) plus allow phrases and (kind, regex) pairs."""
    data = {}
    if path:
        data = read_mapping(path, "privacy config", "allow:, patterns:, ...")
    known = {"allow", "patterns", "detectors", "public_domains", "dob_before_year", "default_allow", "names"}
    unknown = set(data) - known
    if unknown:
        raise RapidReviewError(f"{path}: unknown privacy option(s) {', '.join(sorted(unknown))}. "
                               f"Known: {', '.join(sorted(known))}.")
    user_patterns = [_pattern(p, path) for p in data.get("patterns") or []]
    user_patterns += [UserPattern(kind, _compile(regex, path)) for kind, regex in patterns]
    detectors = data.get("detectors") or list(DETECTORS)
    bad = [d for d in detectors if d not in DETECTORS]
    if bad:
        raise RapidReviewError(f"{path}: unknown detector(s) {', '.join(bad)}. Known: {', '.join(DETECTORS)}.")
    return PrivacyConfig(
        allow=[str(a) for a in (data.get("allow") or [])] + list(allow),
        patterns=user_patterns,
        detectors=tuple(detectors),
        public_domains=tuple(data.get("public_domains") or DEFAULT_PUBLIC_DOMAINS),
        dob_before_year=int(data.get("dob_before_year") or 1990),
        default_allow=bool(data.get("default_allow", True)),
        names=[str(n) for n in (data.get("names") or [])],
    )


def _pattern(item, path) -> UserPattern:
    if not isinstance(item, dict) or "kind" not in item or not ({"regex", "words"} & set(item)):
        raise RapidReviewError(f"{path}: each pattern needs a kind and either regex: or words:, "
                               f"for example {{kind: name, words: [Bellamy]}}; got {item!r}.")
    kind = re.sub(r"\W+", "_", str(item["kind"]).strip().lower())
    if "regex" in item:
        return UserPattern(kind, _compile(str(item["regex"]), path))
    words = [str(w) for w in item["words"]]
    return UserPattern(kind, re.compile("|".join(_phrase(w) for w in words), re.I))


def _compile(regex: str, path) -> re.Pattern:
    try:
        return re.compile(regex)
    except re.error as e:
        raise RapidReviewError(f"{path or 'pattern'}: {regex!r} is not a valid regular expression: {e}") from None


def default_config_yaml() -> str:
    """A commented starting file for `--config`."""
    return (
        "# rapidreview privacy config: what `rapidreview redact --config` adds to the defaults.\n"
        "allow:            # phrases never redacted (case-insensitive), on top of the built-in list\n"
        "  - Leeds General Infirmary\n  - Ward 7\n"
        "patterns:         # extra things to redact: literal words, or a Python regex\n"
        "  - kind: name\n    words: [Bellamy, Okafor]\n"
        "  - kind: ward\n    regex: '\\bRowan (?:Ward|Unit)\\b'\n"
        "names:            # people of this review, redacted wherever capitalised (speakers are known already)\n"
        "  - Bernadette Okafor\n"
        f"detectors: [{', '.join(DETECTORS)}]\n"
        f"public_domains: [{', '.join(DEFAULT_PUBLIC_DOMAINS)}]\n"
        "dob_before_year: 1990   # full dates before this year are treated as dates of birth\n"
        "default_allow: true     # the built-in allow-list:\n"
        + "".join(f"#   - {a}\n" for a in DEFAULT_ALLOW)
    )
