"""REFI-QDA codebooks (.qdc): what NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette exchange.

Import leniently (other tools write old namespaces in schemaLocation, leave out
isCodable, brace their GUIDs), export strictly (what we write validates against
Codebook.xsd; see tests). Include and exclude criteria travel inside <Description> as
"Include:" / "Exclude:" paragraphs, since the format has no fields for them; code groups
travel as <Sets>.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .model import GUID_NAMESPACE, Code, Codebook, CodebookError, Problem, make_guid, unique_slug

NS = "urn:QDA-XML:codebook:1.0"
NS_PREFIX = "urn:QDA-XML:codebook:"
PROJECT_NS_PREFIX = "urn:QDA-XML:project:"
GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
COLOUR_RE = re.compile(r"^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
CRITERIA_RE = re.compile(r"^(Include|Exclude|Examples?):\s*", re.IGNORECASE)


# ---------------------------------------------------------------- import


def read_qdc(path, *, name: str | None = None) -> Codebook:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError("no such file", path=path) from None
    return loads_qdc(data, name=name or path.stem, path=path)


def loads_qdc(data: bytes, *, name: str = "codebook", path=None) -> Codebook:
    try:
        root = SafeET.fromstring(data)
    except (ET.ParseError, DefusedXmlException) as e:
        raise CodebookError(f"not a well-formed XML file ({e}); export the codebook again from its tool",
                            path=path) from None
    ns, tag = _split(root.tag)
    if ns and ns.startswith(PROJECT_NS_PREFIX):
        raise CodebookError(f"this is a REFI-QDA project ({ns}), not a codebook; a .qdc has a <CodeBook> root "
                            f"in namespace {NS}", path=path)
    if tag != "CodeBook" or not (ns or "").startswith(NS_PREFIX):
        found = f"<{tag}> in namespace {ns!r}" if ns else f"<{tag}> with no namespace"
        raise CodebookError(f"not a REFI-QDA codebook: the root element is {found}; expected <CodeBook "
                            f'xmlns="{NS}">', path=path)
    problems: list[Problem] = []
    taken: set[str] = set()
    by_guid: dict[str, Code] = {}
    codes_el = _child(root, ns, "Codes")
    if codes_el is None:
        raise CodebookError("the codebook has no <Codes> element", path=path)
    codes = [_read_code(el, ns, name, taken, by_guid, problems) for el in _children(codes_el, ns, "Code")]
    for set_el in _children(_child(root, ns, "Sets"), ns, "Set"):
        group = (set_el.get("name") or "").strip() or "set"
        for member in _children(set_el, ns, "MemberCode"):
            guid = _norm_guid(member.get("guid"))
            code = by_guid.get(guid or "")
            if code is None:
                problems.append(Problem(f"set {group!r} lists a code GUID {member.get('guid')!r} that is not "
                                        "among the codes; the file is incomplete: export it again", field="MemberCode"))
            elif code.group is None:
                code.group = group
    if problems:
        raise CodebookError(problems, path=path)
    origin = root.get("origin")
    return Codebook(name=name, codes=codes, credit=f"Imported from {origin}" if origin else None,
                    path=str(path) if path else None)


def _read_code(el, ns, book_name, taken, by_guid, problems) -> Code:
    label = el.get("name") or ""
    raw_guid = el.get("guid")
    guid = _norm_guid(raw_guid)
    if raw_guid is None:
        guid = None  # lenient: a GUID is made from the name below
    elif guid is None:
        problems.append(Problem(f"code {label!r} has a malformed GUID {raw_guid!r}", field="Code/@guid"))
    elif guid in by_guid:
        problems.append(Problem(f"GUID {raw_guid!r} is used by two codes ({by_guid[guid].name!r} and {label!r})",
                                field="Code/@guid"))
    key = unique_slug(label or "code", taken)
    description, include, exclude = _split_description(_text(_child(el, ns, "Description")))
    colour = el.get("color")
    if colour and not COLOUR_RE.match(colour):
        colour = None  # lenient: tools disagree on colour formats; we drop what we cannot read
    elif colour and len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    codable = (el.get("isCodable") or "true").strip().lower() not in ("false", "0")
    code = Code(key=key, name=label.strip() or key, description=description, include=include, exclude=exclude,
                colour=colour.lower() if colour else None, codable=codable,
                guid=(guid.upper() if guid else make_guid(book_name, key)))
    if guid and guid not in by_guid:
        by_guid[guid] = code
    code.children = [_read_code(c, ns, book_name, taken, by_guid, problems) for c in _children(el, ns, "Code")]
    return code


def _split_description(text: str | None):
    """'What it is.\\n\\nInclude: ...\\n\\nExclude: ...' -> (description, include, exclude)."""
    if not text:
        return None, None, None
    parts = {"description": [], "include": [], "exclude": []}
    current = "description"
    for para in re.split(r"\n\s*\n", text.strip()):
        m = CRITERIA_RE.match(para)
        if m and m.group(1).lower() in ("include", "exclude"):
            current = m.group(1).lower()
            para = para[m.end():]
        parts[current].append(para.strip())
    joined = {k: "\n\n".join(p for p in v if p) or None for k, v in parts.items()}
    return joined["description"], joined["include"], joined["exclude"]


def _norm_guid(value):
    m = GUID_RE.match((value or "").strip())
    return m.group(1).lower() if m else None


def _split(tag: str):
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return None, tag


def _child(el, ns, tag):
    if el is None:
        return None
    return el.find(f"{{{ns}}}{tag}") if ns else el.find(tag)


def _children(el, ns, tag):
    if el is None:
        return []
    return el.findall(f"{{{ns}}}{tag}") if ns else el.findall(tag)


def _text(el):
    return el.text if el is not None and el.text else None


# ---------------------------------------------------------------- export


def dumps_qdc(book: Codebook) -> bytes:
    """The codebook as a .qdc (UTF-8 XML, valid against Codebook.xsd)."""
    from .. import __version__

    ET.register_namespace("", NS)
    root = ET.Element(f"{{{NS}}}CodeBook", {"origin": f"rapidreview {__version__}"})
    codes_el = ET.SubElement(root, f"{{{NS}}}Codes")
    groups: dict[str, list[str]] = {}
    for code in book.codes:
        _write_code(codes_el, code, book.name, groups)
    if groups:
        sets_el = ET.SubElement(root, f"{{{NS}}}Sets")
        for group, guids in groups.items():
            guid = str(uuid.uuid5(GUID_NAMESPACE, f"{book.name}\x00set\x00{group}")).upper()
            set_el = ET.SubElement(sets_el, f"{{{NS}}}Set", {"guid": guid, "name": group})
            for g in guids:
                ET.SubElement(set_el, f"{{{NS}}}MemberCode", {"guid": g})
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _write_code(parent_el, code: Code, book_name: str, groups: dict) -> None:
    guid = (_norm_guid(code.guid) or make_guid(book_name, code.key).lower()).upper()
    attrs = {"guid": guid, "name": code.name, "isCodable": "true" if code.codable else "false"}
    if code.colour:
        attrs["color"] = code.colour.upper()
    el = ET.SubElement(parent_el, f"{{{NS}}}Code", attrs)
    paras = [code.description or ""]
    if code.include:
        paras.append(f"Include: {code.include}")
    if code.exclude:
        paras.append(f"Exclude: {code.exclude}")
    text = "\n\n".join(p for p in paras if p)
    if text:
        ET.SubElement(el, f"{{{NS}}}Description").text = text
    if code.group:
        groups.setdefault(code.group, []).append(guid)
    for child in code.children:
        _write_code(el, child, book_name, groups)


def write_qdc(book: Codebook, path) -> None:
    Path(path).write_bytes(dumps_qdc(book))


def validate_qdc(data: bytes, xsd_path) -> list[str]:
    """Errors from validating .qdc bytes against Codebook.xsd (needs lxml; [] when valid)."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    doc = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
