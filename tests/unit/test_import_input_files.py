"""Files chosen for import: anything but a plain file is refused before a byte is read."""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from cme_desktop.services.errors import HostileFile, UnreadableFile
from cme_desktop.services.importing.detect import MAX_FILE_BYTES
from cme_desktop.services.importing.read import iter_folder, read_input_file

POSIX = sys.platform != "win32"


def _within(seconds: float, work: Callable[[], object]) -> BaseException | object:
    """``work()``'s result or error, failing the test when it takes longer than ``seconds``
    (a pipe opened for reading waits for a writer for ever)."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # noqa: BLE001 - handed to the test to judge
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still reading after {seconds} s"
    return outcome[0]


def test_a_plain_file_is_read_whole(tmp_path: Path) -> None:
    form = tmp_path / "referral.docx"
    form.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    assert read_input_file(form) == form.read_bytes()


def test_a_file_larger_than_the_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.pdf"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(HostileFile, match="larger than"):
        read_input_file(big)


def test_a_missing_file_says_why(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="cannot be read"):
        read_input_file(tmp_path / "gone.docx")


def test_a_folder_is_not_read_as_a_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="This is a folder, not a file"):
        read_input_file(tmp_path)


@pytest.mark.skipif(not POSIX, reason="named pipes in the file system are POSIX's")
def test_a_pipe_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "referral.docx"
    os.mkfifo(fifo)
    error = _within(5, lambda: read_input_file(fifo))
    assert isinstance(error, UnreadableFile)
    assert error.message == (
        "This is a pipe (FIFO), not a file, so it was not read: choose the referral form or "
        "the email itself."
    )


@pytest.mark.skipif(not POSIX, reason="/dev/zero is POSIX's")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_before_reading(device: str, tmp_path: Path) -> None:
    error = _within(5, lambda: read_input_file(Path(device)))
    assert isinstance(error, UnreadableFile)
    assert "a device (like /dev/zero), not a file" in error.message
    # Through a link named like a form, too.
    link = tmp_path / "referral.pdf"
    link.symlink_to(device)
    error = _within(5, lambda: read_input_file(link))
    assert isinstance(error, UnreadableFile)


@pytest.mark.skipif(not POSIX, reason="Unix sockets in the file system are POSIX's")
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "referral.eml"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(UnreadableFile, match="This is a socket, not a file"):
            read_input_file(path)


@pytest.mark.skipif(not POSIX, reason="named pipes in the file system are POSIX's")
def test_a_folder_lists_a_pipe_named_like_a_form_so_that_it_is_refused_aloud(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.docx").write_bytes(b"PK\x03\x04")
    os.mkfifo(tmp_path / "b.docx")
    (tmp_path / "sub.docx").mkdir()
    (tmp_path / "c.txt").write_text("not a referral", "utf-8")
    assert [p.name for p in iter_folder(tmp_path)] == ["a.docx", "b.docx"]
