"""One writer at a time for the key slots file, across processes and threads.

The key file is read, changed and replaced by several hands: the window and a
``cme`` command at the same time, the audit anchor after each change, a wrong
passphrase typed somewhere. Each holds this lock from its read to its replace,
so none writes back a file that another has just changed (a passphrase change
is never undone by a late anchor update).

The lock is an OS lock on a small file beside the key file,
``<vault>.keys.lock``, which is never deleted (deleting a lock file lets two
holders in at once). It is released by the OS when the holder dies, so a
killed process never leaves the vault locked.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from cme_desktop.services.errors import VaultBusy

#: Seconds to wait for another holder before giving up with ``VaultBusy``.
WAIT_SECONDS = 15.0
_POLL = 0.02
_in_process = threading.RLock()
_held = threading.local()


def lock_path(slots_path: Path) -> Path:
    """The lock file that goes with a key slots file."""
    return slots_path.with_name(slots_path.name + ".lock")


@contextlib.contextmanager
def keyfile_lock(slots_path: Path, *, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the key file's lock while the block reads, changes and replaces the file.

    Where the lock file cannot even be created (a read-only folder), the key
    file cannot be replaced either, so the block runs without it.
    """
    path = lock_path(Path(slots_path)).resolve()
    held: dict[Path, int] = _held.__dict__.setdefault("paths", {})
    with _in_process:
        if held.get(path):
            # Already held by this thread (an anchor update inside a key file change): a
            # second OS lock from the same process would wait for itself.
            held[path] += 1
            try:
                yield
            finally:
                held[path] -= 1
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        except OSError:
            fd = -1
        try:
            if fd >= 0:
                _acquire(fd, wait)
            held[path] = 1
            try:
                yield
            finally:
                del held[path]
                if fd >= 0:
                    _release(fd)
        finally:
            if fd >= 0:
                os.close(fd)


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _release(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _acquire(fd: int, wait: float) -> None:
    deadline = time.monotonic() + wait
    while not _try_lock(fd):
        if time.monotonic() >= deadline:
            raise VaultBusy(
                "The vault's key file is being changed by another copy of CME Desktop; "
                "try again in a moment."
            )
        time.sleep(_POLL)
