"""Referral exports: encrypted PDF and Word, round trip through our importers, atomic, CLI."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msoffcrypto
import pikepdf
import pypdf
import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from cme_desktop.cli.main import main
from cme_desktop.models import AuditEvent
from cme_desktop.services import atomic_file
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.styles import DEFAULT, AuthorityDetails
from cme_desktop.services.errors import InvalidInput, OutputError, PasswordRequired, WrongPassword
from cme_desktop.services.importing.docx import parse_docx
from cme_desktop.services.importing.pdf import parse_pdf
from cme_desktop.services.protection.exports import ExportService, encrypt, render_referral
from cme_desktop.services.protection.office import decrypt_office
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.referral.record import normalise
from cme_desktop.services.settings import SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.strategies import referrals
from tests.support.visit_cases import (
    AUTHORITY_NAME,
    PHONE,
    MadeCase,
    add_case,
    add_referral,
    configured_db,
    referral_for,
    seeded_faker,
)

PASSWORD = generate_short_password()


@pytest.fixture(scope="module")
def vault_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports") / "cases.cme"


@pytest.fixture(scope="module")
def db(vault_path: Path) -> Iterator[Database]:
    yield from configured_db(vault_path)


@pytest.fixture(scope="module")
def fake() -> Faker:
    return seeded_faker(2106)


@pytest.fixture(scope="module")
def referred(db: Database, fake: Faker) -> MadeCase:
    """A case holding a referral form."""
    made = add_case(db, fake, upn="A123456789012")
    add_referral(
        db, made.id, referral_for(made, fake, i3=(True, "current"), i14=(True, "historic"))
    )
    return made


@pytest.fixture(scope="module")
def authority(db: Database) -> AuthorityDetails:
    return authority_of(SettingsService(db).load())


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="module")
def exported(
    db: Database, referred: MadeCase, authority: AuthorityDetails, export_dir: Path
) -> dict[str, bytes]:
    """The case's referral exported once as each format, by the service the window uses."""
    service = ExportService(db)
    files = {}
    for fmt in ("pdf", "docx"):
        target = export_dir / f"referral.{fmt}"
        result = service.export_referral(
            referred.id, target=target, password=PASSWORD, authority=authority, recipient="police"
        )
        assert result.path == target
        assert result.size == target.stat().st_size
        files[fmt] = target.read_bytes()
    return files


def stored_referral(db: Database, case_id: int) -> dict[str, Any]:
    return normalise(CaseService(db).get(case_id).referrals[0].data)


PARSERS = {"pdf": parse_pdf, "docx": parse_docx}


# --- round trip -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_export_then_import_gives_back_the_stored_referral(
    db: Database, referred: MadeCase, exported: dict[str, bytes], fmt: str
) -> None:
    [parsed] = PARSERS[fmt](exported[fmt], password=PASSWORD, source=f"referral.{fmt}")
    assert parsed.referral == stored_referral(db, referred.id)
    assert parsed.uncertain == ()


def test_a_case_without_a_referral_exports_its_own_details(
    db: Database, fake: Faker, authority: AuthorityDetails, tmp_path: Path
) -> None:
    made = add_case(db, fake)
    target = tmp_path / "from-case.pdf"
    ExportService(db).export_referral(
        made.id, target=target, password=PASSWORD, authority=authority
    )
    [parsed] = parse_pdf(target.read_bytes(), password=PASSWORD, source=target.name)
    record = parsed.referral
    assert record["children"][0]["full_name"] == made.full_name
    assert record["children"][0]["date_of_birth"] == "2014-05-06"
    assert record["last_known_address"] == made.address
    assert record["school"] == made.school
    assert record["parents_carers"].splitlines() == [name for name, _ in made.carers]
    assert record["telephone"].splitlines() == [phone for _, phone in made.carers]


# The content round trip of the PDF is property-tested in test_referral_pdf.py and the
# Word protection in test_office_crypto.py; these add our export path in between.


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referrals())
def test_any_referral_survives_pdf_export_and_import(ref: dict[str, Any]) -> None:
    data = encrypt(render_referral(ref, fmt="pdf", authority=DEFAULT), fmt="pdf", password=PASSWORD)
    [parsed] = parse_pdf(data, password=PASSWORD, source="r.pdf")
    assert parsed.referral == ref


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referrals())
def test_any_referral_survives_word_export_and_import(ref: dict[str, Any]) -> None:
    # Word protection is a deliberately slow key derivation (100,000 rounds each way),
    # the same whatever the record says: the examples check the document inside it, and
    # the encrypted Word round trip runs on the vault's referral above.
    document = render_referral(ref, fmt="docx", authority=DEFAULT)
    [parsed] = parse_docx(document, password=None, source="r.docx")
    assert parsed.referral == ref


# --- protection ---------------------------------------------------------------------------


def test_the_pdf_is_aes_256_with_security_handler_6(exported: dict[str, bytes]) -> None:
    with pikepdf.open(io.BytesIO(exported["pdf"]), password=PASSWORD) as doc:
        assert doc.is_encrypted
        assert doc.encryption.R == 6
        assert doc.encryption.V == 5
        assert doc.encryption.bits == 256
        assert doc.encryption.stream_method.name == "aesv3"
        assert doc.encryption.string_method.name == "aesv3"


def test_poppler_reports_aes_256_for_a_typed_password(
    db: Database, referred: MadeCase, authority: AuthorityDetails, tmp_path: Path
) -> None:
    # poppler (pdfinfo, Evince, Okular) checks at most 32 bytes of a revision 6 password,
    # so it is asked with a typed password of 24 characters.
    typed = "Lantern-Orchard-Velvet-7"
    target = tmp_path / "typed.pdf"
    ExportService(db).export_referral(
        referred.id, target=target, password=typed, authority=authority
    )
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is not None:  # where poppler is installed, it agrees with pikepdf
        out = subprocess.run(
            [pdfinfo, "-upw", typed, str(target)], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(r"Encrypted:\s+yes .*AES-256", out)
    with pikepdf.open(target, password=typed) as doc:
        assert (doc.encryption.R, doc.encryption.bits) == (6, 256)


def test_a_pdf_password_over_32_characters_is_refused_and_nothing_is_written(
    db: Database, referred: MadeCase, authority: AuthorityDetails, tmp_path: Path
) -> None:
    target = tmp_path / "long.pdf"
    with pytest.raises(InvalidInput, match="Some PDF readers cannot open"):
        ExportService(db).export_referral(
            referred.id, target=target, password="x" * 33, authority=authority
        )
    assert not target.exists()
    # Word opens a long password: the same one exports a .docx.
    docx = tmp_path / "long.docx"
    ExportService(db).export_referral(
        referred.id, target=docx, password="x" * 33, authority=authority
    )
    assert docx.exists()


def test_the_wrong_password_opens_nothing(referred: MadeCase, exported: dict[str, bytes]) -> None:
    data = exported["pdf"]
    assert referred.full_name.encode() not in data
    for wrong in ("", "not-the-password", PASSWORD.upper()):
        with pytest.raises(pikepdf.PasswordError):
            pikepdf.open(io.BytesIO(data), password=wrong)
    with pytest.raises(WrongPassword):
        open_pdf(data, "not-the-password")
    with pytest.raises(WrongPassword):
        parse_pdf(data, password="not-the-password", source="referral.pdf")
    with pytest.raises(PasswordRequired):
        parse_pdf(data, password=None, source="referral.pdf")


def test_the_word_file_is_agile_encrypted_and_needs_its_password(
    referred: MadeCase, exported: dict[str, bytes]
) -> None:
    data = exported["docx"]
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    assert office.is_encrypted()
    assert office.type == "agile"
    assert referred.full_name.encode() not in data
    with pytest.raises(WrongPassword):
        decrypt_office(data, "not-the-password")
    with pytest.raises(WrongPassword):
        parse_docx(data, password="not-the-password", source="referral.docx")


def test_the_printed_export_holds_the_record_and_the_authority(
    db: Database, referred: MadeCase, exported: dict[str, bytes]
) -> None:
    with pikepdf.open(io.BytesIO(exported["pdf"]), password=PASSWORD) as doc:
        plain = io.BytesIO()
        doc.save(plain)  # in memory only
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(plain).pages))
    ref = stored_referral(db, referred.id)
    for wanted in (
        referred.full_name,
        referred.address,
        referred.school,
        ref["additional_information"],
        ref["referrer"]["name"],
        *ref["assessment"].values(),
        "06/05/2014",
        "A123456789012",
        AUTHORITY_NAME,
        PHONE,
        "OFFICIAL-SENSITIVE",
    ):
        assert re.sub(r"\s+", "", wanted) in text, wanted


def test_each_export_is_audited_without_names(
    db: Database, referred: MadeCase, exported: dict[str, bytes]
) -> None:
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.entity_id, AuditEvent.detail, AuditEvent.actor).where(
                AuditEvent.action == "referral_exported"
            )
        ).all()
    mine = [(r.entity_id, r.detail) for r in rows if r.entity_id == referred.id]
    assert mine[:2] == [
        (referred.id, "format=pdf;recipient=police"),
        (referred.id, "format=docx;recipient=police"),
    ]
    assert all(referred.full_name not in r.detail for r in rows)


def test_export_refuses_what_it_cannot_do(
    db: Database, referred: MadeCase, authority: AuthorityDetails, tmp_path: Path
) -> None:
    service = ExportService(db)
    with pytest.raises(InvalidInput):
        service.export_referral(
            referred.id, target=tmp_path / "r.txt", password=PASSWORD, authority=authority
        )
    with pytest.raises(InvalidInput):
        service.export_referral(
            referred.id, target=tmp_path / "r.pdf", password="short", authority=authority
        )
    with pytest.raises(InvalidInput):
        service.export_referral(
            referred.id,
            target=tmp_path / "r.pdf",
            password=PASSWORD,
            authority=authority,
            recipient="a person's name",
        )
    with pytest.raises(InvalidInput):
        service.export_referral(
            referred.id, target=tmp_path / "gone" / "r.pdf", password=PASSWORD, authority=authority
        )
    assert list(tmp_path.iterdir()) == []


# --- atomic writing -----------------------------------------------------------------------


def _is_protected(data: bytes) -> bool:
    try:
        pikepdf.open(io.BytesIO(data)).close()
    except pikepdf.PasswordError:
        return True
    return False


def test_a_crash_before_the_rename_leaves_nothing_at_the_target(
    db: Database,
    referred: MadeCase,
    authority: AuthorityDetails,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_disk: list[bytes] = []
    target = tmp_path / "referral.pdf"
    real_replace = os.replace

    def crash(src: Any, dst: Any) -> None:
        # Only the export's own rename fails. The vault's key file may be rewritten meanwhile:
        # the audit anchor moves at once when its last move is over a second old, as it is
        # when the machine is busy.
        if Path(dst) != target:
            return real_replace(src, dst)
        on_disk.append(Path(src).read_bytes())
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OutputError):
        ExportService(db).export_referral(
            referred.id, target=target, password=PASSWORD, authority=authority
        )
    assert list(tmp_path.iterdir()) == []
    [written] = on_disk
    assert _is_protected(written)  # what reached the disk was already encrypted


def test_a_full_disk_keeps_the_previous_file_and_leaves_no_temp_file(
    db: Database,
    referred: MadeCase,
    authority: AuthorityDetails,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "referral.pdf"
    target.write_bytes(b"the export sent last week")
    written: list[bytes] = []
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd: int, mode: str) -> None:
            self.file = real_fdopen(fd, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

        def write(self, data: bytes) -> int:
            half = data[: len(data) // 2]
            self.file.write(half)
            self.file.flush()
            written.append(half)
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_file.os, "fdopen", FullDisk)
    with pytest.raises(OutputError) as raised:
        ExportService(db).export_referral(
            referred.id, target=target, password=PASSWORD, authority=authority
        )
    assert "No space left" in raised.value.message
    assert [p.name for p in tmp_path.iterdir()] == ["referral.pdf"]
    assert target.read_bytes() == b"the export sent last week"
    # Whatever else was written meanwhile (the vault's key file: see the test above), nothing
    # that reached the disk held the record in the clear.
    assert written and not any(referred.full_name.encode() in w for w in written)


# --- the cme command ---------------------------------------------------------------------


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n", "utf-8")
    return path


def test_cme_export_writes_a_protected_file(
    referred: MadeCase,
    vault_path: Path,
    password_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "x.pdf"
    args = ["--db", str(vault_path), "export", str(referred.id), "--out", str(out)]
    assert main([*args, "--password-file", str(password_file), "--for", "health"]) == 0
    [parsed] = parse_pdf(out.read_bytes(), password=PASSWORD, source="x.pdf")
    assert parsed.referral["children"][0]["full_name"] == referred.full_name
    assert "another channel" in capsys.readouterr().err


def test_cme_export_exit_codes(
    referred: MadeCase,
    vault_path: Path,
    password_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    base = ["--db", str(vault_path), "export", str(referred.id)]
    wrong_suffix = [*base, "--out", str(tmp_path / "x.txt"), "--password-file", str(password_file)]
    assert main(wrong_suffix) == 2
    missing = [*base, "--out", str(tmp_path / "x.pdf"), "--password-file", str(tmp_path / "nope")]
    assert main(missing) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("cme: ") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["password.txt"]


def test_cme_blank_form_writes_a_form_that_imports(tmp_path: Path) -> None:
    out = tmp_path / "f.pdf"
    assert main(["blank-form", "--out", str(out)]) == 0
    reader = pypdf.PdfReader(out)
    assert {"children.0.full_name", "school", "risk_indicators.12.present"} <= set(
        reader.get_fields() or {}
    )
    writer = pypdf.PdfWriter(clone_from=reader)
    values = {"children.0.full_name": "Ada Example", "school": "Example Primary School"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    filled = io.BytesIO()
    writer.write(filled)
    [parsed] = parse_pdf(filled.getvalue(), password=None, source="filled.pdf")
    assert parsed.referral["children"][0]["full_name"] == "Ada Example"
    assert parsed.referral["school"] == "Example Primary School"
