"""Publish: the commissioners' database (public.db), its Datasette configuration, and
the evidence ledger of recommendations.

    from rapidreview.publish import PublishOptions, publish, ledger
    result = publish(db, "public.db", PublishOptions(publishable=["Service"], min_group=10))
    print(result.message())           # public.db and public.metadata.json written
    rec = ledger.add(db, "Offer evening appointments", themes=[3], quotes=[1204])
    ledger.respond(db, rec, response="Pilot from April", status="accepted")

public.db holds only redacted quotes from consenting respondents (under keyed quote
numbers: quote_ids.py; small groups withheld by default), the codebook, themes,
disclosure-controlled counts and the ledger; it is rebuilt from scratch each time and
refused until `rapidreview redact` has read every answered document.
"""

from . import explore, ledger, quote_ids
from .build import (
           PublishError,
           PublishOptions,
           PublishResult,
           check_publishable,
           publish,
)
from .config import SETTINGS, canned_queries, metadata

__all__ = [
           "SETTINGS",
           "PublishError",
           "PublishOptions",
           "PublishResult",
           "canned_queries",
           "check_publishable",
           "explore",
           "ledger",
           "metadata",
           "publish",
           "quote_ids",
]
