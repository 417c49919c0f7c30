"""``cme report without-place`` and ``cme visit-sheet``: protected, or plain on --plain."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pikepdf
import pypdf
import pytest
from sqlalchemy import select

from cme_desktop.cli import main as cli
from cme_desktop.models import AuditEvent
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.errors import WrongPassword
from cme_desktop.services.protection.office import decrypt_office
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.reports.without_place import pupils_without_place
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.workbooks import cells, decrypt

FILE_PASSWORD = "kx7m-qr2t-p9wd-h3nf"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("protected-outputs")
    created = Vault(folder / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    demo.fill(created.db, cases=40, seed=5)
    created.db.close()
    return folder


@pytest.fixture
def vault_file(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "vault"
    folder.mkdir()
    for name in ("cases.cme", "cases.cme.keys"):
        (folder / name).write_bytes((template / name).read_bytes())
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return folder / "cases.cme"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(FILE_PASSWORD + "\n", "utf-8")
    return path


def _cme(vault_file: Path, *args: str) -> int:
    return cli.main(["--db", str(vault_file), *args])


def _audit(vault_file: Path, action: str) -> list[tuple[str, str]]:
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        with db.read() as session:
            rows = session.execute(
                select(AuditEvent.entity, AuditEvent.detail).where(AuditEvent.action == action)
            )
            return [(r.entity, r.detail) for r in rows]
    finally:
        db.close()


def _names(vault_file: Path) -> list[str]:
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        return [p.full_name for p in pupils_without_place(db, date.today())]
    finally:
        db.close()


def test_without_place_as_a_protected_workbook(
    vault_file: Path, out: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "pupils.xlsx"
    code = _cme(
        vault_file, "report", "without-place", "--out", str(target),
        "--password-file", str(password_file),
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    names = _names(vault_file)
    assert names, "the demo vault has children without a place"
    data = target.read_bytes()
    rows = cells(decrypt(data, FILE_PASSWORD))
    assert rows[0][:2] == ["Reference", "Name"]
    assert [r[1] for r in rows[1:]] == names
    with pytest.raises(WrongPassword):
        decrypt_office(data, "not the password")
    assert all(name.encode() not in data for name in names)
    assert "(protected with your password)" in capsys.readouterr().out
    assert _audit(vault_file, "unprotected_file_confirmed") == []
    assert _audit(vault_file, "report_exported") == [
        ("report", f"without_place rows={len(names)} xlsx protected")
    ]
    assert [p.name for p in out.iterdir()] == ["pupils.xlsx"]


def test_without_place_as_a_protected_pdf(vault_file: Path, out: Path, password_file: Path) -> None:
    target = out / "pupils.pdf"
    args = ("--out", str(target), "--password-file", str(password_file))
    assert _cme(vault_file, "report", "without-place", *args) == 0
    data = target.read_bytes()
    with pikepdf.open(io.BytesIO(data), password=FILE_PASSWORD) as pdf:
        assert pdf.encryption.R == 6
        plain = io.BytesIO()
        pdf.save(plain)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(plain).pages)
    assert _names(vault_file)[0].split()[-1] in text
    with pytest.raises(WrongPassword):
        open_pdf(data, "not the password")


def test_a_csv_of_names_is_refused_without_plain(
    vault_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(vault_file, "report", "without-place", "--out", str(out / "p.csv")) == 2
    err = capsys.readouterr().err
    assert "cannot be protected" in err and "--plain" in err and len(err.splitlines()) == 1
    assert list(out.iterdir()) == []


def test_plain_writes_the_csv_and_the_audit_log_records_the_choice(
    vault_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = out / "p.csv"
    assert _cme(vault_file, "report", "without-place", "--out", str(target), "--plain") == 0
    names = _names(vault_file)
    assert names[0] in target.read_text("utf-8-sig")
    assert "unprotected" in capsys.readouterr().out
    assert _audit(vault_file, "unprotected_file_confirmed") == [
        ("report", f"format=csv;rows={len(names)}")
    ]


def test_plain_and_a_password_file_do_not_go_together(
    vault_file: Path, out: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--out", str(out / "p.xlsx"), "--plain", "--password-file", str(password_file))
    assert _cme(vault_file, "report", "without-place", *args) == 2
    assert "leave out --password-file" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_without_a_password_and_a_terminal_nothing_is_written(
    vault_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(vault_file, "report", "without-place", "--out", str(out / "p.xlsx")) == 3
    err = capsys.readouterr().err
    assert "--password-file" in err and "--plain" in err
    assert list(out.iterdir()) == []


def test_a_pdf_password_longer_than_32_characters_is_refused(
    vault_file: Path, out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = tmp_path / "long.txt"
    long.write_text("x" * 40, "utf-8")
    args = ("--out", str(out / "p.pdf"), "--password-file", str(long))
    assert _cme(vault_file, "report", "without-place", *args) == 2
    assert "at most 32 characters" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_visit_sheets_are_protected_by_default(
    vault_file: Path, out: Path, password_file: Path
) -> None:
    db = Vault(vault_file).unlock(PASSPHRASE)
    try:
        listing = CaseList(db)
        ids = listing.matching_ids(CaseQuery(quick="open", sort="id"))[:2]
        names = [listing.rows(ids)[i].full_name for i in ids]
    finally:
        db.close()
    target = out / "visits.pdf"
    args = [*map(str, ids), "--out", str(target), "--password-file", str(password_file)]
    assert _cme(vault_file, "visit-sheet", *args) == 0
    data = target.read_bytes()
    with pytest.raises(WrongPassword):
        open_pdf(data, "not the password")
    with pikepdf.open(io.BytesIO(data), password=FILE_PASSWORD) as pdf:
        assert len(pdf.pages) == 2
        plain = io.BytesIO()
        pdf.save(plain)
    pages = [p.extract_text() for p in pypdf.PdfReader(plain).pages]
    assert names[0].split()[-1] in pages[0] and names[1].split()[-1] in pages[1]
    assert _audit(vault_file, "unprotected_file_confirmed") == []


def test_visit_sheets_plain_only_on_request_and_audited(
    vault_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(vault_file, "visit-sheet", "1", "--out", str(out / "v.pdf")) == 3
    assert list(out.iterdir()) == []
    assert _cme(vault_file, "visit-sheet", "1", "--out", str(out / "v.docx"), "--plain") == 2
    assert "must end in .pdf" in capsys.readouterr().err
    assert _cme(vault_file, "visit-sheet", "1", "--out", str(out / "v.pdf"), "--plain") == 0
    assert pypdf.PdfReader(out / "v.pdf").pages[0].extract_text()
    assert _audit(vault_file, "unprotected_file_confirmed") == [
        ("visit_sheets", "format=pdf;sheets=1")
    ]
