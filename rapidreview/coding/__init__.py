"""Coding segments against codes: by hand (`manual`), by the codebook's rules
(`rules`), by a model that learns from people's codings (`model`), sentiment
(`sentiment`), the review queue (`queue`), agreement between coders (`agreement`)
and export (`export`). `suggest.code` runs the automatic passes.

Automatic coding only suggests: it never overwrites or deletes a human decision.
"""
