"""Files that name children: the workbook, short PDF passwords, encryption, and plain-file audit."""

from __future__ import annotations

import contextlib
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import msoffcrypto
import pikepdf
import pytest
from msoffcrypto import exceptions as mso_errors
from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import AuditEvent
from cme_desktop.services.documents.blank_form import render_blank_form
from cme_desktop.services.documents.styles import DEFAULT
from cme_desktop.services.errors import (
    InvalidInput,
    OutputError,
    PasswordRequired,
    VaultBusy,
    WrongPassword,
)
from cme_desktop.services.protection.office import decrypt_office, encrypt_office
from cme_desktop.services.protection.outputs import (
    UNPROTECTED_ACTION,
    ProtectedFiles,
    check_password,
    format_of,
    protect,
)
from cme_desktop.services.protection.passwords import (
    MAX_PDF_PASSWORD,
    MIN_ENTROPY_BITS,
    SHORT_ALPHABET,
    generate_short_password,
    short_password_entropy_bits,
)
from cme_desktop.services.protection.pdf import open_pdf
from cme_desktop.services.reports import workbook
from cme_desktop.services.reports.csv import without_place_csv
from cme_desktop.services.reports.without_place import WITHOUT_PLACE_COLUMNS, WithoutPlace
from cme_desktop.services.vault.database import Database
from tests.support.workbooks import cells, decrypt

PASSWORD = "kx7m-qr2t-p9wd-h3nf-b4ce"
HEADER = ("Reference", "Name", "Date of birth", "Age")


def _pupil(i: int, name: str) -> WithoutPlace:
    return WithoutPlace(
        case_id=i,
        reference=f"CME-{i:06d}",
        full_name=name,
        date_of_birth=date(2014, 5, i),
        age=12,
        year_group="Year 7",
        last_school="Larkrise Primary School",
        missing_since=date(2026, 9, 1),
        days_missing=40 + i,
        notified_on=date(2026, 9, 3),
        days_since_notified=38,
        current_step=4,
        whereabouts_unknown=i % 2 == 0,
    )


PUPILS = [_pupil(1, "Zebedee Quartermain"), _pupil(2, '=HYPERLINK("x") Ada')]


# --- short passwords -------------------------------------------------------------------------


def test_short_passwords_fit_every_pdf_reader_and_are_strong_by_arithmetic() -> None:
    drawn = {generate_short_password() for _ in range(200)}
    assert len(drawn) == 200
    for password in drawn:
        assert len(password) <= MAX_PDF_PASSWORD == 32
        assert re.fullmatch(r"([a-z2-9]{4}-){4}[a-z2-9]{4}", password)
        assert not set(password) & set("ilo01")  # no look-alikes to misread
    assert short_password_entropy_bits() == pytest.approx(20 * math.log2(len(SHORT_ALPHABET)))
    assert short_password_entropy_bits() >= MIN_ENTROPY_BITS
    with pytest.raises(InvalidInput, match="strong enough"):
        generate_short_password(4)  # 79 bits
    with pytest.raises(InvalidInput, match="at most 32"):
        generate_short_password(7)  # 34 characters


@pytest.mark.parametrize(
    ("password", "fmt", "message"),
    [
        ("short", "pdf", "at least 10"),
        ("x" * 33, "pdf", "at most 32"),
    ],
)
def test_passwords_too_weak_or_too_long_for_a_pdf_are_refused(
    password: str, fmt: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_password(password, fmt=fmt)


def test_a_workbook_password_may_be_long() -> None:
    check_password("x" * 60, fmt="xlsx")


# --- the workbook ---------------------------------------------------------------------------


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ")])
def test_column_letters(index: int, letters: str) -> None:
    assert workbook.column_letters(index) == letters


def test_the_workbook_holds_text_as_text_numbers_as_numbers_and_dates_as_dates() -> None:
    rows = [
        ["CME-000001", "=cmd|' /C calc'!A0", date(2015, 3, 4), 11],
        ["CME-000002", "  Zoë <O'Brien> & Co\x07 ", None, 3.5],
    ]
    data = workbook.workbook("Pupils [draft]: a/b", HEADER, rows)
    assert cells(data) == [
        list(HEADER),
        ["CME-000001", "=cmd|' /C calc'!A0", date(2015, 3, 4), 11.0],
        ["CME-000002", "  Zoë <O'Brien> & Co ", None, 3.5],
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in package.namelist():
            ElementTree.fromstring(package.read(name))  # every part is well-formed XML
        book = package.read("xl/workbook.xml").decode()
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert 'name="Pupils  draft   a b"' in book  # characters Excel refuses in a sheet name
    assert "<f>" not in sheet  # no formula anywhere: the name starting with = stays text
    assert 'state="frozen"' in sheet and '<c r="A1" t="inlineStr" s="1">' in sheet
    assert workbook.workbook("Pupils", HEADER, rows) == workbook.workbook("Pupils", HEADER, rows)


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per column"):
        workbook.workbook("Pupils", HEADER, [["only", "three", "values"]])


def test_the_without_place_workbook_has_the_csv_columns_and_rows() -> None:
    rows = cells(workbook.without_place_workbook(PUPILS))
    assert rows[0] == list(WITHOUT_PLACE_COLUMNS)
    assert rows[1][:4] == ["CME-000001", "Zebedee Quartermain", date(2014, 5, 1), 12.0]
    assert rows[2][1] == '=HYPERLINK("x") Ada'
    assert rows[2][-1] == "unknown"
    csv_lines = without_place_csv(PUPILS).splitlines()
    assert csv_lines[0].split(",") == list(WITHOUT_PLACE_COLUMNS)
    assert csv_lines[1].startswith("CME-000001,Zebedee Quartermain,2014-05-01,12,")
    assert "'=HYPERLINK" in csv_lines[2]  # the CSV neutralises what a spreadsheet would run


def test_even_an_empty_list_is_a_package_large_enough_to_encrypt_soundly() -> None:
    data = workbook.without_place_workbook([])
    assert len(data) > 4096
    assert cells(data) == [list(WITHOUT_PLACE_COLUMNS)]
    assert decrypt(protect(data, fmt="xlsx", password=PASSWORD), PASSWORD) == data


def test_a_package_under_4_kib_is_refused_rather_than_written_broken() -> None:
    # The smallest package msoffcrypto-tool takes for an Office file: its content types.
    tiny = io.BytesIO()
    with zipfile.ZipFile(tiny, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
    with pytest.raises(OutputError, match="came out damaged"):
        encrypt_office(tiny.getvalue(), PASSWORD)


# --- encryption ------------------------------------------------------------------------------


def test_the_protected_workbook_opens_with_its_password_only() -> None:
    plain = workbook.without_place_workbook(PUPILS)
    protected = protect(plain, fmt="xlsx", password=PASSWORD)
    assert b"Zebedee" not in protected and b"Quartermain" not in protected
    rows = cells(decrypt(protected, PASSWORD))
    assert [r[1] for r in rows[1:]] == [p.full_name for p in PUPILS]
    assert decrypt_office(protected, PASSWORD) == plain
    with pytest.raises(WrongPassword):
        decrypt_office(protected, "not-the-password")
    office = msoffcrypto.OfficeFile(io.BytesIO(protected))
    with pytest.raises(mso_errors.InvalidKeyError):
        office.load_key(password="not-the-password", verify_password=True)


def test_the_protected_pdf_is_aes_256_and_opens_with_its_password_only() -> None:
    plain = render_blank_form(authority=DEFAULT)
    protected = protect(plain, fmt="pdf", password=PASSWORD)
    with pikepdf.open(io.BytesIO(protected), password=PASSWORD) as pdf:
        assert pdf.encryption.R == 6 and pdf.encryption.bits == 256
    with pytest.raises(PasswordRequired):
        open_pdf(protected, None)
    with pytest.raises(WrongPassword):
        open_pdf(protected, "not-the-password")


def test_a_csv_cannot_carry_a_password() -> None:
    with pytest.raises(InvalidInput, match="cannot be protected"):
        protect(b"a,b\r\n", fmt="csv", password=PASSWORD)


@pytest.mark.parametrize(
    ("name", "allowed", "fmt"),
    [("list.XLSX", ("xlsx", "pdf"), "xlsx"), ("sheets.pdf", ("pdf",), "pdf")],
)
def test_format_of(name: str, allowed: tuple[str, ...], fmt: str) -> None:
    assert format_of(Path(name), allowed=allowed) == fmt


def test_format_of_names_the_endings_allowed() -> None:
    with pytest.raises(InvalidInput, match=r"must end in \.pdf, \.xlsx or \.csv"):
        format_of(Path("list.txt"))
    with pytest.raises(InvalidInput, match=r"must end in \.pdf\.$"):
        format_of(Path("list.csv"), allowed=("pdf",))


# --- saving, and the audit of an unprotected file --------------------------------------------


def _confirmations(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.entity, AuditEvent.detail).where(
                AuditEvent.action == UNPROTECTED_ACTION
            )
        )
        return [(r.entity, r.detail) for r in rows]


def test_a_protected_file_is_written_encrypted_and_needs_no_confirmation(
    db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "list.xlsx"
    target.parent.mkdir()
    plain = workbook.without_place_workbook(PUPILS)
    saved = ProtectedFiles(db).save(
        target, plain, fmt="xlsx", password=PASSWORD, what="report", detail="rows=2"
    )
    assert saved.protected and saved.size == target.stat().st_size
    assert decrypt(target.read_bytes(), PASSWORD) == plain
    assert _confirmations(db) == []
    assert [p.name for p in target.parent.iterdir()] == ["list.xlsx"]


def test_an_unprotected_file_is_written_with_its_audited_confirmation(
    db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "list.csv"
    target.parent.mkdir()
    data = without_place_csv(PUPILS).encode("utf-8-sig")
    saved = ProtectedFiles(db).save(
        target, data, fmt="csv", password=None, what="report", detail="rows=2"
    )
    assert not saved.protected and target.read_bytes() == data
    assert _confirmations(db) == [("report", "format=csv;rows=2")]


def test_no_folder_no_file_and_no_audit(db: Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        ProtectedFiles(db).save(
            tmp_path / "nowhere" / "list.csv", b"x", fmt="csv", password=None, what="report"
        )
    assert _confirmations(db) == []


@dataclass
class _CommitFails:
    """A unit of work whose commit finds the vault busy, after the work inside it ran."""

    db: Database

    @property
    def actor(self) -> str:
        return self.db.actor

    @property
    def audit_key(self) -> bytes:
        return self.db.audit_key

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        with self.db.read() as session:
            yield session
        raise VaultBusy()


def test_a_plain_file_whose_audit_row_is_not_committed_does_not_stay(
    db: Database, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "list.csv"
    target.parent.mkdir()
    with pytest.raises(VaultBusy):
        ProtectedFiles(_CommitFails(db)).save(  # type: ignore[arg-type]
            target, b"names", fmt="csv", password=None, what="report"
        )
    assert list(target.parent.iterdir()) == []
    assert _confirmations(db) == []
