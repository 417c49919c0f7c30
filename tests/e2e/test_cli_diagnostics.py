"""Both programs' ``--version``, the ``cme`` command's log, and ``cme demo``'s two refusals."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

import cme_desktop
import cme_desktop.services.cases
from cme_desktop.cli import main as cli
from cme_desktop.cli import vault as cli_vault
from cme_desktop.models import Case
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

BIN = Path(sys.executable).parent
CHILD = "Oluwaseun Quartermain"


@pytest.mark.parametrize("program", ["cme", "cme-desktop"])
def test_each_program_says_its_version_without_starting_qt(program: str) -> None:
    # A platform that does not exist: had the window started Qt, it would abort.
    env = {**os.environ, "QT_QPA_PLATFORM": "no-such-platform"}
    done = subprocess.run(
        [str(BIN / program), "--version"], capture_output=True, text=True, env=env, timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        f"CME Desktop {cme_desktop.__version__}\n",
        "",
    )


@pytest.fixture
def vault_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.cme"
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    demo.fill(created.db, cases=12, seed=9)
    created.db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return path


def _names(path: Path) -> list[str]:
    opened = Vault(path).unlock(PASSPHRASE)
    try:
        with opened.read() as session:
            return list(session.scalars(select(Case.full_name)))
    finally:
        opened.close()


def _log(tmp_path: Path) -> str:
    (log,) = (tmp_path / "state").rglob("cme.log")
    return log.read_text(encoding="utf-8")


def test_a_demo_vault_gets_more_demo_cases(
    vault_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", str(vault_file), "demo", "--cases", "3"]) == 0
    assert len(_names(vault_file)) == 15


def test_demo_refuses_a_vault_that_holds_real_cases(
    vault_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opened = Vault(vault_file).unlock(PASSPHRASE)
    try:
        CaseService(opened).create(draft=CaseDraft(full_name=CHILD, school="Hill Top"))
    finally:
        opened.close()
    capsys.readouterr()

    code = cli.main(["--db", str(vault_file), "demo", "--cases", "5"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("cme: This vault holds 1 case that is not synthetic")
    assert "Fill a new vault for trying things out" in err
    opened = Vault(vault_file).unlock(PASSPHRASE)
    try:
        with opened.read() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 13
    finally:
        opened.close()


def test_demo_without_faker_says_the_demo_extra_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CME_PASSPHRASE", raising=False)  # a vault opened would fail with 3
    monkeypatch.setitem(sys.modules, "faker", None)  # an installation without the extra
    for name in ("demo", "demo_people"):  # as if never imported
        monkeypatch.delitem(sys.modules, f"cme_desktop.services.cases.{name}", raising=False)
        monkeypatch.delattr(cme_desktop.services.cases, name, raising=False)

    code = cli.main(["--db", str(tmp_path / "cases.cme"), "demo", "--cases", "5"])

    err = capsys.readouterr().err
    assert code == 1
    assert "demo extra" in err
    assert "pip install 'cme-desktop[demo]'" in err


def test_the_command_logs_what_ran_and_never_a_name(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", str(vault_file), "list"]) == 0
    names = _names(vault_file)
    assert names[0] in capsys.readouterr().out  # the officer sees the names...
    log = _log(tmp_path)
    assert "cme list ended with exit code 0" in log
    assert "audit list_read" in log  # the audit log's trail: what was done, ids only
    for name in names:  # ...the log does not
        assert name not in log
        assert name.split()[-1] not in log
    assert str(vault_file) not in log


def test_an_unexpected_error_is_one_line_and_a_traceback_in_the_log(
    vault_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(args: argparse.Namespace) -> int:
        raise RuntimeError(f"the case of {CHILD}")

    monkeypatch.setattr(cli_vault, "_list", broken)

    assert cli.main(["--db", str(vault_file), "list"]) == 1

    assert capsys.readouterr().err.startswith("cme: unexpected error (RuntimeError)")
    log = _log(tmp_path)
    assert "unexpected error in cme list" in log
    assert "builtins.RuntimeError (its message is not logged)" in log
    assert "in broken" in log
    assert CHILD not in log
