"""Checking a codebook: the JSON Schema first, then what a schema cannot say
(duplicate keys and names, rule patterns that spaCy will not compile)."""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema

from .model import Problem

IMPORTED = "imported"  # reserved: the codebook an import makes when none is loaded

HINTS = {
    "colour": "write a colour as #rrggbb, e.g. #1f77b4",
    "key": "a key is a lower-case slug: letters, digits, '-' and '_', e.g. staff-attitude",
    "guid": "a GUID looks like 1FF58B12-6F6F-4B0C-8BE5-BBDC91F55294",
}


@functools.lru_cache(maxsize=1)
def schema() -> dict:
    text = resources.files("rapidreview").joinpath("data/codebook.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def field_name(path) -> str:
    """('codes', 2, 'rules', 'keywords', 0) -> 'codes[2].rules.keywords[0]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict, path) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def check(data, lines: dict | None = None) -> list[Problem]:
    """Every problem in a parsed codebook (an empty list when it is fine)."""
    lines = lines or {}
    validator = jsonschema.Draft202012Validator(schema())
    problems = [_schema_problem(e, data, lines) for e in validator.iter_errors(data)]
    if problems:
        return problems  # structure is wrong: the checks below assume it is right
    if data["name"].strip().casefold() == IMPORTED:
        problems.append(Problem(f"the name {IMPORTED!r} is reserved for codes made by imports; choose another",
                                line_of(lines, ("name",)), "name"))
    problems += _check_codes(data, lines)
    return problems


def _schema_problem(error, data, lines) -> Problem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        extra_path = path + (extra[0],) if extra else path
        known = ", ".join(error.schema.get("properties", {}))
        return Problem(f"unknown field {', '.join(map(repr, extra))} (known fields: {known})",
                       line_of(lines, extra_path), _label(data, extra_path))
    if error.validator == "required":
        return Problem(error.message.replace("is a required property", "is required"),
                       line_of(lines, path), _label(data, path) or "top level")
    message = error.message
    last = next((p for p in reversed(path) if isinstance(p, str)), None)
    if error.validator == "pattern" and last in HINTS:
        message = f"{error.instance!r}: {HINTS[last]}"
    elif error.validator == "type":
        message = f"{error.instance!r} should be {_type_words(error.validator_value)}"
        if error.validator_value == "string" and isinstance(error.instance, (int, float, bool)):
            message += f' (put it in quotes: "{error.instance}")'

    return Problem(message, line_of(lines, path), _label(data, path))


def _type_words(expected) -> str:
    words = {"string": "text", "array": "a list", "object": "a mapping (field: value)", "integer": "a whole number",
             "boolean": "true or false", "number": "a number"}
    expected = expected if isinstance(expected, list) else [expected]
    return " or ".join(words.get(t, t) for t in expected)


def _label(data, path) -> str:
    """'codes[3] (parking).colour': the field, with the key of the code it is in."""
    label = field_name(path)
    node, code_at = data, None
    for i, part in enumerate(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("key"), str) and isinstance(part, int):
            code_at = (i + 1, node["key"])
    if code_at:
        head = field_name(path[:code_at[0]])
        rest = label[len(head):]
        return f"{head} ({code_at[1]}){rest}"
    return label


def _check_codes(data, lines) -> list[Problem]:
    problems = []
    keys: dict[str, tuple] = {}
    names: dict[str, tuple] = {}
    guids: dict[str, tuple] = {}

    def visit(codes, path):
        for i, code in enumerate(codes):
            here = path + (i,)
            key_line = line_of(lines, here + ("key",))
            if code["key"] in keys:
                problems.append(Problem(
                    f"duplicate key {code['key']!r} (first at line {line_of(lines, keys[code['key']] + ('key',))}); "
                    "every code needs its own key", key_line, _label(data, here + ("key",))))
            else:
                keys[code["key"]] = here
            folded = code["name"].strip().casefold()
            if folded in names:
                first = names[folded]
                problems.append(Problem(
                    f"code name {code['name']!r} clashes with {_get(data, first)['name']!r} "
                    f"(line {line_of(lines, first + ('name',))}); names must differ, ignoring case",
                    line_of(lines, here + ("name",)), _label(data, here + ("name",))))
            else:
                names[folded] = here
            guid = (code.get("guid") or "").strip("{}").lower()
            if guid and guid in guids:
                problems.append(Problem(f"GUID {code['guid']!r} is also used by {_get(data, guids[guid])['key']!r}; "
                                        "every code needs its own GUID (or none: one is made for you)",
                                        line_of(lines, here + ("guid",)), _label(data, here + ("guid",))))
            elif guid:
                guids[guid] = here
            problems.extend(check_rules(code.get("rules") or {}, lines, here + ("rules",), data))
            visit(code.get("children") or [], here + ("children",))

    visit(data["codes"], ("codes",))
    return problems


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def check_rules(rules: dict, lines=None, path=(), data=None) -> list[Problem]:
    """Keywords must lemmatise to something; patterns must compile with spaCy's Matcher."""
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher

    from ..nlp import get_nlp, lemmas

    lines = lines or {}
    problems = []
    for name in ("keywords", "exclude"):
        for i, phrase in enumerate(rules.get(name) or []):
            if not lemmas(phrase):
                where = path + (name, i)
                problems.append(Problem(f"{phrase!r} has no words to match", line_of(lines, where),
                                        _label(data, where) if data is not None else field_name(where)))
    patterns = rules.get("patterns") or []
    if patterns:
        nlp = get_nlp()
        for i, pattern in enumerate(patterns):
            where = path + ("patterns", i)
            try:
                Matcher(nlp.vocab, validate=True).add("check", [pattern])
            except (MatchPatternError, ValueError, TypeError, KeyError) as e:
                detail = " ".join(str(e).split())
                problems.append(Problem(f"spaCy Matcher cannot compile this pattern: {detail}",
                                        line_of(lines, where),
                                        _label(data, where) if data is not None else field_name(where)))
    return problems
