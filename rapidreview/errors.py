"""One exception family for the library; the CLI turns each into `Error: ...` and exit 1."""

from __future__ import annotations


class RapidReviewError(Exception):
    """Base of every error a user can act on. The message says what and how to fix it."""


class InputError(RapidReviewError):
    """A file that cannot be imported as given: names the file, row and column where known."""

    def __init__(self, message: str, *, path=None, row: int | None = None, column: str | None = None):
        self.path, self.row, self.column = path, row, column
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class AlreadyImported(RapidReviewError):
    """The same file (same bytes) is already in the review: nothing to do."""


class StoreError(RapidReviewError):
    """The review database is missing, newer than this version, or inconsistent."""


class NotFound(RapidReviewError):
    """A source, document, code or other object named by the user does not exist."""
