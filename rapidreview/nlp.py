"""The spaCy pipeline, built once per process.

Baseline: blank English + sentencizer + lookup lemmatizer from spacy-lookups-data,
which needs no download. Where a trained English pipeline is installed (and the user
asks for it with RAPIDREVIEW_SPACY_MODEL or `model=`), it is used instead, for what it
adds (parser sentences, entities, noun chunks).
"""

from __future__ import annotations

import functools
import os

import spacy
from spacy.language import Language

from .errors import RapidReviewError


@functools.lru_cache(maxsize=4)
def get_nlp(model: str | None = None) -> Language:
    """The shared pipeline. `model` names an installed trained pipeline (optional)."""
    model = model or os.environ.get("RAPIDREVIEW_SPACY_MODEL")
    if model:
        try:
            return spacy.load(model)
        except OSError as e:
            raise RapidReviewError(
                f"spaCy pipeline {model!r} is not installed; unset RAPIDREVIEW_SPACY_MODEL "
                "to use the built-in blank English pipeline."
            ) from e
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # The lookup table is keyed on lower-case forms: see lemma_text().
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"}).initialize()
    return nlp


def has_trained_pipeline(nlp: Language) -> bool:
    return "ner" in nlp.pipe_names or "parser" in nlp.pipe_names


def sentence_spans(texts, *, batch_size: int = 256, model: str | None = None):
    """Yield, for each text, its sentences as (start, end) character offsets."""
    nlp = get_nlp(model)
    disable = [p for p in nlp.pipe_names if p not in ("sentencizer", "parser", "senter", "tok2vec")]
    for doc in nlp.pipe(texts, batch_size=batch_size, disable=disable):
        yield [(s.start_char, s.end_char) for s in doc.sents]


def lemmas(text: str, *, model: str | None = None) -> list[str]:
    """Lower-cased lemmas of the words in `text` (the lookup lemmatizer is case-sensitive)."""
    nlp = get_nlp(model)
    return [t.lemma_ or t.norm_ for t in nlp(text.lower()) if not t.is_space]
