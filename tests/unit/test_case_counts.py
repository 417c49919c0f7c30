"""The counts a vault keeps of its cases (``case_counts``, migration 0015).

The list says how many cases it shows from these counts, so they must always be what
counting the cases gives: after cases are added, closed, reopened, moved between the
records and removed, by the services or by plain SQL; and when they are not (a table
rebuilt around its triggers), the check after each unlock puts them right.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, text

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery, _matching
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault import health, migrations
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.credentials import PASSPHRASE
from tests.support.old_vaults import database_at
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)
QUERIES = [
    CaseQuery(quick=quick, cohort=cohort)
    for quick in ("all", "open", "closed")
    for cohort in ("all", "cme")
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def filled(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = copy_vault(template, tmp_path_factory.mktemp("counts")).unlock(PASSPHRASE)
    demo.fill(db, cases=120, seed=15, today=TODAY)
    yield db
    db.close()


def _kept(db: Database) -> dict[tuple[str, str], int]:
    with db.read() as session:
        rows = session.execute(text("SELECT status, cohort, n FROM case_counts")).all()
    return {(s, c): n for s, c, n in rows if n}


def _counted(db: Database) -> dict[tuple[str, str], int]:
    with db.read() as session:
        rows = session.execute(
            text("SELECT status, cohort, count(*) FROM cases GROUP BY status, cohort")
        ).all()
    return {(s, c): n for s, c, n in rows}


def _each_counted(db: Database, query: CaseQuery) -> int:
    """The query's cases counted one by one, as the list did before the kept counts."""
    with db.read() as session:
        return int(session.scalar(_matching(query, TODAY, func.count())) or 0)


def _ids(db: Database, sql: str) -> list[int]:
    with db.read() as session:
        return [r[0] for r in session.execute(text(sql))]


def test_the_kept_counts_follow_every_change_to_the_cases(filled: Database) -> None:
    db, cases = filled, CaseService(filled)
    assert _kept(db) == _counted(db)
    open_ids = _ids(db, "SELECT id FROM cases WHERE status = 'open' AND cohort = 'cme'")
    closed_ids = _ids(db, "SELECT id FROM cases WHERE status = 'closed' AND cohort = 'cme'")
    assert len(open_ids) > 6 and len(closed_ids) > 3, "the demo data has both"
    for case_id in open_ids[:3]:
        cases.close(case_id, outcome="not_cme", on=TODAY)
    for case_id in closed_ids[:2]:
        cases.reopen(case_id, reason="Seen again")
    with db.write() as session:
        # Around the services: the triggers count whatever writes the rows.
        session.execute(text(f"UPDATE cases SET cohort = 'both' WHERE id = {open_ids[4]}"))
        session.execute(text(f"UPDATE cases SET cohort = 'cnis' WHERE id = {open_ids[5]}"))
        session.execute(
            text(f"UPDATE cases SET full_name = 'Ann Example' WHERE id = {open_ids[6]}")
        )
        session.execute(text(f"DELETE FROM cases WHERE id = {closed_ids[2]}"))
    assert _kept(db) == _counted(db)
    listing = CaseList(db)
    for query in QUERIES:
        assert listing.count(query, today=TODAY) == _each_counted(db, query), query


def test_the_list_counts_from_them_and_reads_no_case(filled: Database) -> None:
    listing = CaseList(filled)
    for query in QUERIES:
        seen = query_plans.statements(
            filled, lambda q=query: listing.count(q, today=TODAY), selects_only=True
        )
        assert len(seen) == 1 and "case_counts" in seen[0][0], seen
        assert " cases" not in seen[0][0].replace("case_counts", ""), seen


@pytest.mark.parametrize(
    "query",
    [
        CaseQuery(search="a", quick="all"),
        CaseQuery(quick="overdue"),
        CaseQuery(quick="open", step=2),
        CaseQuery(quick="open", cohort="cnis"),
    ],
    ids=str,
)
def test_what_they_do_not_hold_is_counted_from_the_cases(
    filled: Database, query: CaseQuery
) -> None:
    listing = CaseList(filled)
    seen = query_plans.statements(
        filled, lambda: listing.count(query, today=TODAY), selects_only=True
    )
    assert not any("case_counts" in s for s, _p in seen)
    assert listing.count(query, today=TODAY) == _each_counted(filled, query)


def test_counts_that_went_wrong_are_put_right_after_an_unlock_and_audited(
    filled: Database,
) -> None:
    with filled.write() as session:
        session.execute(text("UPDATE case_counts SET n = n + 7 WHERE status = 'open'"))
        session.execute(text("DELETE FROM case_counts WHERE status = 'closed'"))
    assert _kept(filled) != _counted(filled)
    assert health.after_unlock_check(filled) is None, "no damage to report"
    assert _kept(filled) == _counted(filled)
    listing = CaseList(filled)
    assert listing.count(CaseQuery(quick="all"), today=TODAY) == sum(_counted(filled).values())
    with filled.read() as session:
        actions = [a for (a,) in session.execute(text("SELECT action FROM audit_log"))]
    assert actions.count("case_counts_corrected") == 1
    assert health.correct_case_counts(filled) is False, "right now: nothing to do"


def test_a_vault_migrated_from_the_previous_revision_counts_its_cases(tmp_path: Path) -> None:
    db = database_at(tmp_path / "old.cme", "0014")
    try:
        demo.fill(db, cases=60, seed=16, today=TODAY)
        with db.read() as session:
            made = session.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'case_counts%'")
            ).scalar_one()
        assert made == 0, "0014 keeps no counts"
        migrations.upgrade(db)
        assert _kept(db) == _counted(db)
        assert sum(_kept(db).values()) == 60
    finally:
        db.close()
