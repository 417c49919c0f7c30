"""Outlook ``.msg`` files built for the tests, with a small Compound File Binary writer.

``CompoundFile`` writes an OLE compound file ([MS-CFB], version 3): 512-byte
sectors, a FAT (and DIFAT sectors when the FAT outgrows the header), the
directory as balanced trees of siblings, and a mini stream of 64-byte sectors
for every stream under the 4096-byte cutoff.

``Message`` lays an Outlook message out in one ([MS-OXMSG]): string properties
as ``__substg1.0_`` streams (UTF-16LE, or 8-bit in the message's code page),
fixed-size ones in ``__properties_version1.0``, attachments in
``__attach_version1.0_#`` storages and forwarded Outlook items embedded under
``__substg1.0_3701000D``.

Nothing here is clever about space: the files are for tests, so every choice
is the plainest one the specifications allow.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "CompoundFile",
    "EmbeddedMessage",
    "FileAttachment",
    "Message",
    "directory_entries",
    "fat_entry_offset",
    "filetime",
]

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
DIFSECT = 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PER_SECTOR = SECTOR // 4  # sector numbers in one FAT sector
_HEADER_DIFAT = 109  # FAT sector numbers the header itself holds
_STORAGE, _STREAM, _ROOT = 1, 2, 5


@dataclass
class _Entry:
    name: str
    data: bytes | None = None  # None for a storage
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN


def _cfb_key(name: str) -> tuple[int, str]:
    # [MS-CFB] 2.6.4: siblings are ordered by name length first, then by upper-case name.
    return (len(name), name.upper())


class CompoundFile:
    """An OLE compound file assembled in memory: storages and streams by path."""

    def __init__(self) -> None:
        self.root = _Entry("Root Entry")

    def add_storage(self, path: str) -> None:
        self._storage(path.split("/"))

    def add_stream(self, path: str, data: bytes) -> None:
        *parents, name = path.split("/")
        storage = self._storage(parents) if parents else self.root
        if len(name) > 31:
            raise ValueError(f"an OLE name has at most 31 characters: {name}")
        storage.children[name.upper()] = _Entry(name, data=bytes(data))

    def _storage(self, names: list[str]) -> _Entry:
        entry = self.root
        for name in names:
            found = entry.children.get(name.upper())
            if found is None:
                found = entry.children[name.upper()] = _Entry(name)
            if found.data is not None:
                raise ValueError(f"{name} is a stream, not a storage")
            entry = found
        return entry

    def _entries(self) -> list[_Entry]:
        """Every entry, root first; a stack rather than recursion, so deep trees are fine."""
        ordered: list[_Entry] = []
        pending = [self.root]
        while pending:
            entry = pending.pop()
            entry.sid = len(ordered)
            ordered.append(entry)
            pending.extend(
                reversed(sorted(entry.children.values(), key=lambda e: _cfb_key(e.name)))
            )
        for entry in ordered:
            kids = sorted(entry.children.values(), key=lambda e: _cfb_key(e.name))
            entry.child = _balanced(kids)
        return ordered

    def to_bytes(self) -> bytes:
        entries = self._entries()
        streams = [e for e in entries if e.data is not None and e.sid != 0]
        small = [e for e in streams if e.data and len(e.data) < MINI_CUTOFF]
        large = [e for e in streams if e.data and len(e.data) >= MINI_CUTOFF]

        mini = bytearray()
        minifat: list[int] = []
        for entry in small:
            assert entry.data is not None
            count = -(-len(entry.data) // MINI_SECTOR)
            entry.start = len(minifat)
            minifat.extend(range(entry.start + 1, entry.start + count))
            minifat.append(ENDOFCHAIN)
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
        self.root.data = bytes(mini)

        # Sector runs in file order: each large stream, the mini stream, the mini FAT, the
        # directory; the FAT and DIFAT sectors come last, sized to cover everything.
        runs: list[tuple[_Entry | str, bytes]] = [(e, e.data or b"") for e in large]
        if mini:
            runs.append((self.root, bytes(mini)))
        minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
        if minifat_bytes:
            runs.append(("minifat", minifat_bytes))
        directory = bytearray()
        runs.append(("directory", b""))  # filled once every start sector is known

        directory_count = -(-len(entries) * 128 // SECTOR)
        sizes = [-(-len(data) // SECTOR) for _, data in runs[:-1]] + [directory_count]
        body = sum(sizes)
        fat_count, difat_count = 1, 0
        while True:
            difat_count = max(0, -(-(fat_count - _HEADER_DIFAT) // (_PER_SECTOR - 1)))
            needed = -(-(body + fat_count + difat_count) // _PER_SECTOR)
            if needed <= fat_count:
                break
            fat_count = needed

        fat: list[int] = []
        starts: dict[str, int] = {}
        for (owner, _), count in zip(runs, sizes, strict=True):
            start = len(fat)
            fat.extend(range(start + 1, start + count))
            fat.append(ENDOFCHAIN)
            if isinstance(owner, _Entry):
                owner.start = start
            else:
                starts[owner] = start
        fat_start = len(fat)
        fat.extend([FATSECT] * fat_count)
        difat_start = len(fat)
        fat.extend([DIFSECT] * difat_count)
        fat.extend([FREESECT] * (fat_count * _PER_SECTOR - len(fat)))

        for entry in entries:
            directory += _directory_entry(entry)
        directory += _empty_entry() * (directory_count * SECTOR // 128 - len(entries))

        out = bytearray()
        for (owner, data), count in zip(runs, sizes, strict=True):
            if owner == "directory":
                data = bytes(directory)
            # Unused mini FAT slots are free sectors, not "continues in sector 0".
            out += data.ljust(count * SECTOR, b"\xff" if owner == "minifat" else b"\0")
        out += struct.pack(f"<{len(fat)}I", *fat)
        fat_sectors = list(range(fat_start, fat_start + fat_count))
        rest = fat_sectors[_HEADER_DIFAT:]
        for number in range(difat_count):
            chunk = rest[number * (_PER_SECTOR - 1) : (number + 1) * (_PER_SECTOR - 1)]
            following = difat_start + number + 1 if number + 1 < difat_count else ENDOFCHAIN
            chunk += [FREESECT] * (_PER_SECTOR - 1 - len(chunk))
            out += struct.pack(f"<{_PER_SECTOR}I", *chunk, following)

        header_difat = fat_sectors[:_HEADER_DIFAT]
        header_difat += [FREESECT] * (_HEADER_DIFAT - len(header_difat))
        header = _MAGIC + bytes(16)
        header += struct.pack("<HHHHH6xII", 0x3E, 3, 0xFFFE, 9, 6, 0, fat_count)
        header += struct.pack(
            "<IIIIIII",
            starts["directory"],
            0,
            MINI_CUTOFF,
            starts.get("minifat", ENDOFCHAIN),
            len(minifat_bytes) // SECTOR + (1 if len(minifat_bytes) % SECTOR else 0),
            difat_start if difat_count else ENDOFCHAIN,
            difat_count,
        )
        header += struct.pack(f"<{_HEADER_DIFAT}I", *header_difat)
        assert len(header) == SECTOR
        return bytes(header + out)


def _balanced(kids: list[_Entry]) -> int:
    """Link ``kids`` (already in order) as a balanced tree; the root's sid."""
    if not kids:
        return NOSTREAM
    middle = len(kids) // 2
    top = kids[middle]
    top.left = _balanced(kids[:middle])
    top.right = _balanced(kids[middle + 1 :])
    return top.sid


def _directory_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le") + b"\0\0"
    kind = _ROOT if entry.sid == 0 else _STORAGE if entry.data is None else _STREAM
    size = len(entry.data) if entry.data is not None else 0
    start = entry.start if size else (ENDOFCHAIN if kind != _STORAGE else 0)
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(name), kind, 1, entry.left, entry.right, entry.child)
        + bytes(16 + 4 + 16)  # CLSID, state bits, creation and modification times
        + struct.pack("<IQ", start, size)
    )


def _empty_entry() -> bytes:
    return bytes(66) + struct.pack("<BBIII", 0, 0, NOSTREAM, NOSTREAM, NOSTREAM) + bytes(48)


# --- Outlook messages --------------------------------------------------------------------------


def filetime(moment: datetime) -> int:
    """A FILETIME: tenths of a microsecond since 1601 (UTC)."""
    delta = moment - datetime(1601, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


@dataclass
class FileAttachment:
    """A file attached by value (PidTagAttachMethod 1); ``data=None`` writes no data stream."""

    name: str | None
    data: bytes | None
    short_name: str | None = None
    display_name: str | None = None
    mime_type: str | None = None
    method: int | None = 1


@dataclass
class EmbeddedMessage:
    """An Outlook item attached to a message (PidTagAttachMethod 5)."""

    display_name: str | None
    message: Message


@dataclass
class Message:
    """An Outlook message to write as a ``.msg`` file.

    ``unicode`` writes strings as UTF-16LE (``001F``); otherwise as 8-bit
    (``001E``) in ``code_page`` (Windows-1252 if ``None``), which is also
    stored as PidTagMessageCodepage unless ``store_code_page`` is false.
    ``internet_code_page`` (PidTagInternetCodepage) and ``locale``
    (PidTagMessageLocaleId) are stored as given.
    """

    subject: str | None = None
    sender_name: str | None = None
    sender_smtp: str | None = None
    sender_email: str | None = None
    sender_address_type: str | None = None
    sent: datetime | None = None
    received: datetime | None = None
    unsent: bool = False
    body: str | None = None
    rtf_body: bytes | None = None
    headers: str | None = None
    message_class: str = "IPM.Note"
    attachments: list[FileAttachment | EmbeddedMessage] = field(default_factory=list)
    unicode: bool = True
    code_page: int | None = None
    store_code_page: bool = True
    internet_code_page: int | None = None
    locale: int | None = None

    def to_bytes(self) -> bytes:
        ole = CompoundFile()
        ole.add_storage("__nameid_version1.0")
        for stream in ("00020102", "00030102", "00040102"):
            ole.add_stream(f"__nameid_version1.0/__substg1.0_{stream}", b"")
        self.write_into(ole, "")
        return ole.to_bytes()

    def write_into(self, ole: CompoundFile, prefix: str, *, embedded: bool = False) -> None:
        """Write this message's streams under ``prefix`` (``""`` or ``".../"``)."""
        props: list[bytes] = []
        strings = {
            0x001A: self.message_class,
            0x0037: self.subject,
            0x0C1A: self.sender_name,
            0x5D01: self.sender_smtp,
            0x0C1F: self.sender_email,
            0x0C1E: self.sender_address_type,
            0x1000: self.body,
            0x007D: self.headers,
        }
        for pid, text in strings.items():
            if text is not None:
                props.append(self._string(ole, prefix, pid, text))
        if self.rtf_body is not None:
            props.append(_binary(ole, prefix, 0x1009, self.rtf_body))
        if self.sent is not None:
            props.append(_fixed(0x00390040, filetime(self.sent)))
        if self.received is not None:
            props.append(_fixed(0x0E060040, filetime(self.received)))
        props.append(_fixed(0x0E070003, 8 if self.unsent else 1))
        if self.unicode:
            props.append(_fixed(0x340D0003, 0x40000))  # PidTagStoreSupportMask: STORE_UNICODE_OK
        if self.code_page is not None and self.store_code_page:
            props.append(_fixed(0x3FFD0003, self.code_page))
        if self.internet_code_page is not None:
            props.append(_fixed(0x3FDE0003, self.internet_code_page))
        if self.locale is not None:
            props.append(_fixed(0x3FF10003, self.locale))  # PidTagMessageLocaleId
        count = len(self.attachments)
        header = struct.pack("<8xIIII", 0, count, 0, count) + (b"" if embedded else bytes(8))
        ole.add_stream(prefix + "__properties_version1.0", header + b"".join(props))
        for number, attachment in enumerate(self.attachments):
            self._attachment(ole, f"{prefix}__attach_version1.0_#{number:08X}", attachment, number)

    def _attachment(
        self, ole: CompoundFile, storage: str, item: FileAttachment | EmbeddedMessage, number: int
    ) -> None:
        ole.add_storage(storage)
        lead = storage + "/"
        props = [_fixed(0x0E210003, number)]  # PidTagAttachNumber
        if isinstance(item, EmbeddedMessage):
            props.append(_fixed(0x37050003, 5))
            if item.display_name is not None:
                props.append(self._string(ole, lead, 0x3001, item.display_name))
            inner = lead + "__substg1.0_3701000D"
            ole.add_storage(inner)
            item.message.write_into(ole, inner + "/", embedded=True)
        else:
            if item.method is not None:
                props.append(_fixed(0x37050003, item.method))
            names = {
                0x3707: item.name,
                0x3704: item.short_name,
                0x3001: item.display_name,
                0x370E: item.mime_type,
            }
            for pid, text in names.items():
                if text is not None:
                    props.append(self._string(ole, lead, pid, text))
            if item.data is not None:
                props.append(_binary(ole, lead, 0x3701, item.data))
        ole.add_stream(lead + "__properties_version1.0", bytes(8) + b"".join(props))

    def _string(self, ole: CompoundFile, prefix: str, pid: int, text: str) -> bytes:
        if self.unicode:
            kind, data, terminator = 0x001F, text.encode("utf-16-le"), 2
        else:
            kind, data, terminator = 0x001E, text.encode(_codec(self.code_page)), 1
        ole.add_stream(f"{prefix}__substg1.0_{pid:04X}{kind:04X}", data)
        return _variable(pid << 16 | kind, len(data) + terminator)


def _codec(code_page: int | None) -> str:
    return "cp1252" if code_page is None else {65001: "utf-8"}.get(code_page, f"cp{code_page}")


def _fixed(tag: int, value: int) -> bytes:
    """A fixed-size entry of a property stream ([MS-OXMSG] 2.4.2.1); readable and writable."""
    return struct.pack("<IIQ", tag, 0x6, value)


def _variable(tag: int, size: int) -> bytes:
    """A variable-size entry: the value is in its own stream, the entry holds its size."""
    return struct.pack("<IIII", tag, 0x6, size, 0)


def _binary(ole: CompoundFile, prefix: str, pid: int, data: bytes) -> bytes:
    ole.add_stream(f"{prefix}__substg1.0_{pid:04X}0102", data)
    return _variable(pid << 16 | 0x0102, len(data))


def fat_entry_offset(data: bytes, sector: int) -> int:
    """Where in ``data`` the FAT says what follows ``sector`` (FAT in the header's DIFAT)."""
    fat_sector: int = struct.unpack_from("<I", data, 76 + 4 * (sector // _PER_SECTOR))[0]
    return SECTOR * (fat_sector + 1) + 4 * (sector % _PER_SECTOR)


def directory_entries(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(sid, offset in ``data``, name) of each directory entry of a file written here.

    For tests that damage one entry on purpose (its size, its siblings): the
    directory is the chain of sectors the header starts.
    """
    sector = struct.unpack_from("<I", data, 48)[0]
    sid = 0
    while sector not in (ENDOFCHAIN, FREESECT):
        base = SECTOR * (sector + 1)
        for offset in range(base, base + SECTOR, 128):
            length = struct.unpack_from("<H", data, offset + 64)[0]
            if length >= 2:
                yield sid, offset, data[offset : offset + length - 2].decode("utf-16-le")
            sid += 1
        sector = struct.unpack_from("<I", data, fat_entry_offset(data, sector))[0]
