"""Messages and attachments dragged straight out of Outlook, read from the drop in memory.

A message dragged from Outlook's message list (or an attachment dragged from a
message) is not a file: Windows hands over a ``FileGroupDescriptorW`` (how many
items, and each one's file name) and ``FileContents`` (each item's bytes). Qt
shows them as custom formats::

    application/x-qt-windows-mime;value="FileGroupDescriptorW"
    application/x-qt-windows-mime;value="FileContents"

``FILEGROUPDESCRIPTORW`` is a little-endian ``UINT`` count followed by that many
``FILEDESCRIPTORW`` records of 592 bytes; each record's file name is UTF-16 at
offset 72 (260 characters, ending at the first NUL).

Each item's bytes are asked for by its index (``lindex``). Qt passes an index
written into the format name (``...value="FileContents";index=1``) through to
Windows, and asks with no index (-1) otherwise; for -1 Outlook gives the first
item. So every item is read by its index, the first falling back to the plain
format. Where the source gives nothing for an index (an older Qt, another
program), the items read are imported and the officer is told to drag the
others one at a time (``DroppedMessages.left_out``).

Nothing is written to disk: the bytes go to the import as they are.
What cannot be checked off Windows: the formats Outlook really offers on a
given version, and that it answers an index; the tests build drops of the same
shape by hand.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from PySide6.QtCore import QMimeData

from cme_desktop.services.errors import UnreadableFile

_PREFIX = 'application/x-qt-windows-mime;value="'
DESCRIPTOR_FORMAT = _PREFIX + 'FileGroupDescriptorW"'
CONTENTS_FORMAT = _PREFIX + 'FileContents"'
RECORD_SIZE = 592
NAME_OFFSET = 72
NAME_CHARS = 260
MAX_ITEMS = 200  # more than any officer drags at once; a larger count is a damaged descriptor


@dataclass(frozen=True)
class Dropped:
    """One file dropped from memory: its name and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class DroppedMessages:
    """What a drop from Outlook gave: the items read, and the names of those that were not."""

    items: tuple[Dropped, ...]
    left_out: tuple[str, ...] = ()


def contents_format(index: int) -> str:
    """The format name that asks Windows (through Qt) for item ``index``'s bytes."""
    return f"{CONTENTS_FORMAT};index={index}"


def _safe_name(raw: str, number: int) -> str:
    # Names may carry a folder ("Inbox\\message.msg") or characters no file may hold;
    # only the last part is kept, and it is only ever shown and used for its extension.
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(c for c in name if c.isprintable())
    return name or f"dropped item {number}"


def read_descriptor(data: bytes) -> list[str]:
    """The file names a ``FILEGROUPDESCRIPTORW`` lists; ``UnreadableFile`` when it is damaged."""
    if len(data) < 4:
        raise UnreadableFile("The dragged message could not be read (its description is empty).")
    (count,) = struct.unpack_from("<I", data, 0)
    if count == 0:
        raise UnreadableFile("Nothing was dragged from Outlook: drag the message itself.")
    if count > MAX_ITEMS or len(data) < 4 + count * RECORD_SIZE:
        raise UnreadableFile(
            "The dragged message could not be read (its description is damaged). "
            "Save it from Outlook (File > Save As) and import the saved file."
        )
    names: list[str] = []
    for number in range(count):
        start = 4 + number * RECORD_SIZE + NAME_OFFSET
        raw = data[start : start + NAME_CHARS * 2]
        name = raw.decode("utf-16-le", errors="replace").split("\x00", 1)[0]
        names.append(_safe_name(name, number + 1))
    return names


def is_outlook_drop(mime: QMimeData | None) -> bool:
    """True when the drag carries Outlook's messages or attachments rather than files."""
    return mime is not None and mime.hasFormat(DESCRIPTOR_FORMAT)


def _contents(mime: QMimeData, index: int) -> bytes:
    data = bytes(mime.data(contents_format(index)).data())
    if not data and index == 0:
        data = bytes(mime.data(CONTENTS_FORMAT).data())
    return data


def read_drop(mime: QMimeData) -> DroppedMessages:
    """The messages (or attachments) of a drop from Outlook, each with its name and bytes.

    Raises ``UnreadableFile`` when the drop names nothing, or none of its items' bytes
    came with it. (The size of each item is checked where it is opened, as a file's is.)
    """
    names = read_descriptor(bytes(mime.data(DESCRIPTOR_FORMAT).data()))
    items: list[Dropped] = []
    left_out: list[str] = []
    for index, name in enumerate(names):
        data = _contents(mime, index)
        if data:
            items.append(Dropped(name, data))
        else:
            left_out.append(name)
    if not items:
        raise UnreadableFile(
            f"Outlook did not hand over “{names[0]}”. Drag it again, or save it from "
            "Outlook (File > Save As) and import the saved file."
        )
    return DroppedMessages(tuple(items), tuple(left_out))


__all__ = [
    "CONTENTS_FORMAT",
    "DESCRIPTOR_FORMAT",
    "Dropped",
    "DroppedMessages",
    "contents_format",
    "is_outlook_drop",
    "read_descriptor",
    "read_drop",
]
