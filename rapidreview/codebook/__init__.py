"""Codebooks: files people edit (YAML, REFI-QDA .qdc, CSV/XLSX) and versions in the review.

    from rapidreview import codebook
    book = codebook.read("codebooks/healthwatch-general.yaml")   # validated, or CodebookError
    result = codebook.load_codebook(db, book)                    # a new version if it changed
    print(result.version, result.diff.lines())
"""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound
from .model import Code, Codebook, CodebookError, Problem, make_guid, slug
from .refi import dumps_qdc, loads_qdc, read_qdc, validate_qdc, write_qdc
from .schema import IMPORTED, check, check_rules, schema
from .tabular import read_table, write_table
from .versions import (
    Diff,
    LoadResult,
    accepted_counts,
    archive_code,
    codebook_from_db,
    codebook_names,
    delete_code,
    diff_books,
    diff_versions,
    find_code,
    list_codebooks,
    load_codebook,
    merge_codes,
    split_code,
    version_content,
    versions,
)
from .yamlfile import dumps as dumps_yaml
from .yamlfile import loads as loads_yaml
from .yamlfile import read as read_yaml
from .yamlfile import template
from .yamlfile import write as write_yaml

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".qdc": "qdc", ".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx",
           ".xlsm": "xlsx"}


def format_of(path, fmt: str | None = None) -> str:
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise CodebookError(f"cannot tell the format from {suffix or 'no extension'!r}: use .yaml, .qdc, .csv or "
                            ".xlsx, or say --format", path=path)
    return FORMATS[suffix]


def read(path, *, fmt: str | None = None, name: str | None = None) -> Codebook:
    """Read and validate a codebook in any supported format (by extension unless `fmt`)."""
    fmt = format_of(path, fmt)
    if fmt == "yaml":
        book = read_yaml(path)
        if name:
            book.name = name
        return book
    if fmt == "qdc":
        return read_qdc(path, name=name)
    return read_table(path, name=name)


def write(book: Codebook, path, *, fmt: str | None = None) -> None:
    fmt = format_of(path, fmt)
    if fmt == "yaml":
        write_yaml(book, path)
    elif fmt == "qdc":
        write_qdc(book, path)
    else:
        write_table(book, path)


__all__ = [
    "Code", "Codebook", "CodebookError", "Diff", "NotFound", "FORMATS", "IMPORTED", "LoadResult", "Problem",
    "accepted_counts", "archive_code", "check", "check_rules", "codebook_from_db", "codebook_names", "delete_code", "diff_books",
    "diff_versions", "dumps_qdc", "dumps_yaml", "find_code", "format_of", "list_codebooks", "load_codebook",
    "loads_qdc", "loads_yaml", "make_guid", "merge_codes", "read", "read_qdc", "read_table", "read_yaml", "schema",
    "slug", "split_code", "template", "validate_qdc", "version_content", "versions", "write", "write_qdc",
    "write_table", "write_yaml",
]
