"""``cme register export|import``: a register entry from one vault to another."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from faker import Faker

from cme_desktop.cli import main as cli
from cme_desktop.services.register.entry import EntryDraft, NewChild, RegisterService
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

FILE_PASSWORD = "kx7m-qr2t-p9wd-h3nf"
fake = Faker("en_GB")
Faker.seed(436)


def _vault(path: Path) -> tuple[Path, int, str]:
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Test Officer")
    name = f"{fake.first_name()} {fake.last_name()}"
    case_id = RegisterService(created.db).register_new(
        NewChild(name, date_of_birth=date(2015, 3, 4), home_address=fake.address()),
        on=date(2026, 10, 1),
        entry=EntryDraft(lives_in_area="yes", school_status="not_registered"),
        today=date(2026, 11, 1),
    )
    created.db.close()
    return path, case_id, name


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )


def test_export_then_import_into_another_vault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, case_id, name = _vault(tmp_path / "ours.cme")
    theirs = tmp_path / "theirs.cme"
    Vault(theirs, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="Other Officer").db.close()
    secret = tmp_path / "password.txt"
    secret.write_text(FILE_PASSWORD + "\n")
    out = tmp_path / "entry.pdf"
    argv = ["--db", str(ours), "register", "export", str(case_id), "--out", str(out)]
    assert cli.main([*argv, "--password-file", str(secret)]) == 0
    assert out.exists() and name.encode() not in out.read_bytes()

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password at all\n")
    read = ["--db", str(theirs), "register", "import", str(out)]
    capsys.readouterr()
    assert cli.main([*read, "--password-file", str(wrong)]) == 3
    assert "password" in capsys.readouterr().err.lower()
    # Without a decision nothing is written: the command says what it would do.
    assert cli.main([*read, "--password-file", str(secret)]) == 0
    assert "--new" in capsys.readouterr().err
    assert cli.main([*read, "--password-file", str(secret), "--matched"]) == 2
    assert cli.main([*read, "--password-file", str(secret), "--new"]) == 0
    assert "Put on the register" in capsys.readouterr().out
    # The same file again matches the child now there: an update, not a second child.
    assert cli.main([*read, "--password-file", str(secret), "--matched"]) == 0
    assert "Updated the register entry" in capsys.readouterr().out


def test_a_file_that_is_not_a_register_entry_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ours, _, _ = _vault(tmp_path / "ours.cme")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nnothing here")
    secret = tmp_path / "password.txt"
    secret.write_text(FILE_PASSWORD + "\n")
    argv = ["--db", str(ours), "register", "import", str(junk), "--password-file", str(secret)]
    assert cli.main(argv) == 4
    err = capsys.readouterr().err
    assert err.startswith("cme: ") and "Traceback" not in err
