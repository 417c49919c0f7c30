"""Importing referrals: what a file is, which parser reads it, and the passwords it needs.

The front door of every import (the window, ``cme import``, a folder of files):

- ``detect_kind`` names a file's kind from its content first and its name
  second, so a ``.docx`` renamed ``.pdf`` still goes to the Word reader;
- ``read_file`` reads one file with one password (or none) and returns its
  referrals; an email is opened and each referral form attached to it read;
- ``read_with_passwords`` does the same for the window: it asks for a password
  for each encrypted attachment, again when one is wrong, and gives up after
  ``max_attempts``, listing what it skipped and why;
- ``iter_folder`` lists the files of a folder worth trying.

Kinds nobody can import (an old ``.doc``, a spreadsheet, a picture) raise
``UnsupportedFile`` with what to ask the sender for instead.

This module is imported by the child process of ``sandbox.run_isolated``, so it
imports no parser at load time: each parser's module (and its libraries) is
imported on first use, and only the one a file needs.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, TypeVar

from cme_desktop.services.errors import (
    CmeError,
    CorruptFile,
    HostileFile,
    PasswordRequired,
    UnreadableFile,
    UnsupportedFile,
    WrongPassword,
)
from cme_desktop.services.importing.result import ParsedReferral

if TYPE_CHECKING:
    from cme_desktop.services.importing.email import EmailContent, EmailInfo

__all__ = [
    "EMAIL_KINDS",
    "FORM_KINDS",
    "IMPORTABLE_SUFFIXES",
    "MAX_FILE_BYTES",
    "PARSERS",
    "ImportOutcome",
    "Kind",
    "Parser",
    "PasswordProvider",
    "detect_kind",
    "iter_folder",
    "read_file",
    "read_with_passwords",
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

#: Kinds that hold one referral form, read by a parser of ``PARSERS``.
FORM_KINDS: Final = frozenset({"docx", "encrypted_office", "pdf"})
#: Kinds that carry referral forms as attachments.
EMAIL_KINDS: Final = frozenset({"eml", "msg"})
#: What ``iter_folder`` offers; other files in a folder are left alone.
IMPORTABLE_SUFFIXES: Final = frozenset({".docx", ".docm", ".pdf", ".eml", ".msg"})

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


# --- the parsers ----------------------------------------------------------------


class Parser(Protocol):
    """A format parser: ``parse_docx`` and ``parse_pdf`` have this shape."""

    def __call__(
        self, data: bytes, *, password: str | None, source: str
    ) -> list[ParsedReferral]: ...


def _parse_docx(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    from cme_desktop.services.importing.docx import parse_docx

    referrals: list[ParsedReferral] = parse_docx(data, password=password, source=source)
    return referrals


def _parse_pdf(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    from cme_desktop.services.importing.pdf import parse_pdf

    referrals: list[ParsedReferral] = parse_pdf(data, password=password, source=source)
    return referrals


#: The parser for each kind in ``FORM_KINDS``. Tests pass their own table.
PARSERS: Final[Mapping[str, Parser]] = MappingProxyType(
    {"docx": _parse_docx, "encrypted_office": _parse_docx, "pdf": _parse_pdf}
)


def _check_size(data: bytes) -> None:
    if not data:
        raise CorruptFile("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise HostileFile(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: far larger than "
            "any referral form, so it was not opened."
        )


def _parse_document(
    data: bytes,
    *,
    kind: str,
    password: str | None,
    source: str,
    parsers: Mapping[str, Parser] | None = None,
) -> list[ParsedReferral]:
    """One referral form of a known kind, through its parser (run in the sandbox's child)."""
    table = PARSERS if parsers is None else parsers
    parser = table.get(kind)
    if parser is None:
        raise UnsupportedFile(unsupported_message(kind))
    return parser(data, password=password, source=source)


def _with_name(error: CmeError, name: str) -> CmeError:
    """``error`` with the attachment it is about named in front of its message."""
    error.message = f"{name}: {error.message}"
    error.args = (error.message,)
    return error


def read_file(
    data: bytes,
    *,
    filename: str,
    password: str | None,
    parsers: Mapping[str, Parser] | None = None,
) -> list[ParsedReferral]:
    """The referrals in one file: a referral form, or an email with forms attached.

    ``password`` opens an encrypted form; for an email it is tried on every
    attached form (the ``cme import --password-file`` case). Raises
    ``PasswordRequired`` / ``WrongPassword`` (for an email, naming the
    attachment), ``UnsupportedFile`` for kinds that cannot be imported, with
    what to ask the sender for, ``CorruptFile``, ``NotAReferral`` and
    ``HostileFile``. Runs in this process: for a file from outside, use
    ``sandbox.read_file_isolated``.
    """
    _check_size(data)
    kind = detect_kind(data, filename)
    if kind not in EMAIL_KINDS:
        return _parse_document(data, kind=kind, password=password, source=filename, parsers=parsers)
    from cme_desktop.services.importing.email import open_email

    content = open_email(data, filename=filename)
    referrals: list[ParsedReferral] = []
    for attachment in content.attachments:
        try:
            referrals += _parse_document(
                attachment.data,
                kind=attachment.kind,
                password=password,
                source=f"{filename} › {attachment.name}",
                parsers=parsers,
            )
        except CmeError as error:
            raise _with_name(error, attachment.name) from None
    return referrals


# --- asking for passwords -------------------------------------------------------

#: Asked for the password of the attachment named first, at the attempt numbered
#: second (1, 2, ...); returns ``None`` when the officer gives up on that attachment.
PasswordProvider = Callable[[str, int], str | None]


@dataclass(frozen=True)
class ImportOutcome:
    """What ``read_with_passwords`` read from one file.

    ``skipped`` names each form that was not read and why, in words for the
    officer (e.g. a wrong password three times, a damaged attachment, an old
    ``.doc`` form). ``email`` is the carrying email's sender, subject and date,
    or ``None`` when the file was a form itself.
    """

    referrals: list[ParsedReferral]
    skipped: list[tuple[str, str]]
    email: EmailInfo | None = None


_R = TypeVar("_R")


def _run_here(func: Callable[..., _R], /, *args: Any, **kwargs: Any) -> _R:
    return func(*args, **kwargs)


def read_with_passwords(
    data: bytes,
    *,
    filename: str,
    ask: PasswordProvider,
    max_attempts: int = 3,
    parsers: Mapping[str, Parser] | None = None,
    isolated: bool = True,
) -> ImportOutcome:
    """The referrals in one file, asking for each encrypted form's password as it comes.

    ``ask`` is called only for a form that turns out to be encrypted, once,
    then again after each wrong password, at most ``max_attempts`` times;
    ``None`` from it skips that form. Each form that cannot be read is listed in
    ``skipped`` with the reason, and the others are still read. Only a file that
    cannot be opened at all raises (an email with no form attached:
    ``NotAReferral``; damaged: ``CorruptFile``; too large: ``HostileFile``).

    With ``isolated`` (the default) the email and every form are read in a
    separate process (``sandbox.run_isolated``), so a hostile file cannot hang
    or exhaust the application; ``parsers`` must then be top-level functions.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if isolated:
        from cme_desktop.services.importing.sandbox import run_isolated

        run: Callable[..., Any] = run_isolated
    else:
        run = _run_here
    _check_size(data)
    kind = detect_kind(data, filename)
    email: EmailInfo | None = None
    skipped: list[tuple[str, str]] = []
    documents: list[tuple[str, bytes, str, str]] = []  # name, data, kind, source
    if kind in EMAIL_KINDS:
        from cme_desktop.services.importing.email import open_email

        content: EmailContent = run(open_email, data, filename=filename)
        email = content.info
        for attachment in content.attachments:
            source = f"{filename} › {attachment.name}"
            documents.append((attachment.name, attachment.data, attachment.kind, source))
        skipped += [
            (name, unsupported_message(other_kind))
            for name, other_kind in content.others
            if other_kind == "doc"
        ]
    else:
        documents.append((filename, data, kind, filename))

    referrals: list[ParsedReferral] = []
    for name, document, document_kind, source in documents:
        try:
            referrals += _read_asking(
                run,
                document,
                name=name,
                kind=document_kind,
                source=source,
                ask=ask,
                max_attempts=max_attempts,
                parsers=parsers,
            )
        except CmeError as error:
            skipped.append((name, error.message))
    return ImportOutcome(referrals=referrals, skipped=skipped, email=email)


def _read_asking(
    run: Callable[..., Any],
    data: bytes,
    *,
    name: str,
    kind: str,
    source: str,
    ask: PasswordProvider,
    max_attempts: int,
    parsers: Mapping[str, Parser] | None,
) -> list[ParsedReferral]:
    attempt = 0
    # An encrypted Office file needs a password for certain: ask before the first read,
    # which saves starting a process only to hear so. A PDF tells only once opened.
    asking = kind == "encrypted_office"
    password: str | None = None
    while True:
        if asking:
            attempt += 1
            password = ask(name, attempt)
            if password is None:
                raise PasswordRequired("No password was given, so the file was not opened.")
        try:
            referrals: list[ParsedReferral] = run(
                _parse_document, data, kind=kind, password=password, source=source, parsers=parsers
            )
            return referrals
        except (PasswordRequired, WrongPassword) as error:
            if attempt >= max_attempts:
                raise WrongPassword(
                    f"{error.message} Stopped after {max_attempts} attempts: check the "
                    "password with the sender (by phone or text message, not email)."
                ) from None
        asking = True


# --- a folder of files ------------------------------------------------------------


def _is_hidden(path: Path, info: os.stat_result) -> bool:
    hidden_flag = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0)
    return path.name.startswith(".") or bool(getattr(info, "st_file_attributes", 0) & hidden_flag)


def _is_temporary(name: str) -> bool:
    # "~$form.docx" is Word's lock file for an open "form.docx"; "~WRL0001.tmp" its scratch.
    return name.startswith("~") or name.lower().endswith((".tmp", ".part", ".crdownload"))


def iter_folder(path: Path) -> Iterator[Path]:
    """The files directly in folder ``path`` that may be referrals, sorted by name.

    Forms and emails (``IMPORTABLE_SUFFIXES``) only; hidden files, Word's
    ``~$`` lock files and other temporary files are left out, and sub-folders
    are not entered. Raises ``UnreadableFile`` if the folder cannot be read.
    """
    try:
        entries = sorted(path.iterdir(), key=lambda p: (p.name.lower(), p.name))
    except OSError as error:
        raise UnreadableFile(f"The folder {path} cannot be read ({error.strerror}).") from None
    for entry in entries:
        if entry.suffix.lower() not in IMPORTABLE_SUFFIXES or _is_temporary(entry.name):
            continue
        try:
            info = entry.stat()
        except OSError:
            continue  # removed or unreadable since the listing: nothing to import
        if stat.S_ISREG(info.st_mode) and not _is_hidden(entry, info):
            yield entry
