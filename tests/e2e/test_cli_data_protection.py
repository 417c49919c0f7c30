"""``cme retention``, ``cme erase`` and ``cme subject-access`` on a vault file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pikepdf
import pytest

from cme_desktop.cli import main as cli
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

FILE_PASSWORD = "kx7m-qr2t-p9wd-h3nf"
NAME = "Orla Pennywhistle"


@pytest.fixture
def vault_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.cme"
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer")
    cases = CaseService(created.db)
    for name, born in ((NAME, date(1996, 2, 3)), ("Piet Longstay", date(1997, 5, 6))):
        case_id = cases.create(
            draft=CaseDraft(full_name=name, date_of_birth=born, notified_on=date(2014, 9, 8)),
            today=date(2014, 9, 8),
        )
        cases.close(case_id, outcome="left_country", on=date(2015, 1, 20))
    cases.create(draft=CaseDraft(full_name="Quin Open"))
    created.db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return path


def _cme(vault_file: Path, *args: str) -> int:
    return cli.main(["--db", str(vault_file), *args])


def test_review_extend_subject_access_and_erase(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both closed cases are due (the 25th birthdays were in 2021 and 2022).
    assert _cme(vault_file, "retention", "list", "--on", "2026-01-01", "--json") == 0
    due = json.loads(capsys.readouterr().out)
    assert [(c["reference"], c["due_on"]) for c in due] == [
        ("CME-000001", "2022-01-20"),
        ("CME-000002", "2022-05-06"),
    ]
    extend = ("--until", "2099-01-01", "--reason", "Complaint to the Ombudsman still open")
    assert _cme(vault_file, "retention", "extend", "CME-000002", *extend) == 0
    assert "kept until 01/01/2099" in capsys.readouterr().out
    assert _cme(vault_file, "retention", "list") == 0
    listed = capsys.readouterr().out
    assert "CME-000001" in listed and "CME-000002" not in listed and "25th birthday" in listed

    password_file = tmp_path / "password.txt"
    password_file.write_text(FILE_PASSWORD + "\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    args = ("--out", str(out), "--password-file", str(password_file))
    assert _cme(vault_file, "subject-access", "CME-000001", *args) == 0
    pack = out / "CME-000001-subject-access.pdf"
    with pikepdf.open(pack, password=FILE_PASSWORD) as pdf:
        record = json.loads(pdf.attachments["record.json"].get_file().read_bytes())
    assert record["case"]["full_name"] == NAME

    # Erasure needs the reference typed again, and cannot be undone.
    assert _cme(vault_file, "erase", "CME-000001", "--confirm", "CME-000002") == 2
    assert "Type the case reference CME-000001" in capsys.readouterr().err
    assert _cme(vault_file, "erase", "1", "--confirm", "cme-000001") == 0
    assert "CME-000001 erased" in capsys.readouterr().out
    assert _cme(vault_file, "subject-access", "CME-000001", *args) == 2
    assert "was erased" in capsys.readouterr().err
    assert _cme(vault_file, "audit", "verify") == 0
    assert _cme(vault_file, "erase", "CME-000003", "--confirm", "CME-000003") == 2
    assert "is open" in capsys.readouterr().err
    assert _cme(vault_file, "subject-access", "CME-0x1", *args) == 2


def test_commands_that_write_refuse_an_erased_case(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(vault_file, "erase", "CME-000001", "--confirm", "CME-000001") == 0
    capsys.readouterr()
    password_file = tmp_path / "password.txt"
    password_file.write_text(FILE_PASSWORD + "\n", "utf-8")
    referral = tmp_path / "referral.pdf"
    assert (
        _cme(
            vault_file, "export", "1", "--out", str(referral), "--password-file", str(password_file)
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "personal data was erased on" in err and "keeps only its figures" in err
    assert len(err.strip().splitlines()) == 1 and not referral.exists()
    sheets = tmp_path / "sheets.pdf"
    assert (
        _cme(
            vault_file,
            "visit-sheet",
            "1",
            "--out",
            str(sheets),
            "--password-file",
            str(password_file),
        )
        == 2
    )
    assert "keeps only its figures" in capsys.readouterr().err and not sheets.exists()
    # The other closed case, not erased, still exports.
    assert (
        _cme(
            vault_file, "export", "2", "--out", str(referral), "--password-file", str(password_file)
        )
        == 0
    )
    assert referral.exists()
