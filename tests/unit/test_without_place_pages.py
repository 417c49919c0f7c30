"""Pupils without a school place, a page at a time: the pages are the whole list, in its
order (longest missing first, then by name as Python folds case), and each is audited."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cme_desktop.models.audit import AuditEvent
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.reports import csv as report_csv
from cme_desktop.services.reports import pdf as report_pdf
from cme_desktop.services.reports import without_place
from cme_desktop.services.reports.without_place import (
    WithoutPlace,
    iter_without_place,
    pupils_without_place,
    without_place_page,
)
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import copy_vault, make_template

TODAY = date(2026, 3, 18)
#: Names whose order differs between SQLite's own case folding and Python's.
NAMES = ("Øyvind Ås", "øyvind Åberg", "Ölçer Zengin", "oliver Zed", "Ömer Yılmaz", "ÖMER Able")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    template = make_template(tmp_path_factory.mktemp("template"))
    opened = copy_vault(template, tmp_path_factory.mktemp("v")).unlock(PASSPHRASE)
    demo.fill(opened, cases=300, seed=11, today=TODAY)
    cases = CaseService(opened)
    for name in NAMES:
        # Missing since the same day: their order is the names'.
        cases.create(
            draft=CaseDraft(
                full_name=name,
                date_of_birth=date(2014, 5, 6),
                date_last_attended=TODAY - timedelta(days=40),
            ),
            today=TODAY - timedelta(days=30),
        )
    yield opened
    opened.close()


def test_the_pages_are_the_list_in_its_order(db: Database) -> None:
    whole = pupils_without_place(db, TODAY)
    assert len(whole) > 40
    assert {r.full_name for r in whole} >= set(NAMES)
    paged = []
    offset = 0
    while True:
        page = without_place_page(db, TODAY, offset=offset, limit=17)
        assert page.total == len(whole) and page.offset == offset
        if not page.rows:
            break
        paged += page.rows
        offset += len(page.rows)
    assert paged == whole


def test_reading_a_page_is_audited(db: Database) -> None:
    page = without_place_page(db, TODAY, offset=5, limit=3)
    assert len(page.rows) == 3
    with db.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.entity) == ("report_read", "report")
    assert last.detail == f"without_place n={page.total} offset=5 shown=3"


def test_the_stream_is_the_list_in_its_order_and_its_reading_is_audited(db: Database) -> None:
    whole = pupils_without_place(db, TODAY)
    stream = iter_without_place(db, TODAY)
    with db.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert last.detail == f"without_place n={len(whole)} streamed"
    assert stream.total == len(whole)
    assert list(stream.rows) == whole


def test_files_made_from_the_stream_are_those_made_from_the_list(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = pupils_without_place(db, TODAY)
    assert report_csv.without_place_csv(iter_without_place(db, TODAY).rows) == (
        report_csv.without_place_csv(whole)
    )
    # Small batches from SQL: the stream crosses many of them.
    monkeypatch.setattr(without_place, "STREAM_BATCH", 7)
    stream = iter_without_place(db, TODAY)
    data = report_pdf.without_place_pdf(stream.rows, today=TODAY, total=stream.total)
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 2
    text = "\n".join(pages)
    # Every child once, in the list's order, and the column headings on every page.
    positions = [text.index(r.reference) for r in whole]
    assert positions == sorted(positions)
    assert all("Whereabouts" in page for page in pages)
    assert f"{len(whole):,} children" in pages[0]
    listed = PdfReader(io.BytesIO(report_pdf.without_place_pdf(whole, today=TODAY)))
    assert [page.extract_text() for page in listed.pages] == pages


def test_a_long_name_wraps_and_an_endless_one_is_cut_so_every_row_fits_a_page() -> None:
    def child(i: int, name: str, school: str) -> WithoutPlace:
        return WithoutPlace(
            case_id=i,
            reference=f"CME-{i:06}",
            full_name=name,
            date_of_birth=date(2014, 5, 6),
            age=11,
            year_group="Year 7",
            last_school=school,
            missing_since=date(2025, 9, 1),
            days_missing=198,
            notified_on=date(2025, 9, 3),
            days_since_notified=196,
            current_step=2,
            whereabouts_unknown=i % 2 == 0,
        )

    rows = [child(i, f"Child Number {i}", "Oak Primary School") for i in range(1, 120)]
    rows.insert(3, child(500, "Alexandra-Josephine Montgomery-Wetherington", "Oak"))
    rows.insert(60, child(501, "Endless", "Saint " * 2000))
    data = report_pdf.without_place_pdf(rows, today=TODAY)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    text = "\n".join(pages)
    assert all(f"CME-{r.case_id:06}" in text for r in rows)
    assert "Alexandra-Josephine\nMontgomery-Wetheri" in text  # wrapped in its cell
    assert "…" in text and text.count("Saint") < 100
    assert all("Whereabouts" in page for page in pages)
