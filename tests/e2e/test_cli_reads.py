"""The ``cme`` command's reads: audited without names, slowed after wrong passphrases, patient
with a vault another program is writing to, within a bound."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import select

from cme_desktop.cli import common
from cme_desktop.cli import main as cli
from cme_desktop.models import Address, Carer, Case
from cme_desktop.services.cases import demo
from cme_desktop.services.errors import VaultBusy
from cme_desktop.services.vault.unlock import Vault, unlock_delay_seconds
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

WRITER = """
import sys, time
import sqlcipher3.dbapi2 as sqlcipher
path, hold = sys.argv[1], float(sys.argv[2])
key = sys.stdin.readline().strip()
conn = sqlcipher.connect(path, isolation_level=None)
conn.execute(f"PRAGMA key = \\"x'{key}'\\"")
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(hold)
conn.execute("ROLLBACK")
conn.close()
"""


@dataclass(frozen=True)
class Made:
    path: Path
    key: bytes


@pytest.fixture
def made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Made:
    path = tmp_path / "cases.cme"
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    demo.fill(created.db, cases=30, seed=9)
    key = bytes(created.db.key)
    created.db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return Made(path, key)


def _cme(made: Made, *args: str) -> int:
    return cli.main(["--db", str(made.path), *args])


def _raw(made: Made) -> sqlcipher.Connection:
    """The database read directly, so that looking writes no audit row of its own."""
    conn = sqlcipher.connect(str(made.path))
    conn.execute(f"PRAGMA key = \"x'{made.key.hex()}'\"")
    return conn


def _audit_rows(made: Made) -> list[tuple[str, ...]]:
    conn = _raw(made)
    try:
        rows = conn.execute(
            "SELECT actor, action, entity, coalesce(entity_id, ''), detail "
            "FROM audit_log ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    return [tuple(str(v) for v in row) for row in rows]


def _words_that_name_people(made: Made) -> set[str]:
    """Every part of every child's and carer's name, and the addresses, from the vault."""
    db = Vault(made.path).unlock(PASSPHRASE)
    try:
        with db.read() as session:
            texts = [
                *session.scalars(select(Case.full_name)),
                *session.scalars(select(Case.aka)),
                *session.scalars(select(Carer.name)),
                *session.scalars(select(Address.address)),
            ]
    finally:
        db.close()
    return {w.casefold() for t in texts for w in t.replace(",", " ").split() if len(w) > 3}


def _assert_no_names(made: Made, rows: list[tuple[str, ...]]) -> None:
    words = _words_that_name_people(made)
    for row in rows:
        for column in row:
            found = {w for w in column.casefold().replace(";", " ").split() if w in words}
            assert not found, (row, found)


# --- reads with names are audited ------------------------------------------------------------


def test_cme_list_writes_a_read_row_without_names(
    made: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(_audit_rows(made))
    assert _cme(made, "list") == 0
    shown = capsys.readouterr().out.strip().splitlines()
    assert len(shown) == 30
    rows = _audit_rows(made)
    assert [r[1] for r in rows[before:]] == ["unlock", "list_read"]
    actor, action, entity, entity_id, detail = rows[-1]
    assert (action, entity, entity_id) == ("list_read", "case_list", "")
    assert detail == "output=text;filter=all;step=any;search=no;shown=30"
    _assert_no_names(made, rows)
    assert _cme(made, "audit", "verify") == 0
    assert "hash chain verified" in capsys.readouterr().out


def test_cme_list_json_with_a_search_records_that_a_search_was_used_not_what(
    made: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(made, "list", "--json") == 0
    everyone = json.loads(capsys.readouterr().out)
    surname = next(r for r in everyone if r["status"] == "open")["full_name"].split()[-1]
    assert _cme(made, "list", "--json", "--status", "open", "--search", surname) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and all(surname in row["full_name"] for row in found)
    rows = _audit_rows(made)
    assert rows[-1][1:4] == ("list_exported", "case_list", "")
    assert rows[-1][4] == f"output=json;filter=open;step=any;search=yes;shown={len(found)}"
    assert not any(surname.casefold() in " ".join(r).casefold() for r in rows)
    _assert_no_names(made, rows)


def test_the_names_are_not_shown_when_their_read_cannot_be_audited(
    made: Made, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise VaultBusy("The vault is busy: another program is writing to it.")

    monkeypatch.setattr(common, "BUSY_WAIT", 0.3)
    monkeypatch.setattr("cme_desktop.services.cases.case_list.CaseList.record_read", refuse)
    assert _cme(made, "list") == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines()[-1] == f"cme: {common.BUSY_MESSAGE}"


# --- wrong passphrases slow the command down -------------------------------------------------


def test_the_wait_follows_the_failures_the_vault_recorded(
    made: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    vault = Vault(made.path, scrypt=FAST_SCRYPT)
    waits: list[float] = []
    for failures in range(5):
        assert vault.failed_attempts() == failures
        common.unlock_backoff(vault, sleep=waits.append)
        with pytest.raises(Exception, match="does not open"):
            vault.unlock("not the passphrase")
    assert waits == [unlock_delay_seconds(n) for n in (3, 4)] == [1.0, 2.0]
    assert capsys.readouterr().err.splitlines() == [
        "cme: waiting 1 s after 3 wrong passphrases.",
        "cme: waiting 2 s after 4 wrong passphrases.",
    ]


def test_cme_waits_after_three_wrong_passphrases_then_audits_them(
    made: Made, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CME_PASSPHRASE", "not the passphrase")
    took = []
    for _ in range(4):
        started = time.monotonic()
        assert _cme(made, "list") == 3
        took.append(time.monotonic() - started)
    err = capsys.readouterr().err.splitlines()
    assert max(took[:3]) < 1.0 <= took[3]  # the fourth try waits the window's first delay
    assert err.count("cme: waiting 1 s after 3 wrong passphrases.") == 1
    assert err[-1] == "cme: That passphrase does not open this vault."
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    started = time.monotonic()
    assert _cme(made, "list") == 0
    assert time.monotonic() - started >= 2.0
    assert "waiting 2 s after 4 wrong passphrases" in capsys.readouterr().err
    actions = [r[1] for r in _audit_rows(made)]
    assert actions[-6:] == ["unlock_failed"] * 4 + ["unlock", "list_read"]
    assert Vault(made.path).failed_attempts() == 0


# --- a busy vault ----------------------------------------------------------------------------


@pytest.fixture
def hold_lock(made: Made) -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def hold(seconds: float) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(made.path), str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("CME_")},
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(made.key.hex() + "\n")
        proc.stdin.close()
        assert proc.stdout.readline().strip() == "held"
        started.append(proc)
        return proc

    yield hold
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_read_waits_for_a_short_write_then_lists(
    made: Made, hold_lock: object, capsys: pytest.CaptureFixture[str]
) -> None:
    hold_lock(2.0)  # type: ignore[operator]
    started = time.monotonic()
    assert _cme(made, "list") == 0
    took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert len(out.strip().splitlines()) == 30
    assert "the vault is busy: another program is writing to it. Waiting up to 10 s" in err
    assert 1.0 <= took < common.BUSY_WAIT
    assert _audit_rows(made)[-1][1] == "list_read"


def test_a_read_gives_up_at_its_bound_with_one_clear_line(
    made: Made, hold_lock: object, capsys: pytest.CaptureFixture[str]
) -> None:
    hold_lock(60.0)  # type: ignore[operator]
    args = argparse.Namespace(db=made.path)
    started = time.monotonic()
    with pytest.raises(VaultBusy) as caught:
        common.open_db(args, busy=common.BusyWait(2.0))
    took = time.monotonic() - started
    assert caught.value.message == common.BUSY_MESSAGE
    assert 2.0 <= took < 2.0 + 2 * common.BUSY_STEP + 1.5
    assert capsys.readouterr().err.count("Waiting up to 2 s") == 1


@pytest.mark.slow
def test_the_cme_command_reports_a_busy_vault_within_ten_seconds(
    made: Made, hold_lock: object
) -> None:
    hold_lock(60.0)  # type: ignore[operator]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CME_")}
    env["CME_PASSPHRASE"] = PASSPHRASE
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "cme_desktop.cli.main", "--db", str(made.path), "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    took = time.monotonic() - started
    assert run.returncode == VaultBusy.exit_code == 1
    assert run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "cme: the vault is busy: another program is writing to it. Waiting up to 10 s…",
        f"cme: {common.BUSY_MESSAGE}",
    ]
    assert common.BUSY_WAIT <= took < common.BUSY_WAIT + 5
