"""Crash safety: writers killed with SIGKILL at random moments lose nothing they reported.

A child process (``crash_writer.py``) changes a real vault in a loop and prints each
change after its commit. The test kills it many times at random moments — while it
unlocks, in the middle of a transaction, between two — and then checks that every
change it reported is there, that SQLite's and SQLCipher's integrity checks pass,
that the search index matches the cases and that the audit chain verifies.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select

from cme_desktop.models import AuditEvent, Case, TimelineEntry
from cme_desktop.services.errors import WrongPassphrase
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.keyslots import read_slots
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

SCRIPT = Path(__file__).parents[1] / "support" / "crash_writer.py"
ROOT = Path(__file__).resolve().parents[2]
SECOND_PASSPHRASE = "second passphrase for rekeying"
FORKED_KILLS = 25
COLD_KILLS = 1
REKEY_KILLS = 10
SEED = int.from_bytes(os.urandom(4), "big")


class Lines:
    """The lines a child prints, read by a thread so that the test can wait with a timeout."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self._queue.put(raw.decode("ascii").rstrip("\n"))
        self._queue.put(None)

    def next(self, timeout: float = 20.0) -> str | None:
        return self._queue.get(timeout=timeout)


@dataclass
class Reported:
    cases: set[int] = field(default_factory=set)
    notes: set[tuple[int, int]] = field(default_factory=set)
    kills: int = 0

    def take(self, line: str) -> bool:
        """Record a writer's line; False for a line that is not one of them."""
        word, *rest = line.split()
        if word == "case":
            self.cases.add(int(rest[0]))
        elif word == "note":
            self.notes.add((int(rest[0]), int(rest[1])))
        else:
            return False
        return True


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    vault = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT)
    created = vault.create(PASSPHRASE, actor="Test Officer")
    created.db.close()
    (tmp_path / "recovery.txt").write_text(created.recovery_key, "ascii")
    return vault


@pytest.fixture
def server(vault: Vault) -> Iterator[tuple[subprocess.Popen[bytes], Lines]]:
    proc = _spawn("serve", str(vault.path))
    assert proc.stdout is not None
    lines = Lines(proc.stdout)
    assert lines.next(timeout=60) == "ready", _failure(proc, None)
    yield proc, lines
    if proc.poll() is None:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _kill_forked_writer(
    proc: subprocess.Popen[bytes],
    lines: Lines,
    mode: str,
    delay: float,
    reported: Reported,
    *,
    after_first: bool,
) -> list[str]:
    """Start one forked writer, kill it after ``delay``; the lines it printed."""
    assert proc.stdin is not None
    proc.stdin.write(f"{mode}\n".encode())
    proc.stdin.flush()
    first = lines.next()
    assert first is not None and first.startswith("pid "), first
    pid = int(first.split()[1])
    printed: list[str] = []
    if after_first:  # let it start writing, then kill it mid-loop
        line = lines.next()
        assert line is not None and not line.startswith("exit"), _failure(proc, line)
        printed.append(line)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    while True:
        line = lines.next()
        assert line is not None, _failure(proc, line)
        if line.startswith("exit "):
            _, gone, status = line.split()
            assert int(gone) == pid
            assert os.WIFSIGNALED(int(status)), _failure(proc, line)
            assert os.WTERMSIG(int(status)) == signal.SIGKILL
            break
        printed.append(line)
    reported.kills += 1
    return printed


def _failure(proc: subprocess.Popen[bytes], line: str | None) -> str:
    if proc.poll() is not None and proc.stderr is not None:
        return f"writer ended ({line!r}): {proc.stderr.read().decode(errors='replace')}"
    return f"unexpected line {line!r} (seed {SEED})"


def test_killed_case_writers_lose_nothing(
    vault: Vault, server: tuple[subprocess.Popen[bytes], Lines]
) -> None:
    rng = random.Random(SEED)
    proc, lines = server
    reported = Reported()
    started = time.monotonic()
    for n in range(FORKED_KILLS):
        # Half the kills land at any moment from the start (often while unlocking);
        # the other half once the writer is busy writing.
        after_first = n % 2 == 1
        delay = rng.uniform(0.0, 0.2) if after_first else rng.uniform(0.0, 0.5)
        for line in _kill_forked_writer(
            proc, lines, "cases", delay, reported, after_first=after_first
        ):
            assert reported.take(line), line

    # And a writer started from cold, as a real process start, killed mid-loop.
    for _ in range(COLD_KILLS):
        cold = _spawn("cases", str(vault.path))
        assert cold.stdout is not None
        cold_lines = Lines(cold.stdout)
        first = cold_lines.next(timeout=60)
        assert first is not None, _failure(cold, first)
        reported.take(first)
        time.sleep(rng.uniform(0.0, 0.1))
        cold.kill()
        assert cold.wait(timeout=10) == -signal.SIGKILL
        while (line := cold_lines.next()) is not None:
            assert reported.take(line), line
        reported.kills += 1
    elapsed = time.monotonic() - started

    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        with db.read() as session:
            present = set(session.scalars(select(Case.id)))
            notes = {
                (r[0], r[1])
                for r in session.execute(select(TimelineEntry.case_id, TimelineEntry.id))
            }
            created_events = session.scalar(
                select(func.count()).where(AuditEvent.action == "case_created")
            )
            note_events = session.scalar(
                select(func.count()).where(AuditEvent.action == "timeline_note")
            )
            chain = audit.verify(session, db.audit_key)
        lost = reported.cases - present
        lost_notes = reported.notes - notes
        print(
            f"\ncrash safety (seed {SEED}): {reported.kills} kills in {elapsed:.1f} s, "
            f"{len(reported.cases)} cases reported committed, {len(present)} in the vault, "
            f"{len(reported.notes)} notes reported, lost {len(lost)} cases, "
            f"{len(lost_notes)} notes"
        )
        assert reported.kills == FORKED_KILLS + COLD_KILLS
        assert len(reported.cases) >= FORKED_KILLS, "the writers got to write"
        assert lost == set(), f"seed {SEED}"
        assert lost_notes == set(), f"seed {SEED}"
        # Every change was committed with its audit row, or not at all.
        assert created_events == len(present)
        assert note_events == len(notes)
        assert chain.ok, chain.problem

        assert db.integrity_problems() == []
        conn = db.open_other(db.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
            # The search index holds exactly the cases (an error here means it drifted).
            conn.execute("INSERT INTO case_search(case_search) VALUES ('integrity-check')")
        finally:
            conn.close()
    finally:
        db.close()


def test_a_killed_passphrase_change_leaves_a_readable_key_file(
    vault: Vault, server: tuple[subprocess.Popen[bytes], Lines]
) -> None:
    rng = random.Random(SEED)
    proc, lines = server
    reported = Reported()
    rekeys = 0
    for n in range(REKEY_KILLS):
        after_first = n % 2 == 1
        delay = rng.uniform(0.0, 0.1) if after_first else rng.uniform(0.0, 0.4)
        printed = _kill_forked_writer(
            proc, lines, "rekey", delay, reported, after_first=after_first
        )
        rekeys += sum(1 for line in printed if line.startswith("rekey "))
        read_slots(vault.slots_path)  # never KeyFileDamaged
        opens = []
        for passphrase in (PASSPHRASE, SECOND_PASSPHRASE):
            try:
                vault.unlock(passphrase).close()
                opens.append(passphrase)
            except WrongPassphrase:
                continue
        assert len(opens) == 1, f"seed {SEED}: exactly one passphrase opens the vault"
    assert rekeys >= REKEY_KILLS, "the writers got to change the passphrase"
    print(f"\npassphrase changes (seed {SEED}): {reported.kills} kills, {rekeys} changes reported")
    recovery = (vault.path.parent / "recovery.txt").read_text("ascii")
    db = vault.unlock_with_recovery_key(recovery)
    try:
        with db.read() as session:
            assert audit.verify(session, db.audit_key).ok
        assert db.integrity_problems() == []
        # Killed writes left their temp files; the next good write clears them.
        vault.change_passphrase(db, PASSPHRASE)
    finally:
        db.close()
    assert not list(vault.path.parent.glob(".cases.cme.keys.*.tmp"))
    vault.unlock(PASSPHRASE).close()
