"""Pupils without a school place, a page at a time: the pages are the whole list, in its
order (longest missing first, then by name as Python folds case), and each is audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cme_desktop.models.audit import AuditEvent
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.reports.without_place import pupils_without_place, without_place_page
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
