"""Codebook YAML: read with line numbers for every field, validate, write back.

PyYAML's composed node tree carries marks (line, column); we build plain Python values
from it ourselves so each field's line is known, and so a key given twice in one mapping
(which YAML silently lets the last one win) is an error rather than a lost edit.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .model import Codebook, CodebookError, Problem
from .schema import check


def parse(text: str, path=None) -> tuple[object, dict]:
    """YAML text -> (data, {field path tuple: line number})."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" (column {mark.column + 1})" if mark else ""
        context = ""
        if e.context and e.context_mark and e.problem:
            context = f" ({e.context} that starts at line {e.context_mark.line + 1})"
        raise CodebookError([Problem(f"not valid YAML{where}: {e.problem or e.context}{context}. Check the indentation, "
                                     "and put text that starts with a quote or holds ': ' or ' #' in quotes",
                                     mark.line + 1 if mark else None)], path=path) from None
    finally:
        loader.dispose()
    if node is None:
        raise CodebookError("the file is empty; start from `rapidreview codebook new`", path=path)
    lines: dict = {}
    problems: list[Problem] = []
    constructor = yaml.SafeLoader("")
    data = _build(node, (), lines, problems, constructor)
    if problems:
        raise CodebookError(problems, path=path)
    return data, lines


def _build(node, path, lines, problems, constructor):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = _build(key_node, path + ("<key>",), {}, problems, constructor)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(Problem("a field name must be text", key_node.start_mark.line + 1))
                continue
            key = str(key)
            if key in out:
                problems.append(Problem(f"field {key!r} is given twice in this mapping (first at line "
                                        f"{lines[path + (key,)]}); keep one", key_node.start_mark.line + 1, key))
                continue
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, path + (key,), lines, problems, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), lines, problems, constructor) for i, child in enumerate(node.value)]
    return constructor.construct_object(node, deep=True)


def loads(text: str, path=None) -> Codebook:
    """Parse and validate codebook YAML text; raise CodebookError naming every problem."""
    data, lines = parse(text, path)
    problems = check(data, lines)
    if problems:
        raise CodebookError(problems, path=path)
    return Codebook.from_dict(data, lines, path)


def read(path) -> Codebook:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodebookError(f"no such file. Make one with `rapidreview codebook new {path}`", path=path) from None
    except UnicodeDecodeError:
        raise CodebookError("not UTF-8 text: save the codebook as UTF-8", path=path) from None
    return loads(text, path)


class _Dumper(yaml.SafeDumper):
    """Block style, long text as folded-free literal blocks where it has newlines."""


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dumps(book: Codebook) -> str:
    """The codebook as YAML, fields in the documented order."""
    return yaml.dump(book.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def write(book: Codebook, path) -> None:
    Path(path).write_text(dumps(book), encoding="utf-8")


TEMPLATE = '''\
# A rapidreview codebook. Format: codebooks/README.md in the rapidreview source.
# Keep each code's `key` when you rename it: codings follow the key.
name: {name}
description: What this codebook is for, and for which review.
credit: Who wrote it; whose framework it adapts.
codes:
  - key: access
    name: Access to services
    codable: false            # a category heading: its children are the codes
    colour: "#1f77b4"
    children:
      - key: getting-appointment
        name: Getting an appointment
        description: Ease or difficulty getting an appointment.
        include: Phoning, booking online, availability of slots, being turned away.
        exclude: Waiting once at the service (use waiting).
        examples:
          - "Rang at 8am every day for a week and never got through."
          - "Booked online for the next morning, very easy."
        colour: "#1f77b4"
        rules:
          keywords: [appointment, get through, booking]
          patterns:
            - [{{LEMMA: ring}}, {{OP: "?"}}, {{LEMMA: {{IN: [surgery, practice]}}}}]
          exclude: [dentist]
      - key: waiting
        name: Waiting
        description: Time spent waiting for care, on the day or on a list.
        examples:
          - "Waited three hours in A&E."
          - "Seen on time."
        colour: "#aec7e8"
        rules:
          keywords: [wait, waiting list, delay]
  - key: staff-attitude
    name: Staff attitude
    description: How staff treated the person.
    examples:
      - "The nurses were so kind."
      - "The receptionist was rude."
    colour: "#ff7f0e"
    rules:
      keywords: [kind, rude, friendly, caring, polite]
'''


def template(name: str) -> str:
    return TEMPLATE.format(name=yaml.safe_dump(name, default_style=None).strip().removesuffix("...").strip())
