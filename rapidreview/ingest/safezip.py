"""Open .docx/.xlsx (zip + XML) files defensively, before a parser sees them.

Refuses: files that are not zips, encrypted files (Office encrypts into an OLE
container, not a zip), zip bombs (too large or too compressed once unpacked) and
XML with DTDs or entities (billion laughs, external entities).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import InputError

MAX_UNPACKED = 1 << 30  # 1 GiB unpacked in all
MAX_RATIO = 200  # an honest Office part compresses 5-20x; bombs go to 1000x
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_office_file(path: Path, kind: str) -> None:
    """Raise InputError unless `path` is a plain, sane Office Open XML zip."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head == OLE_MAGIC:
        raise InputError(
            f"this .{kind} is password-protected or in the old binary format. Open it in Office, remove the "
            f"password (or Save As .{kind}) and import again.", path=path)
    if not zipfile.is_zipfile(path):
        raise InputError(f"not a valid .{kind} file (it is not a zip archive; it may be corrupt or renamed). "
                         "Open and re-save it, or export again.", path=path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = 0
            for info in infos:
                if info.flag_bits & 0x1:
                    raise InputError(f"this .{kind} contains encrypted parts. Remove the password and import again.",
                                     path=path)
                total += info.file_size
                if info.compress_size and info.file_size > 1 << 20 and info.file_size / info.compress_size > MAX_RATIO:
                    raise InputError(f"refused: part {info.filename!r} unpacks {info.file_size // info.compress_size}x "
                                     "(a zip bomb?). Re-save the file from Office.", path=path)
                if total > MAX_UNPACKED:
                    raise InputError("refused: the file unpacks to more than 1 GiB (a zip bomb?).", path=path)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _check_xml_head(z, info, path)
    except zipfile.BadZipFile as e:
        raise InputError(f"corrupt .{kind} file ({e}). Open and re-save it, or export again.", path=path) from None


def _check_xml_head(z: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> None:
    # A DTD can only come before the root element, but comments or whitespace may push it
    # past any fixed-size head: parse (streaming, DTDs forbidden) up to the root element.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    with z.open(info) as part:
        try:
            for _event, _element in iterparse(part, events=("start",), forbid_dtd=True):
                break
        except DefusedXmlException:
            raise InputError(f"refused: XML part {info.filename!r} declares a DTD or entities, which Office "
                             "never writes (an XML bomb?).", path=path) from None
        except ParseError:
            pass  # malformed XML: the reader reports it with its own message
