"""Rule coding: the codebook's keywords and token patterns, as suggestions.

The contract is in codebooks/README.md: keywords match on lemmas (so `wait` matches
"waited" and "waiting"), patterns are spaCy Matcher token patterns on the lower-cased
text, exclusion terms veto, and each suggestion records which rule fired.

Speed: lemmatising every token in Python would cost more than tokenising. So we turn
the lemma side around: each keyword lemma becomes the set of surface forms the lookup
lemmatiser maps to it, and a PhraseMatcher on LOWER finds those forms, with only the
tokenizer running over the text. `{"LEMMA": x}` in a pattern becomes
`{"LOWER": {"IN": forms(x)}}` the same way. The matches are exactly those of matching
lemmas, at tokenizer speed.
"""

from __future__ import annotations

import functools
import itertools
import json
import multiprocessing
from dataclasses import dataclass, field

import sqlite_utils
from spacy.matcher import Matcher, PhraseMatcher

from ..errors import RapidReviewError
from ..nlp import get_nlp
from . import workers
from .units import Unit

MAX_VARIANTS = 256  # surface-form combinations per keyword phrase


class RuleError(RapidReviewError):
    """A code's rules cannot be used: names the code and the rule."""


@functools.lru_cache(maxsize=1)
def _lemma_table() -> dict[str, str]:
    """form -> lemma, the table the pipeline's lookup lemmatiser uses (spaCy keeps only
    hashes of its keys, so we read the packaged JSON for the words themselves)."""
    import gzip
    from importlib.resources import files

    path = files("spacy_lookups_data") / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(str(path), "rt", encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def _forms_by_lemma() -> dict[str, frozenset[str]]:
    forms: dict[str, set[str]] = {}
    for form, lemma in _lemma_table().items():
        forms.setdefault(lemma, set()).add(form)
    return {k: frozenset(v) for k, v in forms.items()}


@functools.lru_cache(maxsize=1)
def tokenizer_nlp():
    """Rules need only the tokenizer: lemmas come from the table, not a pipeline run."""
    import spacy

    return spacy.blank("en")


def lemma_words(text: str, nlp=None) -> list[str]:
    """Lower-cased lemmas of `text`, exactly as `rapidreview.nlp.lemmas` gives them with
    the lookup lemmatiser (lower-case, then the table, else the word itself)."""
    table = _lemma_table()
    return [table.get(t.text, t.text) for t in (nlp or tokenizer_nlp()).make_doc(text.lower()) if not t.is_space]


def forms(lemma: str) -> list[str]:
    """Every lower-case word whose lookup lemma is `lemma` (the lemma itself included
    unless the table sends it elsewhere, as it sends "left" to "leave")."""
    lemma = lemma.lower()
    out = set(_forms_by_lemma().get(lemma, ()))
    if _lemma_table().get(lemma, lemma) == lemma:
        out.add(lemma)
    return sorted(out)


@dataclass
class CodeRules:
    code_id: int
    name: str
    keywords: list[str] = field(default_factory=list)
    patterns: list = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    min_matches: int = 1


@dataclass
class CompiledRules:
    nlp: object
    phrases: PhraseMatcher
    matcher: Matcher
    labels: dict  # match id -> (code id, rule label, is_exclusion)
    codes: dict  # code id -> CodeRules
    needs_lemmas: bool = False

    @property
    def code_ids(self) -> list[int]:
        return list(self.codes)


def code_rules(db: sqlite_utils.Database, code_ids=None) -> list[CodeRules]:
    """Rules of the codable, unarchived codes that have any."""
    codable = "AND codable = 1" if "codable" in db["codes"].columns_dict else ""
    out = []
    for code_id, name, raw in db.execute(
            f"SELECT id, name, rules FROM codes WHERE archived = 0 {codable} AND rules NOT IN ('', '{{}}') ORDER BY id"):
        if code_ids is not None and code_id not in code_ids:
            continue
        try:
            rules = json.loads(raw or "{}") or {}
        except json.JSONDecodeError as e:
            raise RuleError(f"code {name!r}: its rules are not valid JSON ({e}). Fix the codebook and load it again.")
        if not isinstance(rules, dict):
            raise RuleError(f"code {name!r}: rules must be a mapping of keywords/patterns/exclude.")
        r = CodeRules(code_id, name, list(rules.get("keywords") or []), list(rules.get("patterns") or []),
                      list(rules.get("exclude") or []), int(rules.get("min_matches") or 1))
        if r.keywords or r.patterns:
            out.append(r)
    return out


def compile_rules(rules: list[CodeRules], nlp=None) -> CompiledRules:
    """Build the matchers. A pattern that does not compile names its code and index."""
    rewritten = {(r.code_id, i): _rewrite(p, r.name, i) for r in rules for i, p in enumerate(r.patterns)}
    needs_lemmas = any(left for _, left in rewritten.values())
    if nlp is None:  # the full pipeline only where a pattern still tests lemmas (REGEX and the like)
        nlp = get_nlp() if needs_lemmas or _custom_pipeline() else tokenizer_nlp()
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    matcher = Matcher(nlp.vocab)
    labels = {}
    for r in rules:
        for kind, terms in (("keyword", r.keywords), ("exclude", r.exclude)):
            for term in terms:
                if not isinstance(term, str) or not term.strip():
                    raise RuleError(f"code {r.name!r}: {kind} {term!r} is not a word or phrase.")
                key = f"{r.code_id}|{kind}:{term}"
                phrases.add(key, list(nlp.tokenizer.pipe(_variants(term, nlp))))
                labels[nlp.vocab.strings[key]] = (r.code_id, f"{kind}:{term}", kind == "exclude")
        for i in range(len(r.patterns)):
            key = f"{r.code_id}|pattern:{i}"
            try:
                matcher.add(key, [rewritten[(r.code_id, i)][0]])
            except (ValueError, TypeError, KeyError) as e:
                first = str(e).strip().splitlines()
                detail = " ".join(line.strip() for line in first if line.strip())[:300]
                raise RuleError(f"code {r.name!r}: pattern {i} does not compile: {detail}. "
                                "Write a list of token dicts, e.g. [{LEMMA: ring}, {LOWER: back}].") from None
            labels[nlp.vocab.strings[key]] = (r.code_id, f"pattern:{i}", False)
    return CompiledRules(nlp, phrases, matcher, labels, {r.code_id: r for r in rules}, needs_lemmas)


def _custom_pipeline() -> bool:
    import os

    return bool(os.environ.get("RAPIDREVIEW_SPACY_MODEL"))


def _variants(term: str, nlp=None) -> list[str]:
    """Surface forms of a keyword phrase whose lemma sequence is the keyword's."""
    words = lemma_words(term, nlp)
    options = [forms(w) or [w] for w in words]
    out = []
    for combo in itertools.islice(itertools.product(*options), MAX_VARIANTS):
        out.append(" ".join(combo))
    return out or [term.lower()]


def _rewrite(pattern, name: str, index: int):
    """LEMMA predicates to LOWER-in-forms; returns (pattern, still needs lemmas)."""
    if not isinstance(pattern, list) or not all(isinstance(t, dict) for t in pattern):
        raise RuleError(f"code {name!r}: pattern {index} does not compile: a pattern is a list of token dicts, "
                        f"got {json.dumps(pattern)[:80]}.")
    out, lemma_left = [], False
    for token in pattern:
        token = dict(token)
        value = token.get("LEMMA")
        if isinstance(value, str) and "LOWER" not in token:
            token.pop("LEMMA")
            token["LOWER"] = {"IN": forms(value)}
        elif isinstance(value, dict) and set(value) <= {"IN", "NOT_IN"} and "LOWER" not in token:
            token.pop("LEMMA")
            token["LOWER"] = {op: sorted({f for v in vals for f in forms(str(v))}) for op, vals in value.items()}
        elif value is not None:
            lemma_left = True
        out.append(token)
    return out, lemma_left


PARALLEL_MIN_UNITS = 20_000
CHUNKS_PER_JOB = 12  # small enough that writing overlaps matching
_SHARED: dict = {}


def match(compiled: CompiledRules, units: list[Unit], *, batch_size: int = 2000):
    """Yield (unit, code_id, rule label) for each code whose rules fire in a unit.
    Large runs are split over forked worker processes (see `workers`), and their
    results stream back in unit order as each chunk finishes, so the caller can write
    one chunk's suggestions while the workers match the next."""
    jobs = workers.count(len(units), PARALLEL_MIN_UNITS)
    if jobs == 1:
        for i, code_id, label in _match_range(compiled, units, 0, len(units), batch_size):
            yield units[i], code_id, label
        return
    step = -(-len(units) // (jobs * CHUNKS_PER_JOB))
    _SHARED.update(compiled=compiled, units=units, batch_size=batch_size)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            bounds = [(i, min(i + step, len(units))) for i in range(0, len(units), step)]
            for chunk in pool.imap(_match_chunk, bounds):
                for i, code_id, label in chunk:
                    yield units[i], code_id, label
    finally:
        _SHARED.clear()


def _match_chunk(bounds):
    return list(_match_range(_SHARED["compiled"], _SHARED["units"], *bounds, _SHARED["batch_size"]))


def _match_range(compiled: CompiledRules, units: list[Unit], start: int, stop: int, batch_size: int):
    nlp = compiled.nlp
    lemmatizer = nlp.get_pipe("lemmatizer") if compiled.needs_lemmas and "lemmatizer" in nlp.pipe_names else None
    texts = (units[i].text.lower() for i in range(start, stop))  # the contract: patterns see lower-cased text
    for i, doc in zip(range(start, stop), nlp.tokenizer.pipe(texts, batch_size=batch_size)):
        if lemmatizer is not None:
            doc = lemmatizer(doc)
        hits = compiled.phrases(doc)
        if compiled.matcher:
            hits = hits + compiled.matcher(doc)
        if hits:
            for code_id, label in _decide(compiled, hits):
                yield i, code_id, label


def _decide(compiled: CompiledRules, hits):
    spans: dict[int, set] = {}
    first: dict[int, str] = {}
    vetoed = set()
    for match_id, start, end in sorted(hits, key=lambda h: (h[1], h[2])):
        code_id, label, is_exclusion = compiled.labels[match_id]
        if is_exclusion:
            vetoed.add(code_id)
            continue
        spans.setdefault(code_id, set()).add((start, end))
        first.setdefault(code_id, label)
    for code_id, found in spans.items():
        if code_id not in vetoed and len(found) >= compiled.codes[code_id].min_matches:
            yield code_id, first[code_id]
