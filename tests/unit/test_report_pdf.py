"""The reports as documents: aggregate PDFs with no names, CSV laid out and made safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import pypdf
import pytest

from cme_desktop.models.records import Case
from cme_desktop.services.cases import demo
from cme_desktop.services.documents.styles import AuthorityDetails
from cme_desktop.services.reports import csv as report_csv
from cme_desktop.services.reports import dfe_csv
from cme_desktop.services.reports import pdf as report_pdf
from cme_desktop.services.reports.dfe_return import dfe_termly
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.reports.without_place import WithoutPlace
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

AUTHORITY = AuthorityDetails(name="Testshire County Council", officer_name="Sam Officer")
TODAY = date(2026, 11, 15)


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    vault = Vault(tmp_path_factory.mktemp("r") / "cases.cme", scrypt=FAST_SCRYPT)
    db = vault.create(PASSPHRASE, actor="Test Officer").db
    demo.fill(db, cases=60, seed=5, today=TODAY)
    with db.write() as session:  # a school name a spreadsheet would run as a formula
        session.get(Case, 1).school = '=HYPERLINK("http://example.invalid")'
        session.get(Case, 1).notified_on = date(2026, 8, 1)
    yield db
    db.close()


def test_quarterly_pdf_has_the_figures_and_no_names(filled: Database) -> None:
    report = quarterly(filled, Quarter(2026, 3), today=TODAY)
    pdf = report_pdf.quarterly_pdf(report, authority=AUTHORITY)
    text = _text(pdf)
    assert "OFFICIAL-SENSITIVE" in text and "Testshire County Council" in text
    assert "Key figures" in text and "Jul–Sep 2026" in text
    assert "Cases closed, by outcome" in text
    with filled.read() as session:
        names = [n for (n,) in session.query(Case.full_name)]
    assert not [n for n in names if n in text]
    assert pypdf.PdfReader(io.BytesIO(pdf)).metadata.title == "CME quarterly report 2026-Q3"


def test_quarterly_csv_one_line_per_figure_and_formulas_neutralised(filled: Database) -> None:
    report = quarterly(filled, Quarter(2026, 3), today=TODAY)
    rows = list(csv.reader(io.StringIO(report_csv.quarterly_csv(report))))
    assert rows[0] == ["section", "measure", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert len(rows) == 1 + sum(len(t.rows) for t in report.tables)
    total = next(
        r for r in rows if r[0].startswith("Notifications received, by route") and r[1] == "Total"
    )
    assert [int(v) for v in total[2:]] == list(report.table("notifications_route").values("total"))
    schools = [r[1] for r in rows if r[0] == "Children notified, by last school"]
    assert all(not s.startswith("=") for s in schools)


def test_dfe_csv_and_pdf(filled: Database) -> None:
    ret = dfe_termly(filled, date(2026, 10, 1), la_number="855", today=TODAY)
    rows = list(csv.reader(io.StringIO(report_csv.dfe_csv(ret))))
    assert rows[0] == list(dfe_csv.COLUMNS)
    assert {r[1] for r in rows[1:]} == {"855"} and {r[2] for r in rows[1:]} == {"2026-10-01"}
    text = _text(report_pdf.dfe_pdf(ret, authority=AUTHORITY))
    assert "DfE termly return" in text and "census date 1 Oct 2026" in text
    assert "LA 855" in text and "Sign-off" in text and "not kept by this authority" in text


def test_without_place_pdf_and_csv_name_the_children() -> None:
    rows = [
        WithoutPlace(
            case_id=7,
            reference="CME-000007",
            full_name="=Ada Lovelace",
            date_of_birth=date(2014, 5, 1),
            age=12,
            year_group="Year 8",
            last_school="Oak Primary",
            missing_since=date(2026, 9, 1),
            days_missing=75,
            notified_on=date(2026, 9, 3),
            days_since_notified=73,
            current_step=4,
            whereabouts_unknown=True,
        )
    ]
    text = _text(report_pdf.without_place_pdf(rows, today=TODAY, authority=AUTHORITY))
    assert "=Ada Lovelace" in text and "do not forward" in text and "Unknown" in text
    lines = list(csv.reader(io.StringIO(report_csv.without_place_csv(rows))))
    assert lines[1][:3] == ["CME-000007", "'=Ada Lovelace", "2014-05-01"]
    assert lines[1][-1] == "unknown"
    empty = _text(report_pdf.without_place_pdf([], today=TODAY))
    assert "No open case" in empty


def test_an_empty_vault_still_makes_every_report(db: Database) -> None:
    report = quarterly(db, Quarter(2026, 1), today=TODAY)
    assert _text(report_pdf.quarterly_pdf(report)).count("Local Authority") >= 1
    ret = dfe_termly(db, date(2026, 1, 15), today=TODAY)
    assert ret.missing_total == 0 and report_pdf.dfe_pdf(ret).startswith(b"%PDF")
