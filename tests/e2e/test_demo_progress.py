"""``cme demo`` says how far it has got on stderr: a line rewritten in place on a terminal,
a few plain lines in a log or a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tty
from pathlib import Path

import pytest

PASSPHRASE = "a passphrase for the demo progress"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CME_")}
    env["CME_PASSPHRASE"] = PASSPHRASE
    return env


def _cme(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cme_desktop.cli.main", *args],
        stdin=subprocess.DEVNULL,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-progress") / "cases.cme"
    made = _cme("--db", str(path), "init", capture_output=True)
    assert made.returncode == 0, made.stderr
    return path


def test_in_a_pipe_the_progress_is_a_few_plain_lines_on_stderr(vault: Path) -> None:
    run = _cme("--db", str(vault), "demo", "--cases", "50", capture_output=True)

    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Added 50 synthetic cases")
    assert "Creating demo cases" not in run.stdout  # stdout stays for results
    assert run.stderr.splitlines() == [
        "Creating demo cases: 0 of 50",
        "Creating demo cases: 50 of 50",
    ]
    assert "\r" not in run.stderr


def test_on_a_terminal_the_line_is_rewritten_in_place(vault: Path) -> None:
    leader, follower = pty.openpty()
    tty.setraw(follower)  # no "\n" to "\r\n" translation: the bytes as written
    try:
        run = _cme(
            "--db", str(vault), "demo", "--cases", "50", stdout=subprocess.PIPE, stderr=follower
        )
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)

    assert run.returncode == 0
    text = seen.decode()
    assert text == "\rCreating demo cases: 0 of 50\rCreating demo cases: 50 of 50\n"
