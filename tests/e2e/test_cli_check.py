"""``cme check`` and ``cme audit verify`` as a process, on vaults damaged or cut short on disk.

The vaults are prepared through the services (cheap scrypt), then damaged as a disk or a
tamperer would; the command runs as the officer runs it, the runs side by side.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.backups import monthly_save
from cme_desktop.services.vault.database import checkpoint
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.tampering import (
    edit_key_file,
    execute,
    flip_byte,
    passphrase_kdf,
    table_data_page,
)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def _start(vault: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CME_")}
    env["CME_PASSPHRASE"] = PASSPHRASE
    return subprocess.Popen(
        [sys.executable, "-m", "cme_desktop.cli.main", "--db", str(vault), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(proc: subprocess.Popen[str]) -> Run:
    out, err = proc.communicate(timeout=120)
    return Run(proc.returncode, out, err)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("check")
    made = Vault(base / "made" / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE)
    db = made.db
    for n in range(60):
        CaseService(db).create(draft=CaseDraft(full_name=f"Child {n}", sen_disability="x " * 200))
    assert monthly_save(db, today=date(2026, 10, 5)) is not None
    key = bytes(db.key)
    with db.read() as session:
        newest = audit.newest(session)[0]
    checkpoint(db)
    db.close()

    def copy(name: str) -> Path:
        shutil.copytree(base / "made", base / name)
        return base / name / "cases.cme"

    sound = copy("sound")
    damaged = copy("damaged")
    page = table_data_page(damaged, key, table="cases", scratch=base / "scratch.cme")
    flip_byte(damaged, page)
    shutil.copytree(base / "damaged", base / "damaged_list")
    cut = copy("cut")
    execute(cut, key, "DELETE FROM audit_log WHERE id > ?", (newest - 3,))
    heavy = copy("heavy")
    edit_key_file(Path(f"{heavy}.keys"), lambda b: passphrase_kdf(b).__setitem__("n", 2**30))

    started = {
        "sound": _start(sound, "check"),
        "damaged": _start(damaged, "check"),
        "damaged_list": _start(base / "damaged_list" / "cases.cme", "list"),
        "cut_verify": _start(cut, "audit", "verify"),
        "heavy": _start(heavy, "check"),
    }
    done = {name: _finish(proc) for name, proc in started.items()}
    done["cut_check"] = _finish(_start(cut, "check"))  # after the verify that recorded it
    done["page"] = Run(page, "", "")
    return done


def test_a_sound_vault_checks_clean(runs: dict[str, Run]) -> None:
    run = runs["sound"]
    assert run.code == 0, run
    assert run.err == ""
    assert run.out.splitlines()[-1] == "Verdict: the vault is sound."
    assert "none damaged" in run.out and "hash chain verified" in run.out


def test_a_damaged_page_is_reported_with_its_exit_code_and_what_to_do(
    runs: dict[str, Run],
) -> None:
    run, page = runs["damaged"], runs["page"].code
    assert run.code == 4, run
    assert f"HMAC (SQLCipher): 1 damaged (page {page} of the vault file" in run.out
    assert run.out.splitlines()[-1] == "Verdict: the vault is DAMAGED."
    (line,) = run.err.splitlines()
    assert line.startswith(f"cme: the vault is damaged (page {page} of the vault file")
    assert "Restore the last good monthly save, 2026-10" in line
    assert "Traceback" not in run.err


def test_other_commands_warn_of_damage_found_at_unlock(runs: dict[str, Run]) -> None:
    run, page = runs["damaged_list"], runs["page"].code
    warning = f"cme: warning: The vault is damaged: page {page} of the vault file cannot be read"
    assert run.err.startswith(warning), run
    assert "Traceback" not in run.err


def test_deleted_newest_audit_rows_are_reported(runs: dict[str, Run]) -> None:
    verify = runs["cut_verify"]
    assert verify.code == 1, verify
    assert "3 newest audit rows are missing" in verify.err
    assert re.search(r"cme: the audit log has been cut short: 3 newest audit rows were", verify.err)
    check = runs["cut_check"]
    assert check.code == 1, check
    assert "Verdict: the pages are sound, but the audit log is NOT intact." in check.out
    assert check.err.startswith("cme: the audit log has been cut short: 3 newest audit rows")


def test_an_edited_key_file_is_damaged_not_a_wrong_passphrase(runs: dict[str, Run]) -> None:
    run = runs["heavy"]
    assert run.code == 4, run
    assert run.out == ""
    assert run.err.startswith("cme: The vault's key file is damaged.")
