"""Folders and files the vault creates are the account's own, whatever the umask.

A folder the program makes (the vault's folder, ``backups/``) is 0700, and a
file that will hold the vault's pages (the database, a backup being written)
is created 0600 before the first byte goes in, so that no other account can
read even the ciphertext while it is being written. On Windows the user's
data folder is already private to the account, and these are no-ops there.
"""

from __future__ import annotations

import os
from pathlib import Path

from cme_desktop.services.errors import OutputError

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each 0700; existing folders are left alone.

    A folder the officer chose and made themselves (a backup folder on a share)
    keeps its own permissions: only the folders made here are restricted.
    """
    folder = Path(folder)
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        for path in reversed(missing):
            try:
                path.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                continue  # made meanwhile by another process: it chose the mode
            if os.name == "posix":
                # mkdir's mode is filtered through the umask; chmod is not.
                path.chmod(FOLDER_MODE)
    except OSError as exc:
        raise OutputError(f"The folder {folder} cannot be created: {exc.strerror or exc}.") from exc
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder.")


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600, replacing a leftover of an interrupted write.

    SQLite then writes into this file (and gives its journal the same mode)
    instead of creating one with its default 0644.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        raise OutputError(f"Cannot write {path.name}: {exc.strerror or exc}.") from exc
    try:
        if os.name == "posix":
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def owner_only(*paths: Path) -> None:
    """Make existing files 0600 (POSIX): other accounts cannot read even the ciphertext."""
    if os.name != "posix":
        return
    for path in paths:
        if path.exists():
            path.chmod(FILE_MODE)
