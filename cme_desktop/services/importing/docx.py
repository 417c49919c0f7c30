"""Import a referral from a Word form (``.docx``) shaped like policy Appendix A.

Schools fill in their own copy of the form, so its tables are found by their
labels, never by position: a label may carry a colon, odd spacing, ``( s )``,
a different case; its value may sit in the next cell, the cell below or a
merged cell; Yes/No may be ``Y``, ``X`` or a ticked box. A document written by
``referral_docx`` carries its exact record, used while the document's text is
unchanged since it was written.

Before python-docx sees a byte, the file is checked: its size, the zip's
entry count, declared sizes and compression ratios (zip bombs), and every XML
part for DOCTYPE or ENTITY declarations (entity expansion). Protected files
are decrypted in memory; nothing decrypted is written to disk.

This module opens the file safely and reads an embedded record;
``docx_text`` turns the body into paragraph texts and table grids,
``form_labels`` knows the form's labels, and ``docx_fields`` finds each
field's value by its label.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from cme_desktop.services.documents.word_form import EMBEDDED_NAMESPACE, form_text_digest
from cme_desktop.services.errors import CmeError, CorruptFile, HostileFile, UnsupportedFile
from cme_desktop.services.importing.docx_fields import read_form
from cme_desktop.services.importing.docx_text import read_blocks
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.office import OLE_MAGIC, decrypt_office
from cme_desktop.services.referral.record import Referral, from_json

__all__ = ["MAX_DOCX_SIZE", "parse_docx"]

#: A filled-in form is tens of kilobytes; a logo makes it hundreds.
MAX_DOCX_SIZE = 20 * 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_PART_SIZE = 32 * 1024 * 1024
MAX_UNCOMPRESSED_TOTAL = 64 * 1024 * 1024
#: Word's XML compresses about 10:1; 100:1 on a large part is a bomb.
MAX_COMPRESSION_RATIO = 100

_DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_DOC_MESSAGE = (
    "This is an old-style Word document (.doc), which cannot be imported. Ask the sender to "
    "save it as a Word Document (.docx, Word 2007 or later) and protect it with a password."
)
_DAMAGED = "The Word document is damaged or incomplete and cannot be read."


def parse_docx(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    """The referral in a Word form (``.docx``), protected with a password or not.

    Returns one ``ParsedReferral`` (a list, like every importer); fields read
    without confidence are listed in its ``uncertain``. Raises
    ``PasswordRequired``/``WrongPassword`` for a protected file,
    ``UnsupportedFile`` for a ``.doc`` or another kind of file, ``CorruptFile``
    for a damaged one, ``HostileFile`` for a zip bomb or entity declarations,
    ``NotAReferral`` for a Word document that is not an Appendix A form.
    """
    original = data
    if len(data) > MAX_DOCX_SIZE:
        raise HostileFile(
            f"The file is larger than {MAX_DOCX_SIZE // (1024 * 1024)} MB, too large to be a "
            "referral form."
        )
    if data.startswith(OLE_MAGIC):
        data = decrypt_office(data, password)
    document = _open_document(data)
    body = document.element.body
    ref = _embedded_record(document, body)
    uncertain: tuple[str, ...] = ()
    if ref is None:
        ref, uncertain = read_form(read_blocks(body))
    name = source.rsplit("›", 1)[-1].strip()
    return [
        ParsedReferral(
            referral=ref,
            source=source,
            uncertain=uncertain,
            original=original,
            original_name=name,
        )
    ]


# --- opening the package safely ------------------------------------------------


def _open_document(data: bytes) -> Any:
    if not data.startswith(b"PK"):
        head = data[:16].lstrip()
        if head.startswith(b"{\\rtf"):
            raise UnsupportedFile(
                "This is a Rich Text (.rtf) file. Ask the sender to save it as a Word "
                "Document (.docx) and protect it with a password."
            )
        if head.startswith(b"%PDF"):
            raise UnsupportedFile("This is a PDF file, not a Word document.")
        raise CorruptFile("This file is not a Word document (.docx), or it is damaged.")
    # Counting central-directory records before zipfile builds one object per entry.
    if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
        raise HostileFile()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(archive)
    except CmeError:
        raise
    # zipfile raises a spread of errors on a damaged archive; all mean the same.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc
    try:
        return docx.Document(io.BytesIO(data))
    except ValueError as exc:
        if "not a Word file" in str(exc):
            raise UnsupportedFile("This file is not a Word document (.docx).") from exc
        raise CorruptFile(_DAMAGED) from exc
    # python-docx and lxml raise many kinds of error on damaged parts.
    except Exception as exc:
        raise CorruptFile(_DAMAGED) from exc


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb, and XML that declares a DOCTYPE or entities, before python-docx."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise HostileFile()
    names = set()
    total = 0
    for info in infos:
        if info.filename in names:
            raise CorruptFile(_DAMAGED)
        names.add(info.filename)
        if info.flag_bits & 0x1 or info.compress_type not in (
            zipfile.ZIP_STORED,
            zipfile.ZIP_DEFLATED,
        ):
            raise CorruptFile(_DAMAGED)
        total += info.file_size
        if info.file_size > MAX_PART_SIZE or total > MAX_UNCOMPRESSED_TOTAL:
            raise HostileFile()
        if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise HostileFile()
    try:
        types_info = archive.getinfo("[Content_Types].xml")
    except KeyError as exc:
        raise CorruptFile(_DAMAGED) from exc
    defaults, overrides = _content_types(_read_part(archive, types_info, xml=True))
    for info in infos:
        name = info.filename
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        kind = overrides.get("/" + name.lower(), defaults.get(ext, ""))
        xml = name.endswith(".rels") or (kind.endswith("xml") and not kind.startswith("image/"))
        # Every part is read once here, within its declared size, so that a part that
        # lies about its size fails its CRC now instead of inflating inside python-docx.
        _read_part(archive, info, xml=xml)


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, xml: bool) -> bytes:
    with archive.open(info) as part:
        blob = part.read(info.file_size + 1)
    if len(blob) > info.file_size:
        raise CorruptFile(_DAMAGED)
    if xml and _DOCTYPE.search(blob.replace(b"\x00", b"")):
        raise HostileFile(
            "The file contains XML declarations that are used to attack software; it has "
            "not been opened."
        )
    return blob


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _content_types(blob: bytes) -> tuple[dict[str, str], dict[str, str]]:
    root = etree.fromstring(blob, parser=_safe_parser())
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.endswith("}Default"):
            defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
        elif tag.endswith("}Override"):
            overrides[el.get("PartName", "").lower()] = el.get("ContentType", "")
    return defaults, overrides


def _embedded_record(document: Any, body: Any) -> Referral | None:
    """The record embedded by ``render_docx``, if present and the text is unchanged."""
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype != RT.CUSTOM_XML:
            continue
        try:
            root = etree.fromstring(rel.target_part.blob, parser=_safe_parser())
        except etree.XMLSyntaxError:
            continue
        if root.tag != f"{{{EMBEDDED_NAMESPACE}}}referral":
            continue
        if root.get("text-sha256") != form_text_digest(body):
            return None  # edited in Word since it was written: read what it says now
        try:
            return from_json(root.text or "")
        except CmeError:
            return None
    return None
