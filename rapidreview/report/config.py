"""What a report holds and in what order: a small YAML file the user can edit.

    title: GP access review, spring 2026
    sections: [method, participants, themes, codes, changes, recommendations, codebook]
    titles: {participants: "Who took part"}
    attributes: [Service, Age group]     # "who we heard from" breakdowns (default: short lists)
    quotes_per_theme: 3
    min_group: 10                        # withhold quotes from groups smaller than this
    max_themes: 20
    compare: [2025-Q1, 2025-Q2]          # adds "What changed"

Every key is optional; the CLI options override the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import RapidReviewError
from ..mapping_file import read_mapping

SECTIONS = {
    "method": "How we did this",
    "participants": "Who we heard from",
    "themes": "What people told us: themes",
    "codes": "What people told us: codes",
    "changes": "What changed between waves",
    "recommendations": "Recommendations",
    "codebook": "Appendix: codebook",
}


class ReportError(RapidReviewError):
    """A report that cannot be made as asked."""


@dataclass
class ReportConfig:
    title: str = "Rapid review"
    subtitle: str | None = None  # e.g. who ran the review
    sections: list[str] = field(default_factory=lambda: list(SECTIONS))
    titles: dict = field(default_factory=dict)  # section key -> heading
    attributes: list[str] | None = None  # None: every attribute with 2-12 values
    quotes_per_theme: int = 3
    min_group: int = 0
    max_themes: int = 30
    run: int | None = None  # theme run (latest by default)
    compare: list[str] | None = None  # [before, after] wave labels
    compare_by: str = "code"  # or "theme"
    charts: bool = True

    def heading(self, key: str) -> str:
        return self.titles.get(key) or SECTIONS[key]

    def check(self) -> "ReportConfig":
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise ReportError(f"unknown report section {unknown[0]!r}; sections are: {', '.join(SECTIONS)}.")
        bad_titles = [k for k in self.titles if k not in SECTIONS]
        if bad_titles:
            raise ReportError(f"'titles' names an unknown section {bad_titles[0]!r}; sections are: "
                              f"{', '.join(SECTIONS)}.")
        if self.compare is not None and len(self.compare) != 2:
            raise ReportError("'compare' takes two wave labels, e.g. compare: [2025-Q1, 2025-Q2].")
        if self.compare_by not in ("code", "theme"):
            raise ReportError("'compare_by' is 'code' or 'theme'.")
        for name in ("quotes_per_theme", "min_group", "max_themes"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                raise ReportError(f"{name!r} must be a whole number, 0 or more.")
        return self


def load_config(path=None, **overrides) -> ReportConfig:
    """The config from a YAML file (if given), with non-None `overrides` on top."""
    data: dict = {}
    if path is not None:
        data = _read(Path(path))
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(ReportConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ReportError(f"{path or 'report config'}: unknown setting {unknown[0]!r}; settings are: "
                          f"{', '.join(sorted(known))}.")
    for name in ("sections", "attributes", "compare"):
        if isinstance(data.get(name), str):
            data[name] = [data[name]]
    if data.get("compare"):
        data["compare"] = [str(w) for w in data["compare"]]
    return ReportConfig(**data).check()


def _read(path: Path) -> dict:
    if not path.exists():
        raise ReportError(f"{path}: no such report config. Write the defaults out with "
                          "`rapidreview report --write-template DIR`.")
    return read_mapping(path, "report config", "setting: value", error=ReportError)
