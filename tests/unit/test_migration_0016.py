"""Migration 0016: the vault's index of the list's rows (``ix_cases_list_rows``).

A vault made before it gets the index, and its list shows the same rows, every column,
now read from the index alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import text

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import LIST_ROWS_INDEX, CaseList, CaseQuery
from cme_desktop.services.vault import migrations
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.old_vaults import database_at

TODAY = date(2026, 3, 18)
PAGE = 40


def _has_index(db: Database) -> bool:
    with db.read() as session:
        found = session.execute(
            text("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = :n"),
            {"n": LIST_ROWS_INDEX},
        ).scalar_one()
    return bool(found)


def test_a_vault_from_0015_gets_the_index_and_shows_the_same_rows(tmp_path: Path) -> None:
    db = database_at(tmp_path / "old.cme", "0015")
    try:
        demo.fill(db, cases=150, seed=21, today=TODAY)
        listing = CaseList(db)
        queries = [CaseQuery(), CaseQuery(quick="closed", descending=True)]
        before = [listing.page(q, offset=0, limit=PAGE, today=TODAY) for q in queries]
        assert not _has_index(db)

        migrations.upgrade(db)
        assert _has_index(db)
        assert [listing.page(q, offset=0, limit=PAGE, today=TODAY) for q in queries] == before
        (plan,) = query_plans.plans(
            db, lambda: listing.page(queries[0], offset=0, limit=PAGE, today=TODAY)
        )
        assert plan.startswith(f"SEARCH cases USING COVERING INDEX {LIST_ROWS_INDEX}"), plan
        assert db.integrity_problems() == []
    finally:
        db.close()
