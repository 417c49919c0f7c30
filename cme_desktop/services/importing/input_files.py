"""The files an officer chooses to import: read safely, and the ones in a folder.

``read_input_file`` is the one way a chosen file is read (``cme import``, the
window's Import and a folder or files dropped on it): anything that is not a
plain file is refused before a byte is read, and no more than
``MAX_FILE_BYTES`` is ever read. ``iter_folder`` lists a folder's files worth
trying. Imported by the sandbox's child through ``read``, so standard library only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from cme_desktop.services.errors import HostileFile, UnreadableFile
from cme_desktop.services.importing.detect import MAX_FILE_BYTES

__all__ = ["IMPORTABLE_SUFFIXES", "iter_folder", "read_input_file", "too_large"]

#: What ``iter_folder`` offers; other files in a folder are left alone.
IMPORTABLE_SUFFIXES: Final = frozenset({".docx", ".docm", ".pdf", ".eml", ".msg"})

# --- files chosen by the officer ---------------------------------------------------

_SPECIAL_FILES: Final = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISCHR, "a device (like /dev/zero)"),
    (stat.S_ISBLK, "a disk device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a plain file")
    raise UnreadableFile(
        f"This is {what}, not a file, so it was not read: choose the referral form or "
        "the email itself."
    )


def too_large() -> HostileFile:
    """The error for a file past ``MAX_FILE_BYTES``."""
    return HostileFile(
        f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: far larger than "
        "any referral form, so it was not opened."
    )


def read_input_file(path: Path) -> bytes:
    """The bytes of a file the officer chose to import: a plain file, read in full.

    A pipe would wait for a writer for ever, ``/dev/zero`` never ends and a
    device or socket is no document, so each is refused with ``UnreadableFile``
    before a byte is read (a link is followed, and what it leads to is judged).
    A file larger than ``MAX_FILE_BYTES`` raises ``HostileFile``; an unreadable
    one, ``UnreadableFile`` with the system's reason.
    """
    try:
        _refuse_special(os.stat(path).st_mode)
        # O_NONBLOCK: a file swapped for a pipe since the check cannot make the open wait;
        # the descriptor is checked again, and no more than the limit is ever read.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as file:
            info = os.fstat(file.fileno())
            _refuse_special(info.st_mode)
            if info.st_size > MAX_FILE_BYTES:
                raise too_large()
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableFile(f"The file cannot be read ({error.strerror}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise too_large()
    return data


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
    are not entered. A pipe or device named like a form is listed, so that
    ``read_input_file`` refuses it with its reason rather than it being passed
    over in silence. Raises ``UnreadableFile`` if the folder cannot be read.
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
        if not stat.S_ISDIR(info.st_mode) and not _is_hidden(entry, info):
            yield entry
