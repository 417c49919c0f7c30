"""What a file is: its kind, told by its content first and its name second.

``detect_kind`` names a file's kind, so that a ``.docx`` renamed ``.pdf`` still
goes to the Word reader and an email saved without its extension is still opened
as one. ``FORM_KINDS`` are read by a parser, ``EMAIL_KINDS`` carry forms as
attachments; for every other kind ``unsupported_message`` says what to ask the
sender for instead. ``MAX_FILE_BYTES`` is the size past which nothing is opened.

Only the standard library is loaded here (``olefile`` on first use, for OLE
files only, once ``compound_file`` has checked their structure): the sandbox's
child and the window both import this module.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final, Literal

from cme_desktop.services.importing.compound_file import structure_problem

__all__ = [
    "EMAIL_KINDS",
    "FORM_KINDS",
    "MAX_FILE_BYTES",
    "Kind",
    "detect_kind",
    "unsupported_message",
]

Kind = Literal[
    "docx",
    "encrypted_office",
    "doc",
    "pdf",
    "eml",
    "msg",
    "csv",
    "xlsx",
    "xls",
    "rtf",
    "odt",
    "image",
    "zip",
    "unsupported",
]

#: Kinds that hold one referral form, read by a parser of ``read.PARSERS``.
FORM_KINDS: Final = frozenset({"docx", "encrypted_office", "pdf"})
#: Kinds that carry referral forms as attachments.
EMAIL_KINDS: Final = frozenset({"eml", "msg"})

#: No referral form, nor the email that carries one, comes near this size; a file
#: that does is refused before anything parses it.
MAX_FILE_BYTES: Final = 50 * 1024 * 1024

_ASK_FOR_FORM = "Ask the sender for the referral form as a Word document (.docx) or a PDF."
_SAVE_AS_DOCX = (
    "Ask the sender to save the form as a Word document (.docx) and password-protect it."
)
_UNSUPPORTED_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "doc": f"This is an old Word 97–2003 .doc file. {_SAVE_AS_DOCX}",
        "rtf": f"This is a Rich Text (.rtf) file. {_SAVE_AS_DOCX}",
        "odt": f"This is an OpenDocument (.odt) file. {_SAVE_AS_DOCX}",
        "xlsx": "Spreadsheets are not referral forms: ask for the referral form (Word or PDF).",
        "xls": "Spreadsheets are not referral forms: ask for the referral form (Word or PDF).",
        "csv": (
            "A CSV file is not a referral form. If it is a report from the pupil database, "
            "import it as a pupil database report; otherwise ask for the referral form "
            "(Word or PDF)."
        ),
        "image": (
            "A picture cannot be imported. " + _ASK_FOR_FORM + " A photo or scan of a "
            "paper form has to be typed in by hand."
        ),
        "zip": (
            "This is a zip archive. Ask the sender to attach the referral form itself "
            "(Word .docx or PDF), password-protected, not inside a zip file."
        ),
        "unsupported": "This kind of file cannot be imported. " + _ASK_FOR_FORM,
    }
)


def unsupported_message(kind: str) -> str:
    """What to tell the officer about a file of ``kind`` that cannot be imported."""
    return _UNSUPPORTED_MESSAGES.get(kind, _UNSUPPORTED_MESSAGES["unsupported"])


# --- what a file is -----------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_IMAGE_MAGICS = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",  # TIFF, as scanners write it
    b"MM\x00*",
)
# A zip whose central directory lists more entries than any Office document has
# is not listed here at all: its name decides, and the parser (in the sandbox) refuses it.
_MAX_ZIP_ENTRIES_TO_LIST = 5000

_EXTENSIONS_OF_KIND: Final[Mapping[Kind, str]] = {
    "docx": ".docx .docm .dotx",
    "doc": ".doc .dot",
    "pdf": ".pdf",
    "eml": ".eml",
    "msg": ".msg",
    "csv": ".csv",
    "xlsx": ".xlsx .xlsm",
    "xls": ".xls",
    "rtf": ".rtf",
    "odt": ".odt",
    "zip": ".zip",
    "image": ".jpg .jpeg .png .gif .tif .tiff .bmp .heic",
}
_EXTENSION_KINDS: Final[Mapping[str, Kind]] = MappingProxyType(
    {ext: kind for kind, exts in _EXTENSIONS_OF_KIND.items() for ext in exts.split()}
)

_HEADER_LINE = re.compile(rb"[!-9;-~]+:")
# Names that only an email's header block has; two of them, in a block of
# well-formed header lines at the very start, make a file an email.
_EMAIL_HEADERS = frozenset(
    b"from to cc subject date received return-path message-id mime-version delivered-to "
    b"reply-to sender x-mailer thread-topic".split()
)
_EMAIL_SIGNATURE_HEADERS = frozenset(
    b"from received message-id mime-version return-path delivered-to".split()
)


def detect_kind(data: bytes, filename: str) -> Kind:
    """The kind of a file: by its first bytes, and by its name only where they say nothing.

    ``"docx"``, ``"encrypted_office"`` (an encrypted Word or Excel file: which
    one is known only once it is decrypted), ``"pdf"``, ``"eml"``, ``"msg"``
    are read; ``"doc"`` (legacy Word), ``"xlsx"``, ``"xls"``, ``"csv"``,
    ``"rtf"``, ``"odt"``, ``"image"``, ``"zip"`` and ``"unsupported"`` are not
    (see ``unsupported_message``). Never raises: a damaged file is named by
    its extension, and its parser says what is wrong with it.
    """
    head = data[:1024]
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(data) or _by_extension(filename)
    if head.startswith(_ZIP_MAGICS):
        return _zip_kind(data) or _by_extension(filename)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _is_image(head):
        return "image"
    if _looks_like_email(data[:16384]):
        return "eml"
    if b"%PDF-" in head:
        # Some writers put junk before the header; readers accept it within 1 KB.
        return "pdf"
    return _by_extension(filename)


def _is_image(head: bytes) -> bool:
    if head.startswith(_IMAGE_MAGICS):
        return True
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):  # iPhone photos
        return True
    return head.startswith(b"BM") and head[6:10] == b"\x00\x00\x00\x00"  # BMP


def _by_extension(filename: str) -> Kind:
    return _EXTENSION_KINDS.get(os.path.splitext(filename)[1].lower(), "unsupported")


def _ole_kind(data: bytes) -> Kind | None:
    """Tell the OLE compound files apart by the streams at their root."""
    if structure_problem(data) is not None:
        # A header built to make olefile loop or eat memory: not listable, so
        # the kind falls back to the file's name and its reader refuses it.
        return None
    import olefile  # only OLE files need it

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            names = {entry[0] for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, KeyError, RecursionError, MemoryError):
        # olefile reports a damaged structure in many ways; any of them means
        # "not listable here", and the kind falls back to the file's name.
        return None
    if any(name.startswith("__substg1.0_") for name in names):
        return "msg"
    if {"EncryptionInfo", "EncryptedPackage"} <= names:
        return "encrypted_office"
    if "WordDocument" in names:
        return "doc"
    if "Workbook" in names or "Book" in names:
        return "xls"
    return None


def _zip_kind(data: bytes) -> Kind | None:
    """Tell Office Open XML, OpenDocument and plain zip archives apart by their entries."""
    if _zip_entry_count(data) > _MAX_ZIP_ENTRIES_TO_LIST:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {name.lower() for name in archive.namelist()}
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 100 and archive.read(info).startswith(
                    b"application/vnd.oasis.opendocument.text"
                ):
                    return "odt"
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, NotImplementedError):
        return None
    return "zip"


def _zip_entry_count(data: bytes) -> int:
    """The entry count of a zip's end-of-central-directory record, without listing it."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 12 > len(data):
        return 0
    return int.from_bytes(data[end + 10 : end + 12], "little")


def _looks_like_email(head: bytes) -> bool:
    lines = head.split(b"\n")
    if lines and lines[0].startswith(b"From "):  # an mbox separator line
        lines = lines[1:]
    if len(lines) < 2:
        return False
    seen: set[bytes] = set()
    for raw in lines[:-1]:  # the last line may be cut short by the 16 KB window
        line = raw.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if not seen:
                return False
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        seen.add(match.group()[:-1].lower())
    return len(seen & _EMAIL_HEADERS) >= 2 and bool(seen & _EMAIL_SIGNATURE_HEADERS)
