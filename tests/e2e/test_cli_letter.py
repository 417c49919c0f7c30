"""``cme letter``: a standard letter for a case, protected by default, plain on --plain
(audited), the officer's own text with --text-file, "Letter sent" on the timeline."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from cme_desktop.cli import main as cli
from cme_desktop.models import AuditEvent
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import WrongPassword
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

FILE_PASSWORD = "kx7m-qr2t-p9wd-h3nf"
NAME = "Tamsin Oldacre"


@pytest.fixture
def vault_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    created = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    CaseService(created.db).create(
        draft=CaseDraft(full_name=NAME, last_known_address="4 Mill Row, Uppingham, LE15 9QA")
    )
    created.db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return tmp_path / "cases.cme"


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(FILE_PASSWORD + "\n")
    return path


def _cme(vault_file: Path, *args: str) -> int:
    return cli.main(["--db", str(vault_file), *args])


def _timeline(vault_file: Path) -> list[str]:
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        return [t.summary for t in CaseService(db).get(1).timeline]
    finally:
        db.close()


def test_a_letter_is_protected_by_default(
    vault_file: Path, tmp_path: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "parents.pdf"
    args = ["--template", "parents-after-home-visit", "--out", str(target)]
    assert _cme(vault_file, "letter", "1", *args, "--password-file", str(password_file)) == 0
    assert "protected with your password" in capsys.readouterr().out
    with pytest.raises(WrongPassword):
        open_pdf(target.read_bytes(), "not the password")
    with pikepdf.open(io.BytesIO(target.read_bytes()), password=FILE_PASSWORD) as pdf:
        plain = io.BytesIO()
        pdf.save(plain)
    words = " ".join(p.extract_text() for p in pypdf.PdfReader(plain).pages)
    assert NAME in words and "4 Mill Row" in words
    assert any(
        s.startswith("Letter sent: Parents after a home visit") for s in _timeline(vault_file)
    )


def test_the_officers_own_text_plain_on_request_and_audited(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "letter.txt"
    text.write_text("Dear Headteacher,\n\nPlease tell me about [school address].\n")
    target = tmp_path / "school.pdf"
    args = ["--template", "school-enquiry", "--out", str(target), "--text-file", str(text)]
    assert _cme(vault_file, "letter", "1", *args) == 3  # no password, no --plain
    assert not target.exists()
    assert _cme(vault_file, "letter", "1", *args, "--plain") == 0
    assert "[school address]" in capsys.readouterr().err  # the blank left is named
    assert "Please tell me about" in pypdf.PdfReader(target).pages[0].extract_text()
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        with db.read() as session:
            rows = session.execute(
                select(AuditEvent.entity).where(AuditEvent.action == "unprotected_file_confirmed")
            ).all()
    finally:
        db.close()
    assert [r.entity for r in rows] == ["letter"]


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--template", "eviction", "--out", "x.pdf", "--plain"], 2, "school-enquiry"),
        (["--template", "school-enquiry", "--out", "x.txt", "--plain"], 2, ".pdf or .docx"),
    ],
)
def test_bad_requests_say_what_is_wrong(
    vault_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    said: str,
) -> None:
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    assert _cme(vault_file, "letter", "1", *args) == code
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert list(tmp_path.glob("x.*")) == []


def test_a_register_letter_goes_to_the_parent_asked_for_and_the_others_are_named(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from faker import Faker

    from cme_desktop.services.register.entry import ParentDraft, RegisterService

    fake = Faker("en_GB")
    Faker.seed(4377)
    mother, father = fake.name(), fake.name()
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        register = RegisterService(db)
        register.put_on(1)
        record = register.get(1)
        assert record is not None
        parents = (ParentDraft(mother, fake.address()), ParentDraft(father, fake.address()))
        register.save(1, version=record.version, entry=record.entry, parents=parents, providers=())
    finally:
        db.close()
    args = ("--template", "register-information-request", "--plain")
    assert (
        _cme(vault_file, "letter", "1", *args, "--to", "2", "--out", str(tmp_path / "f.pdf")) == 0
    )
    words = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in pypdf.PdfReader(io.BytesIO((tmp_path / "f.pdf").read_bytes())).pages
    )
    assert f"Dear {father}," in words and mother not in words
    err = capsys.readouterr().err
    assert "2 addresses" in err and mother in err and "--to" in err
    assert f"Letter sent: Register: request for information to {father} (f.pdf, unprotected)." in (
        _timeline(vault_file)
    )
    # Out of range: refused, the addressees named, nothing written.
    assert (
        _cme(vault_file, "letter", "1", *args, "--to", "3", "--out", str(tmp_path / "g.pdf")) != 0
    )
    assert not (tmp_path / "g.pdf").exists()
