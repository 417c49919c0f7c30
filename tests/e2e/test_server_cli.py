"""``cme --server``, ``cme server-upgrade`` and ``cme migrate-to-server``, run as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from cme_desktop.services.cases import demo
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def cme(*args: str, password: str | None = None, cwd: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CME_", "PG"))}
    env["CME_PASSPHRASE"] = PASSPHRASE
    if password is not None:
        env["PGPASSWORD"] = password
    proc = subprocess.run(
        [sys.executable, "-m", "cme_desktop.cli.main", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=180,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _split(url: str) -> tuple[str, str]:
    """The address without its password, and the password."""
    parsed = make_url(url)
    return parsed._replace(password=None).render_as_string(), str(parsed.password)


@pytest.fixture
def vault_file(tmp_path: Path) -> Path:
    created = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Officer")
    demo.fill(created.db, cases=25, today=date(2025, 3, 18))
    created.db.close()
    return tmp_path / "cases.cme"


def _listed(run: Run) -> list[tuple[int, str]]:
    assert run.code == 0, run.err
    return sorted((row["id"], row["full_name"]) for row in json.loads(run.out))


def test_a_vault_moves_in_and_the_command_works_on_the_server(
    vault_file: Path, postgres_empty_url: str, tmp_path: Path
) -> None:
    url, password = _split(postgres_empty_url)
    moved = cme("migrate-to-server", str(vault_file), url, password=password, cwd=tmp_path)
    assert moved.code == 0, moved.err
    assert "every table's count and checksum match the vault" in moved.out
    assert "cases" in moved.out and "DIFFERENT" not in moved.out

    on_server = cme("--server", url, "list", "--json", password=password, cwd=tmp_path)
    in_vault = cme("--db", str(vault_file), "list", "--json", cwd=tmp_path)
    assert _listed(on_server) == _listed(in_vault)
    assert len(_listed(on_server)) == 25
    searched = [
        cme(*where, "list", "--json", "--search", "road", password=password, cwd=tmp_path)
        for where in (("--server", url), ("--db", str(vault_file)))
    ]
    assert _listed(searched[0]) == _listed(searched[1])

    again = cme("migrate-to-server", str(vault_file), url, password=password, cwd=tmp_path)
    assert again.code == 1
    assert "already holds records" in again.err


def test_the_server_needs_a_password_and_the_right_one(postgres_url: str, tmp_path: Path) -> None:
    url, _password = _split(postgres_url)
    missing = cme("--server", url, "list", cwd=tmp_path)
    assert missing.code == 3
    assert "needs the password" in missing.err
    wrong = cme("--server", url, "list", password="not it", cwd=tmp_path)
    assert wrong.code == 3
    assert "refused the login" in wrong.err
    assert "Traceback" not in wrong.err + missing.err


def test_an_empty_database_is_set_up_by_server_upgrade(
    postgres_empty_url: str, tmp_path: Path
) -> None:
    url, password = _split(postgres_empty_url)
    before = cme("--server", url, "list", password=password, cwd=tmp_path)
    assert before.code == 1
    assert "server-upgrade" in before.err
    upgraded = cme("--server", url, "server-upgrade", password=password, cwd=tmp_path)
    assert upgraded.code == 0, upgraded.err
    assert "schema was created" in upgraded.out
    again = cme("--server", url, "server-upgrade", password=password, cwd=tmp_path)
    assert "already at revision" in again.out
    listed = cme("--server", url, "list", "--json", password=password, cwd=tmp_path)
    assert _listed(listed) == []
