"""The counts a vault keeps of its cases (``case_counts``, migrations 0015 and 0017).

The list says how many cases it shows from these counts, and the dashboard how many open
cases are at each step, so they must always be what counting the cases gives: after
cases are added, closed, reopened, moved between the records and steps, escalated,
visited, found and removed, by the services or by plain SQL; and when they are not (a
table rebuilt around its triggers), the check after each unlock puts them right.
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
#: Every count the kept counts answer.
QUERIES = [
    CaseQuery(quick=quick, cohort=cohort, step=step)
    for quick in ("all", "open", "closed", "escalated", "not_visited", "whereabouts_unknown")
    for cohort in ("all", "cme")
    for step in (None, 1, 2, 5)
]
#: What the cases are counted by, as the list's filters read a case (a flag is set at 1).
KINDS = (
    "status, cohort, current_step, (escalated_police = 1 OR escalated_social_care = 1),"
    " (whereabouts_unknown = 1), (last_visit_on IS NOT NULL)"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def filled(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = copy_vault(template, tmp_path_factory.mktemp("counts")).unlock(PASSPHRASE)
    demo.fill(db, cases=120, seed=15, today=TODAY)
    yield db
    db.close()


def _kept(db: Database) -> dict[tuple[object, ...], int]:
    with db.read() as session:
        rows = session.execute(
            text("SELECT status, cohort, step, escalated, unknown, visited, n FROM case_counts")
        ).all()
    return {tuple(r[:-1]): r[-1] for r in rows if r[-1]}


def _counted(db: Database) -> dict[tuple[object, ...], int]:
    with db.read() as session:
        rows = session.execute(text(f"SELECT {KINDS}, count(*) FROM cases GROUP BY {KINDS}"))
        return {tuple(r[:-1]): r[-1] for r in rows}


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
    assert len(open_ids) > 12 and len(closed_ids) > 3, "the demo data has both"
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
        # Each of the step and the flags, on its own and together.
        session.execute(text(f"UPDATE cases SET current_step = 5 WHERE id = {open_ids[7]}"))
        session.execute(text(f"UPDATE cases SET escalated_police = 1 WHERE id = {open_ids[8]}"))
        session.execute(
            text(f"UPDATE cases SET escalated_social_care = 1 WHERE id = {open_ids[8]}")
        )
        session.execute(text(f"UPDATE cases SET whereabouts_unknown = 1 WHERE id = {open_ids[9]}"))
        session.execute(
            text(f"UPDATE cases SET last_visit_on = '2026-03-01' WHERE id = {open_ids[10]}")
        )
        session.execute(
            text(
                "UPDATE cases SET last_visit_on = NULL, current_step = 2, escalated_police = 0,"
                f" escalated_social_care = 0, whereabouts_unknown = 0 WHERE id = {open_ids[11]}"
            )
        )
        session.execute(text(f"UPDATE cases SET whereabouts_unknown = 2 WHERE id = {open_ids[12]}"))
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
        CaseQuery(quick="overdue", step=2),
        CaseQuery(quick="escalated", owner="a.officer"),
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


@pytest.mark.parametrize("revision", ["0014", "0016"])
def test_a_vault_migrated_from_an_earlier_revision_counts_its_cases(
    tmp_path: Path, revision: str
) -> None:
    db = database_at(tmp_path / "old.cme", revision)
    try:
        demo.fill(db, cases=60, seed=16, today=TODAY)
        with db.read() as session:
            made = session.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'case_counts%'")
            ).scalar_one()
        assert made == (0 if revision == "0014" else 4), "0014 keeps no counts; 0016 by status"
        migrations.upgrade(db)
        assert _kept(db) == _counted(db)
        assert sum(_kept(db).values()) == 60
        listing = CaseList(db)
        for query in QUERIES:
            assert listing.count(query, today=TODAY) == _each_counted(db, query), query
    finally:
        db.close()
