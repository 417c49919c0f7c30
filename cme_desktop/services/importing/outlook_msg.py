"""Outlook messages (``.msg``) read from memory: subject, sender, dates, body and attachments.

A ``.msg`` is an OLE compound file ([MS-CFB]) laid out as [MS-OXMSG] says:
each string property is a stream named ``__substg1.0_`` + its id + its type
(``001F`` UTF-16LE, ``001E`` 8-bit in the message's code page), fixed-size
properties sit together in ``__properties_version1.0``, each attachment is a
``__attach_version1.0_#`` storage, and an Outlook item forwarded as an
attachment is a whole message under that attachment's
``__substg1.0_3701000D``. ``olefile`` reads the compound file; the rest is here.

Everything is read from the bytes given, never from a file on disk. A body
kept only as compressed RTF is not decoded: ``body`` is ``None`` and
``has_rtf_body`` says why.

A hostile file meets limits before it costs anything: the compound file's
structure is checked before ``olefile`` is trusted with it
(``compound_file.structure_problem``), no stream is read beyond what the file
can hold, nested messages are opened only ``max_depth`` deep, and attachments
are counted before any is read. Damage and limits surface as ``CorruptFile``
and ``HostileFile`` with a message an officer understands.
"""

from __future__ import annotations

import codecs
import io
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError
from email.header import decode_header
from email.parser import HeaderParser
from email.policy import compat32
from typing import Any, Final, Literal

import olefile

from cme_desktop.services.errors import CorruptFile, HostileFile
from cme_desktop.services.importing.compound_file import structure_problem

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_DEPTH",
    "MAX_MESSAGE_BYTES",
    "OutlookAttachment",
    "OutlookMessage",
    "read_outlook_message",
]

#: Largest ``.msg`` read at all (the import's limit for any one file).
MAX_MESSAGE_BYTES: Final = 50 * 1024 * 1024
#: How deep forwarded Outlook items are opened: 1 is an item attached to the message.
MAX_DEPTH: Final = 3
#: Attachments, at every level opened, before the message is refused.
MAX_ATTACHMENTS: Final = 50

_PROPERTIES: Final = "__properties_version1.0"
_ATTACHMENT_PREFIX: Final = "__attach_version1.0_#"
_EMBEDDED: Final = "__substg1.0_3701000D"
_RTF_BODY: Final = "__substg1.0_10090102"
_ATTACH_DATA: Final = "__substg1.0_37010102"
# The header before the 16-byte entries of a properties stream ([MS-OXMSG] 2.4.1).
_TOP_HEADER, _EMBEDDED_HEADER, _ATTACHMENT_HEADER = 32, 24, 8

# Property tags (id << 16 | type) read from a properties stream.
_CLIENT_SUBMIT_TIME: Final = 0x00390040
_DELIVERY_TIME: Final = 0x0E060040
_MESSAGE_FLAGS: Final = 0x0E070003
_MSGFLAG_UNSENT: Final = 0x8
_ATTACH_METHOD: Final = 0x37050003
_ATTACH_EMBEDDED_MESSAGE: Final = 5
_MESSAGE_CODEPAGE: Final = 0x3FFD0003
_MESSAGE_LOCALE: Final = 0x3FF10003
_INTERNET_CODEPAGE: Final = 0x3FDE0003

# String property ids.
_SUBJECT, _BODY, _HEADERS = 0x0037, 0x1000, 0x007D
_SENDER_NAME, _SENDER_SMTP, _SENDER_EMAIL = 0x0C1A, 0x5D01, 0x0C1F
_SENT_FOR_NAME, _SENT_FOR_SMTP, _SENT_FOR_EMAIL = 0x0042, 0x5D02, 0x0065
_DISPLAY_NAME, _LONG_FILENAME, _SHORT_FILENAME, _MIME_TAG = 0x3001, 0x3707, 0x3704, 0x370E

# 8-bit strings are in the Windows code page of the sender's locale: stored as such
# (PidTagMessageCodepage), else known from the locale (PidTagMessageLocaleId). The
# internet code page is the MIME body's, a last resort only (real files disagree with it).
_DEFAULT_CODEC: Final = "cp1252"
# Code pages by primary language (the low 10 bits of a Windows locale id)...
_LANGUAGE_CODE_PAGES: Final = {
    **dict.fromkeys((0x02, 0x19, 0x22, 0x23, 0x2F, 0x3F, 0x40, 0x44, 0x50), 1251),
    **dict.fromkeys((0x05, 0x0E, 0x15, 0x18, 0x1A, 0x1B, 0x1C, 0x24), 1250),
    **dict.fromkeys((0x01, 0x20, 0x29), 1256),
    **dict.fromkeys((0x25, 0x26, 0x27), 1257),
    **dict.fromkeys((0x1F, 0x2C, 0x43), 1254),
    0x04: 936,
    0x08: 1253,
    0x0D: 1255,
    0x11: 932,
    0x12: 949,
    0x1E: 874,
    0x2A: 1258,
}
# ...and by whole locale where a language is written in more than one script.
_LOCALE_CODE_PAGES: Final = {
    0x0404: 950,  # Chinese (Taiwan)
    0x0C04: 950,  # Chinese (Hong Kong)
    0x1404: 950,  # Chinese (Macao)
    0x0C1A: 1251,  # Serbian (Cyrillic)
    0x201A: 1251,  # Bosnian (Cyrillic)
    0x082C: 1251,  # Azerbaijani (Cyrillic)
    0x0843: 1251,  # Uzbek (Cyrillic)
}
_CODE_PAGE_CODECS: Final = {
    1200: "utf-16-le",
    1201: "utf-16-be",
    20127: "ascii",
    20866: "koi8-r",
    21866: "koi8-u",
    10000: "mac-roman",
    50220: "iso2022-jp",
    50221: "iso2022-jp",
    50222: "iso2022-jp",
    50225: "iso2022-kr",
    51932: "euc-jp",
    51949: "euc-kr",
    52936: "hz",
    54936: "gb18030",
    65001: "utf-8",
    **{28590 + n: f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 15)},
}
# FILETIMEs from the year 4500 on are Outlook's "no date".
_NO_DATE_FILETIME: Final = 915_000_000_000_000_000
_FILETIME_EPOCH: Final = datetime(1601, 1, 1, tzinfo=UTC)

# What olefile (and a damaged property) raise for a structure that does not add up.
_DAMAGE: Final[tuple[type[Exception], ...]] = (
    OSError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    struct.error,
)

_DAMAGED: Final = "The Outlook message (.msg) is damaged or incomplete and cannot be read."
_DAMAGED_ATTACHMENTS: Final = (
    "The Outlook message (.msg) has damaged attachments and cannot be read."
)
_OVERSIZED: Final = (
    "The Outlook message (.msg) claims to hold more data than its file can: it was not "
    "opened, as it may be damaged or built to cause harm."
)
_TOO_MANY_PARTS: Final = (
    "The Outlook message (.msg) is built of far more parts than a real email: it was not "
    "opened, as it may be damaged or built to cause harm."
)
_TOO_DEEP: Final = (
    "The Outlook message (.msg) is nested far deeper than a real email: it was not "
    "opened, as it may be damaged or built to cause harm."
)


@dataclass(frozen=True)
class OutlookAttachment:
    """One attachment of an Outlook message.

    ``kind`` is ``"file"`` (``data`` holds its bytes), ``"message"`` (an
    Outlook item: ``message`` holds it, or is ``None`` past ``max_depth``,
    where it was not opened), ``"signed"`` (``data`` holds the whole content
    of a message signed with S/MIME, its attachments included, as a MIME
    email: read it as an ``.eml``) or ``"other"`` (a link, an OLE object, an
    attachment without data: nothing to read). ``name`` is the long file
    name, else the short one; an Outlook item is named by its display name
    and ``.msg``. It is ``""`` when the message gives none.
    """

    name: str
    kind: Literal["file", "message", "signed", "other"]
    data: bytes | None = field(default=None, repr=False)
    message: OutlookMessage | None = None


@dataclass(frozen=True)
class OutlookMessage:
    """What an Outlook message says of itself.

    ``sender`` is the ``From`` of the internet headers Outlook kept, else the
    sender's name and address as ``Name <address>``; ``""`` when unknown.
    ``sent`` is the time the sender's Outlook submitted it (``None`` for a
    draft), ``received`` the time it was delivered. ``body`` is the plain-text
    body; ``None`` when there is none, and then ``has_rtf_body`` tells whether
    it was kept only as RTF.
    """

    subject: str
    sender: str
    sent: datetime | None
    received: datetime | None
    body: str | None = field(repr=False)
    has_rtf_body: bool
    attachments: tuple[OutlookAttachment, ...]


def read_outlook_message(
    data: bytes,
    *,
    max_depth: int = MAX_DEPTH,
    max_attachments: int = MAX_ATTACHMENTS,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> OutlookMessage:
    """The subject, sender, dates, body and attachments of a saved Outlook message.

    Forwarded Outlook items are read down to ``max_depth`` levels (0: none).
    Raises ``HostileFile`` for a file over ``max_bytes``, a message with more
    than ``max_attachments`` attachments (counted at every level opened), or
    one that claims more data or depth than a real message has; ``CorruptFile``
    for anything that is not a readable Outlook message.
    """
    if len(data) > max_bytes:
        raise HostileFile(
            f"The email is larger than {max_bytes // (1024 * 1024)} MB: far larger than "
            "an email with a referral form, so it was not opened."
        )
    try:
        problem = structure_problem(data)
        if problem == "too many entries":
            raise HostileFile(_TOO_MANY_PARTS)
        if problem == "damaged":
            raise CorruptFile(_DAMAGED)
        # Strict: entries referenced twice, chains that end early and streams longer
        # than the FAT are damage, not something to read around.
        with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
            root: Any = ole.root
            # The mini stream is read whole when the first small stream is opened.
            if int(root.size) > len(data):
                raise HostileFile(_OVERSIZED)
            if _PROPERTIES.lower() not in root.kids_dict:
                raise CorruptFile(
                    "The file is not an Outlook message (.msg), or it is damaged: "
                    "it cannot be read."
                )
            reader = _Reader(ole, file_size=len(data), max_attachments=max_attachments)
            return reader.message(
                _Storage(root, ()), header=_TOP_HEADER, depth=max_depth, codec=None
            )
    except RecursionError as error:
        # olefile walks storages recursively: only a file nested absurdly deep gets here.
        raise HostileFile(_TOO_DEEP) from error
    except _DAMAGE as error:
        raise CorruptFile(_DAMAGED) from error


@dataclass(frozen=True)
class _Storage:
    """A storage of the compound file and its path from the root."""

    entry: Any
    path: tuple[str, ...]

    def child(self, name: str) -> Any:
        return self.entry.kids_dict.get(name.lower())

    def has_stream(self, name: str) -> bool:
        entry = self.child(name)
        return entry is not None and entry.entry_type == olefile.STGTY_STREAM

    def substorage(self, name: str) -> _Storage | None:
        entry = self.child(name)
        if entry is None or entry.entry_type != olefile.STGTY_STORAGE:
            return None
        return _Storage(entry, (*self.path, str(entry.name)))


class _Reader:
    """Reads messages out of one open compound file, keeping the limits across levels."""

    def __init__(self, ole: Any, *, file_size: int, max_attachments: int) -> None:
        self.ole = ole
        self.file_size = file_size
        # A real file's streams do not overlap, so together they fit in the file: more
        # means streams built to share sectors, read again and again.
        self.budget = file_size
        self.max_attachments = max_attachments
        self.attachments = 0

    def stream(self, storage: _Storage, name: str) -> bytes | None:
        entry = storage.child(name)
        if entry is None or entry.entry_type != olefile.STGTY_STREAM:
            return None
        size = int(entry.size)
        if size > self.file_size:
            raise ValueError(f"stream {name} is larger than the whole file")
        if size > self.budget:
            raise HostileFile(_OVERSIZED)
        self.budget -= size
        data = self.ole.openstream([*storage.path, str(entry.name)]).read()
        if not isinstance(data, bytes) or len(data) != size:
            raise ValueError(f"stream {name} is shorter than its directory entry says")
        return data

    def properties(self, storage: _Storage, header: int) -> dict[int, bytes]:
        """The 8-byte values of a properties stream, by tag; variable-size ones hold a size."""
        raw = self.stream(storage, _PROPERTIES) or b""
        return {
            int.from_bytes(raw[offset : offset + 4], "little"): raw[offset + 8 : offset + 16]
            for offset in range(header, len(raw) - 15, 16)
        }

    def text(self, storage: _Storage, pid: int, codec: str) -> str | None:
        unicode = self.stream(storage, f"__substg1.0_{pid:04X}001F")
        if unicode is not None:
            return unicode.decode("utf-16-le", errors="replace").rstrip("\0")
        narrow = self.stream(storage, f"__substg1.0_{pid:04X}001E")
        if narrow is not None:
            return narrow.decode(codec, errors="replace").rstrip("\0")
        return None

    def message(
        self, storage: _Storage, *, header: int, depth: int, codec: str | None
    ) -> OutlookMessage:
        props = self.properties(storage, header)
        codec = _codec(props) or codec or _DEFAULT_CODEC
        flags = _int32(props, _MESSAGE_FLAGS) or 0
        body = self.text(storage, _BODY, codec)
        return OutlookMessage(
            subject=self.text(storage, _SUBJECT, codec) or "",
            sender=self.sender(storage, codec),
            sent=None if flags & _MSGFLAG_UNSENT else _filetime(props, _CLIENT_SUBMIT_TIME),
            received=_filetime(props, _DELIVERY_TIME),
            body=body,
            has_rtf_body=body is None and storage.has_stream(_RTF_BODY),
            attachments=self.attachments_of(storage, depth=depth, codec=codec),
        )

    def sender(self, storage: _Storage, codec: str) -> str:
        headers = self.text(storage, _HEADERS, codec)
        from_header = _from_header(headers) if headers else ""
        if from_header:
            return from_header
        name = self.text(storage, _SENDER_NAME, codec) or self.text(storage, _SENT_FOR_NAME, codec)
        address = (
            self.text(storage, _SENDER_SMTP, codec)
            or _smtp(self.text(storage, _SENDER_EMAIL, codec))
            or self.text(storage, _SENT_FOR_SMTP, codec)
            or _smtp(self.text(storage, _SENT_FOR_EMAIL, codec))
        )
        if name and address and name != address:
            return f"{name} <{address}>"
        return name or address or ""

    def attachments_of(
        self, storage: _Storage, *, depth: int, codec: str
    ) -> tuple[OutlookAttachment, ...]:
        # Counted before any is read: a message of thousands costs nothing to refuse.
        storages = sorted(
            (
                _Storage(kid, (*storage.path, str(kid.name)))
                for kid in storage.entry.kids
                if kid.entry_type == olefile.STGTY_STORAGE
                and str(kid.name).lower().startswith(_ATTACHMENT_PREFIX)
            ),
            key=lambda found: found.path[-1].upper(),
        )
        self.attachments += len(storages)
        if self.attachments > self.max_attachments:
            raise HostileFile(
                f"The email has more than {self.max_attachments} attachments: too many to "
                "open safely. Ask the sender to send the referral form on its own."
            )
        items: list[OutlookAttachment] = []
        for attachment in storages:
            try:
                items.append(self.attachment(attachment, depth=depth, codec=codec))
            except _DAMAGE as error:
                raise CorruptFile(_DAMAGED_ATTACHMENTS) from error
        return tuple(items)

    def attachment(self, storage: _Storage, *, depth: int, codec: str) -> OutlookAttachment:
        props = self.properties(storage, _ATTACHMENT_HEADER)
        method = _int32(props, _ATTACH_METHOD)
        name = self.text(storage, _LONG_FILENAME, codec) or self.text(
            storage, _SHORT_FILENAME, codec
        )
        # The data stream decides before the method does, as Outlook's own readers do.
        if storage.has_stream(_ATTACH_DATA):
            # A clear-signed message ([MS-OXOSMIME]) keeps its real content here, as MIME.
            mime = (self.text(storage, _MIME_TAG, codec) or "").strip().lower()
            return OutlookAttachment(
                name=name or "",
                kind="signed" if mime == "multipart/signed" else "file",
                data=self.stream(storage, _ATTACH_DATA),
            )
        inner = storage.substorage(_EMBEDDED)
        is_message = inner is not None and (
            method == _ATTACH_EMBEDDED_MESSAGE or (method is None and inner.has_stream(_PROPERTIES))
        )
        if inner is None or not is_message:
            return OutlookAttachment(name=name or "", kind="other")
        display = self.text(storage, _DISPLAY_NAME, codec)
        title = f"{display}.msg" if display else (name or "")
        if depth <= 0:
            return OutlookAttachment(name=title, kind="message")
        message = self.message(inner, header=_EMBEDDED_HEADER, depth=depth - 1, codec=codec)
        return OutlookAttachment(name=title, kind="message", message=message)


def _int32(props: dict[int, bytes], tag: int) -> int | None:
    value = props.get(tag)
    return int.from_bytes(value[:4], "little") if value and len(value) >= 4 else None


def _filetime(props: dict[int, bytes], tag: int) -> datetime | None:
    value = props.get(tag)
    if value is None or len(value) != 8:
        return None
    ticks = int.from_bytes(value, "little")
    if ticks == 0 or ticks >= _NO_DATE_FILETIME:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=(ticks + 5) // 10)


def _codec(props: dict[int, bytes]) -> str | None:
    """The Python codec of the message's 8-bit strings, if it names a code page we know."""
    locale = _int32(props, _MESSAGE_LOCALE)
    candidates = (
        _int32(props, _MESSAGE_CODEPAGE),
        None if locale is None else _locale_code_page(locale & 0xFFFF),
        _int32(props, _INTERNET_CODEPAGE),
    )
    for code_page in candidates:
        if code_page is None:
            continue
        name = _CODE_PAGE_CODECS.get(code_page, f"cp{code_page}")
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def _locale_code_page(locale: int) -> int:
    return _LOCALE_CODE_PAGES.get(locale) or _LANGUAGE_CODE_PAGES.get(locale & 0x3FF, 1252)


def _smtp(address: str | None) -> str | None:
    # An Exchange sender's address is an X.500 path ("/O=.../CN=..."), not one to show.
    return address if address and "@" in address and not address.startswith("/") else None


def _from_header(headers: str) -> str:
    """The decoded ``From`` of the internet headers Outlook kept with a received message."""
    if headers.startswith("Microsoft Mail Internet Headers Version 2.0"):
        headers = headers[len("Microsoft Mail Internet Headers Version 2.0") :].lstrip()
    found = HeaderParser(policy=compat32).parsestr(headers, headersonly=True).get("From")
    if found is None:
        return ""
    value = str(found).replace("\r\n", "")
    try:
        chunks = decode_header(value)
    except HeaderParseError:  # a broken encoded word: shown as written
        return value
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
            continue
        try:
            # Unencoded runs come back as raw-unicode-escape bytes: undone the same way.
            parts.append(chunk.decode(charset or "raw-unicode-escape", errors="replace"))
        except LookupError:  # a charset Python does not know
            parts.append(chunk.decode("latin-1"))
    return "".join(parts)
