"""What every report reads first, from indexes: the reopened cases' timeline entries from
the partial index ``ix_timeline_reopened`` (migration 0014), on both engines, and the
monthly save's count of cases by status from an index, never a pass over every row, and
its month's notifications from that month's entries of an index."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from faker import Faker
from sqlalchemy import text

from cme_desktop.models.records import REOPENED_WHERE
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.reports.counting import reopened_spells
from cme_desktop.services.reports.snapshot import snapshot_figures
from cme_desktop.services.vault.database import Database
from tests.support import query_plans

fake = Faker("en_GB")
Faker.seed(1414)
DAY = date(2026, 1, 5)


def _reopened(db: Database) -> list[int]:
    """Five cases, two of them closed and reopened; a note that only looks like a reopening."""
    cases = CaseService(db)
    ids = [
        cases.create(draft=CaseDraft(full_name=fake.name(), notified_on=DAY), today=DAY)
        for _ in range(5)
    ]
    for case_id in ids[:2]:
        cases.close(
            case_id,
            outcome="moved_out",
            on=date(2026, 2, 1),
            details=ClosureDetails(
                receiving_authority=f"{fake.city()} Council", authority_told_on=date(2026, 2, 1)
            ),
        )
        cases.reopen(case_id, reason="Back in the area.")
    cases.add_timeline(
        ids[2],
        kind="note",
        occurred_at=datetime(2026, 2, 3, 10, 0),
        summary="Case reopened? No: the family only asked whether it would be.",
    )
    return ids[:2]


def test_the_reopened_cases_come_from_their_partial_index(engine_db: Database) -> None:
    reopened = _reopened(engine_db)

    def read() -> dict[int, Any]:
        with engine_db.read() as session:
            return reopened_spells(session)

    spells: dict[int, Any] = {}
    statements = query_plans.statements(engine_db, lambda: spells.update(read()))
    assert sorted(spells) == sorted(reopened)
    assert all(len(s) == 2 and s[0].outcome == "moved_out" for s in spells.values())
    (timeline,) = [(s, p) for s, p in statements if "FROM timeline" in s]
    assert "ix_timeline_reopened" in query_plans.plan(engine_db, *timeline)


def test_the_monthly_statistics_count_cases_by_status_from_an_index(db: Database) -> None:
    _reopened(db)
    statements = query_plans.statements(db, lambda: snapshot_figures(db, today=date(2026, 3, 2)))
    (by_status,) = [(s, p) for s, p in statements if "GROUP BY cases.status" in s]
    plan = query_plans.plan(db, *by_status)
    assert "COVERING INDEX" in plan, plan


def test_the_month_s_notifications_are_read_from_its_range_of_the_report_index(
    db: Database,
) -> None:
    """The monthly statistics (and the quarterly report) count notifications by route,
    school and date of birth from ``ix_cases_report``'s entries of the period only: the
    index is led by the day notified and holds every column asked."""
    _reopened(db)
    statements = query_plans.statements(db, lambda: snapshot_figures(db, today=date(2026, 3, 2)))
    by_notified = [(s, p) for s, p in statements if "cases.notified_on BETWEEN" in s]
    assert len(by_notified) == 3, [s for s, _ in statements]
    for statement in by_notified:
        plan = query_plans.plan(db, *statement)
        assert "COVERING INDEX ix_cases_report (notified_on>? AND notified_on<?)" in plan, plan


def test_the_index_holds_only_the_reopenings(db: Database) -> None:
    reopened = _reopened(db)
    with db.read() as session:
        held = session.execute(
            text(
                "SELECT count(*) FROM timeline INDEXED BY ix_timeline_reopened "
                f"WHERE {REOPENED_WHERE}"
            )
        ).scalar_one()
        every = session.execute(text("SELECT count(*) FROM timeline")).scalar_one()
    assert held == len(reopened) < every
