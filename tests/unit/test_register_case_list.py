"""The case list's cohort filter: CME / children not in school / both, from an index.

A few hundred demo cases, every 20th made a register-only child (``cnis``) and the next
one a child on both records: each filter shows exactly its rows, in the list's order, and
the children not in school are found from ``ix_cases_cohort_name``, never by walking
every case (so the filter costs the same at 100,000 cases).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select, update

from cme_desktop.models import Case, RegisterEntry
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import COHORT_FILTERS, CaseList, CaseQuery
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)
PAGE = 25


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def seeded(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = copy_vault(template, tmp_path_factory.mktemp("cohorts")).unlock(PASSPHRASE)
    demo.fill(db, cases=400, seed=17, today=TODAY)
    with db.write() as session:
        session.execute(update(Case).where(Case.id % 20 == 0).values(cohort="cnis"))
        session.execute(update(Case).where(Case.id % 20 == 1).values(cohort="both"))
        # Each on the register or off it since: a register-only row is open while its child
        # is on; a child on both is on or off the register whatever their CME case.
        for case_id, cohort, status in session.execute(
            select(Case.id, Case.cohort, Case.status).where(Case.cohort != "cme")
        ):
            on = status == "open" if cohort == "cnis" else case_id % 40 == 1
            session.add(
                RegisterEntry(
                    case_id=case_id,
                    status="on" if on else "off",
                    registered_on=date(2025, 9, 1),
                    left_on=None if on else date(2026, 1, 5),
                    left_reason="" if on else "moved_away",
                )
            )
    yield db
    db.close()


def _expected(db: Database, cohorts: tuple[str, ...], status: str | None) -> list[int]:
    with db.read() as session:
        stmt = select(Case.id).where(Case.cohort.in_(cohorts))
        if status and "cme" not in cohorts:
            # Children not in school: open is on the register now, closed is off it.
            on = set(
                session.scalars(select(RegisterEntry.case_id).where(RegisterEntry.status == "on"))
            )
            stmt = stmt.where(Case.id.in_(on) if status == "open" else Case.id.not_in(on))
        elif status:
            stmt = stmt.where(Case.status == status)
        rows = session.scalars(stmt.order_by(Case.surname_key, Case.full_name, Case.id))
        return list(rows)


@pytest.mark.parametrize("quick", ["open", "all", "closed"])
@pytest.mark.parametrize(
    ("cohort", "cohorts"),
    [("cme", ("cme", "both")), ("cnis", ("cnis", "both")), ("all", ("cme", "cnis", "both"))],
)
def test_each_filter_shows_its_children_in_name_order(
    seeded: Database, cohort: str, cohorts: tuple[str, ...], quick: str
) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(cohort=cohort, quick=quick)
    expected = _expected(seeded, cohorts, None if quick == "all" else quick)
    assert listing.count(query, today=TODAY) == len(expected)
    ids = [r.id for r in listing.page(query, offset=0, limit=PAGE, today=TODAY)]
    ids += [r.id for r in listing.page(query, offset=PAGE, limit=10_000, today=TODAY)]
    assert ids == expected
    assert listing.matching_ids(query, today=TODAY) == expected


def test_the_filters_are_named_as_the_officer_reads_them() -> None:
    assert list(COHORT_FILTERS.values()) == ["Both (all)", "CME", "Children not in school"]


@pytest.mark.parametrize("quick", ["open", "all", "overdue"])
def test_children_not_in_school_are_found_from_the_cohort_index(
    seeded: Database, quick: str
) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(cohort="cnis", quick=quick)

    def work() -> None:
        listing.count(query, today=TODAY)
        listing.page(query, offset=0, limit=PAGE, today=TODAY)

    plans = query_plans.plans(seeded, work)
    assert len(plans) == 2
    for plan in plans:
        assert "ix_cases_cohort_name (cohort=?" in plan, plan
        assert "SCAN cases" not in plan, plan


def test_cme_cases_are_read_in_the_list_s_own_order(seeded: Database) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(cohort="cme", quick="open")
    (count_plan, page_plan) = query_plans.plans(
        seeded,
        lambda: (
            listing.count(query, today=TODAY),
            listing.page(query, offset=0, limit=PAGE, today=TODAY),
        ),
    )
    # Counted from the counts the vault keeps (migrations 0015, 0017), by their key.
    assert "case_counts USING PRIMARY KEY (status=? AND cohort=?)" in count_plan, count_plan
    # The page from the index of the list's rows (migration 0016), each cohort checked there.
    assert page_plan.startswith(
        "SEARCH cases USING COVERING INDEX ix_cases_list_rows (status=? AND surname_key>?)"
    ), page_plan
    assert "TEMP B-TREE FOR ORDER BY" not in page_plan, page_plan
    assert "anon_1" not in page_plan, page_plan


def test_the_dashboard_leaves_register_only_children_out_reading_one_index(
    seeded: Database,
) -> None:
    listing = CaseList(seeded)
    plans = query_plans.plans(seeded, lambda: listing.dashboard(today=TODAY))
    board = listing.dashboard(today=TODAY)
    cme_open = (Case.cohort != "cnis", Case.status == "open")
    with seeded.read() as session:
        steps = dict(
            session.execute(
                select(Case.current_step, func.count()).where(*cme_open).group_by(Case.current_step)
            ).all()
        )
        overdue = session.scalar(select(func.count()).where(*cme_open, Case.next_task_due < TODAY))
        new = session.scalar(
            select(func.count()).where(
                Case.cohort != "cnis",
                Case.notified_on >= TODAY.replace(day=1),
                Case.notified_on <= TODAY,
            )
        )
    assert {s: n for s, n in board.open_by_step.items() if n} == steps
    assert overdue and board.overdue_cases == overdue
    assert board.new_this_month == new
    # The open cases by step from the counts the vault keeps (migration 0017).
    assert any(p.startswith("SEARCH case_counts") for p in plans), plans
    register_plans = [p for p in plans if "cohort=?" in p and "case_counts" not in p]
    assert len(register_plans) == 2, plans
    for plan in register_plans:
        assert "COVERING INDEX ix_cases_cohort_name (cohort=?" in plan, plan
