"""Codebooks and codes as plain data: what every format reads into and writes from.

A `Codebook` is a tree of `Code`s. The `key` is a code's identity (codings point at the
code row, and the row keeps its key), so names can change freely between versions.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field

from ..errors import RapidReviewError

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Namespace for GUIDs made from (codebook name, key): the same code gets the same GUID
# on every machine, so a .qdc exported twice is the same file.
GUID_NAMESPACE = uuid.UUID("6f3c7f1e-2b0c-5a55-9a1e-726170696472")


@dataclass
class Problem:
    """One thing wrong with a codebook file, with where it is."""

    message: str
    line: int | None = None
    field: str | None = None
    unit: str = "line"  # "row" for spreadsheets

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"{self.unit} {self.line}" if self.line else None, self.field) if p)
        return f"{where}: {self.message}" if where else self.message


class CodebookError(RapidReviewError):
    """A codebook that cannot be used as given. Lists every problem with its line and field."""

    def __init__(self, problems, *, path=None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = sorted(problems, key=lambda p: (p.line or 0))
        self.path = path
        prefix = f"{path}" if path else "codebook"
        if len(self.problems) == 1:
            text = f"{prefix}: {self.problems[0]}"
        else:
            shown = self.problems[:20]
            text = f"{prefix}: {len(self.problems)} problems:\n" + "\n".join(f"  {p}" for p in shown)
            if len(self.problems) > len(shown):
                text += f"\n  ... and {len(self.problems) - len(shown)} more"
        super().__init__(text)


@dataclass
class Code:
    key: str
    name: str
    description: str | None = None
    include: str | None = None
    exclude: str | None = None
    examples: list[str] = field(default_factory=list)
    colour: str | None = None
    group: str | None = None
    codable: bool = True
    guid: str | None = None
    rules: dict = field(default_factory=dict)
    children: list["Code"] = field(default_factory=list)
    line: int | None = field(default=None, compare=False, repr=False)  # where it was defined

    def to_dict(self) -> dict:
        """The YAML shape, empty fields left out, children last."""
        out: dict = {"key": self.key, "name": self.name}
        for name in ("description", "include", "exclude"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.examples:
            out["examples"] = list(self.examples)
        if self.colour:
            out["colour"] = self.colour
        if self.group:
            out["group"] = self.group
        if not self.codable:
            out["codable"] = False
        if self.guid:
            out["guid"] = self.guid
        if self.rules:
            out["rules"] = dict(self.rules)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    @classmethod
    def from_dict(cls, data: dict, lines: dict | None = None, path: tuple = ()) -> "Code":
        lines = lines or {}
        return cls(
            key=data["key"], name=data["name"],
            description=data.get("description"), include=data.get("include"), exclude=data.get("exclude"),
            examples=list(data.get("examples") or []), colour=data.get("colour"), group=data.get("group"),
            codable=data.get("codable", True), guid=data.get("guid"), rules=dict(data.get("rules") or {}),
            children=[cls.from_dict(c, lines, path + ("children", i)) for i, c in enumerate(data.get("children") or [])],
            line=lines.get(path),
        )


@dataclass
class Codebook:
    name: str
    codes: list[Code] = field(default_factory=list)
    version: str | None = None
    description: str | None = None
    credit: str | None = None
    path: str | None = field(default=None, compare=False)

    def walk(self):
        """Every code, depth first, as (code, parent or None, position among siblings)."""
        def visit(codes, parent):
            for position, code in enumerate(codes):
                yield code, parent, position
                yield from visit(code.children, code)
        yield from visit(self.codes, None)

    def by_key(self) -> dict[str, Code]:
        return {code.key: code for code, _, _ in self.walk()}

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.version is not None:
            out["version"] = self.version
        for name in ("description", "credit"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        out["codes"] = [c.to_dict() for c in self.codes]
        return out

    @classmethod
    def from_dict(cls, data: dict, lines: dict | None = None, path=None) -> "Codebook":
        version = data.get("version")
        return cls(
            name=data["name"], version=None if version is None else str(version),
            description=data.get("description"), credit=data.get("credit"),
            codes=[Code.from_dict(c, lines, ("codes", i)) for i, c in enumerate(data.get("codes") or [])],
            path=str(path) if path else None,
        )

    def sha256(self) -> str:
        """Fingerprint of the content (not of the file's layout or comments)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def make_guid(codebook_name: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{codebook_name}\x00{key}")).upper()


def slug(name: str) -> str:
    """A key made from a name: 'Staff manner & personal attributes' -> 'staff-manner-personal-attributes'."""
    text = "".join(c if c.isalnum() else "-" for c in name.casefold())
    text = "-".join(filter(None, text.split("-")))
    text = text.encode("ascii", "ignore").decode() or "code"
    return text if KEY_RE.match(text) else f"c-{text}".strip("-") or "code"


def unique_slug(name: str, taken: set[str]) -> str:
    base = slug(name)
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    taken.add(key)
    return key
