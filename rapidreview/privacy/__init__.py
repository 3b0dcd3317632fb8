"""Privacy: redaction of personal data and disclosure control.

    from rapidreview import privacy
    privacy.redact(db)                                  # scan; spans in `redactions`
    privacy.redacted_text(db, document_id)              # the text with [NAME 1], [PHONE]...
    clean = privacy.free_text_redactor(db)              # labels, codebook, ledger: with the review's names
    privacy.assert_redacted(db)                         # publish calls this first
    privacy.publishable_segments(db, min_group=10, group_attr="Service")
    privacy.control_table({"GP": {"good": 41, "poor": 3}})   # <8 suppressed, rounded to 5

Detectors are rules (offline, fast); a trained spaCy pipeline, where installed, may add
PERSON entities. Nothing here changes a document's text.
"""

from .config import DEFAULT_ALLOW, PrivacyConfig, load_config
from .detectors import PLACEHOLDERS, Span, detect, nhs_checksum_ok
from .disclosure import (
                         NHS_RULE,
                         Controlled,
                         DisclosureRule,
                         control_count,
                         control_counts,
                         control_series,
                         control_table,
                         recoverable_cells,
                         secondary_suppression,
)
from .free_text import free_text_redactor, redact_free_text
from .known import known_names, review_config
from .quotes import (
                         excluded_respondents,
                         publishable_documents,
                         publishable_segments,
                         quote,
                         reinstate,
                         respondents,
                         set_consent,
                         withdraw,
)
from .redact import (
                         RedactionNeeded,
                         RedactResult,
                         add_manual,
                         apply,
                         assert_redacted,
                         confirm,
                         redact,
                         redact_text,
                         redacted_segments,
                         redacted_text,
                         spans,
                         summary,
                         undo,
                         unredacted_documents,
)

__all__ = [
    "PrivacyConfig", "load_config", "DEFAULT_ALLOW", "Span", "detect", "PLACEHOLDERS", "nhs_checksum_ok",
    "known_names", "review_config", "free_text_redactor", "redact_free_text",
    "redact", "redact_text", "redacted_text", "redacted_segments", "apply", "unredacted_documents", "assert_redacted",
    "RedactionNeeded", "RedactResult", "confirm", "undo", "add_manual", "spans", "summary",
    "DisclosureRule", "NHS_RULE", "Controlled", "control_count", "control_counts", "control_series",
    "control_table", "secondary_suppression", "recoverable_cells",
    "withdraw", "reinstate", "set_consent", "respondents", "excluded_respondents", "publishable_documents",
    "publishable_segments", "quote",
]
