"""Small YAML files that hold one mapping: an import's mapping file, a report config, a
privacy config, a corpus's mappings. Read one way, so a typo gets the same clear error
(file, line and column, what such a file holds) whichever command met it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import RapidReviewError


def read_mapping(path, what: str, holds: str, *, hint: str = "", error=RapidReviewError) -> dict:
    """The mapping in the YAML file at `path` ({} for an empty file). `what` names the kind
    of file ("mapping file"), `holds` what it maps ("option: value"); `hint` is added to a
    YAML syntax error; `error` is the RapidReviewError subclass to raise."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise error(f"{path}: cannot read {what}: {e.strerror}.") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise error(f"{path}: not valid YAML{where}: {problem}.{hint}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: a {what} is a YAML mapping of {holds}.")
    return data
