"""``cme import`` of a school's deletion and new pupil returns: the sample file in, cases out.

Hand-worked against a vault holding Amira Khan's open case (born 30 Mar 2013):
the two deletion returns of children without a case (grounds 9(1)(i) and (g))
open two cases; the death (ground (k)) opens none; Harper's row, with a ground
that is not one, is skipped; Amira's new pupil return only proposes closing her
case until ``--close-on-roll`` is given.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from cme_desktop.cli import main as cli
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

SAMPLE = Path(__file__).parents[1] / "fixtures" / "school_returns" / "returns-2026-11.csv"


def run(*argv: str | Path) -> int:
    return cli.main([str(a) for a in argv])


@pytest.fixture
def vault_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.cme"
    db = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer").db
    try:
        CaseService(db).create(
            draft=CaseDraft(full_name="Amira Khan", date_of_birth=date(2013, 3, 30)),
            today=date(2026, 10, 1),
        )
    finally:
        db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    return path


def test_a_dry_run_reads_the_return_without_a_vault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CME_PASSPHRASE", raising=False)
    assert run("--db", tmp_path / "none.cme", "import", SAMPLE, "--dry-run") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{SAMPLE.name} row 2: deletion 9(1)(i) Ellis Marchbank"
    assert out[3] == f"{SAMPLE.name} row 5: new pupil Amira Khan"
    assert "9(1)(z)" in out[4]
    assert run("import", SAMPLE, "--dry-run", "--json") == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["children"][0]["full_name"] for r in records][:2] == [
        "Ellis Marchbank",
        "Tobias Pennywhistle",
    ]
    assert records[0]["school"] == "Hollowfield Primary School"


def test_import_opens_cases_and_closes_only_when_told(
    vault_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    returns = tmp_path / "returns.csv"
    shutil.copyfile(SAMPLE, returns)
    assert run("--db", vault_path, "import", returns) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("returns.csv row 2: opened a new case CME-000002")
    assert out[1].startswith("returns.csv row 3: opened a new case CME-000003")
    assert out[2] == (
        "returns.csv row 4: no missing-education check needed (9(1)(k) The pupil has died): "
        "nothing to do"
    )
    assert "proposed: close CME-000001 as on roll at Larkrise Academy from 16/11/2026" in out[3]
    assert out[4].startswith("returns.csv row 6: skipped: The ground “9(1)(z)”")

    assert run("--db", vault_path, "list", "--json") == 0
    listed = {c["full_name"]: c["status"] for c in json.loads(capsys.readouterr().out)}
    assert listed == {
        "Amira Khan": "open",
        "Ellis Marchbank": "open",
        "Tobias Pennywhistle": "open",
    }
    # Confirmed: the new pupil return closes Amira's case. The deletion returns, on the
    # cases they opened already, are not recorded a second time.
    assert run("--db", vault_path, "import", returns, "--close-on-roll", "--json") == 0
    rows = {r["row"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows[5]["outcome"], rows[5]["case_id"]) == ("close", 1)
    assert (rows[2]["outcome"], rows[2]["case_id"]) == ("not_done", 2)
    assert run("--db", vault_path, "list", "--json") == 0
    listed = {c["full_name"]: c["status"] for c in json.loads(capsys.readouterr().out)}
    assert listed["Amira Khan"] == "closed"
    assert len(listed) == 3
