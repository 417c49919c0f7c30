"""The case list a page at a time: the same cases in the same order as before, read from
the indexes of migration 0003, and a search that starts from its full-text matches.

The "old" order is written out here as the list asked SQLite for it before the list
was read by pages (a rank for the escalation flags, the days open as an expression,
cases without a task last by ``IS NULL``): the pages must give exactly those ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import and_, case, func, or_, select, text

from cme_desktop.models import Case
from cme_desktop.services.cases import case_list, demo
from cme_desktop.services.cases.case_list import (
    QUICK_FILTERS,
    SORT_KEYS,
    CaseList,
    CaseQuery,
    fts_query,
)
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

#: The list's "today", fixed: the demo's cases are made about it.
TODAY = date(2026, 3, 18)
PAGE = 37  # not a divisor of the number of cases: the last page is short


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def seeded(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """400 synthetic cases (seeded), read-only for the tests that use it."""
    db = copy_vault(template, tmp_path_factory.mktemp("pages")).unlock(PASSPHRASE)
    demo.fill(db, cases=400, seed=58, today=TODAY)
    yield db
    db.close()


def _old_where(query: CaseQuery, today: date) -> list[Any]:
    terms: list[Any] = []
    q = query.quick
    if q in {"open", "overdue", "escalated", "not_visited", "whereabouts_unknown"}:
        terms.append(Case.status == "open")
    elif q == "closed":
        terms.append(Case.status == "closed")
    if q == "overdue":
        terms.append(Case.next_task_due < today)
    elif q == "escalated":
        terms.append(or_(Case.escalated_police, Case.escalated_social_care))
    elif q == "not_visited":
        terms.append(Case.last_visit_on.is_(None))
    elif q == "whereabouts_unknown":
        terms.append(Case.whereabouts_unknown)
    if query.step is not None:
        terms.append(Case.current_step == query.step)
    match = fts_query(query.search)
    if match is not None:
        terms.append(
            Case.id.in_(
                text("SELECT rowid FROM case_search WHERE case_search MATCH :m").bindparams(m=match)
            )
        )
    return terms


def _old_order(query: CaseQuery, today: date) -> list[Any]:
    columns: dict[str, list[Any]] = {
        # By surname, then the whole name (migration 0006), both turned by "descending".
        "name": [Case.surname_key, Case.full_name],
        "date_of_birth": [Case.date_of_birth],
        "address": [Case.last_known_address],
        "school": [Case.school],
        "step": [Case.current_step],
        "days_open": [
            func.julianday(func.coalesce(Case.closed_on, today.isoformat()))
            - func.julianday(Case.opened_on)
        ],
        "next_task": [Case.next_task_due.is_(None), Case.next_task_due],
        "escalation": [
            case(
                (and_(Case.escalated_police, Case.escalated_social_care), 3),
                (Case.escalated_police, 2),
                (Case.escalated_social_care, 1),
                else_=0,
            )
        ],
        "id": [Case.id],
    }
    chosen = columns[query.sort]
    last = len(chosen) - 1
    return [
        *(
            c.desc() if query.descending and (i == last or query.sort == "name") else c
            for i, c in enumerate(chosen)
        ),
        Case.id,
    ]


def _old_ids(db: Database, query: CaseQuery) -> list[int]:
    stmt = select(Case.id).where(*_old_where(query, TODAY)).order_by(*_old_order(query, TODAY))
    with db.read() as session:
        return [int(r[0]) for r in session.execute(stmt)]


def _paged_ids(listing: CaseList, query: CaseQuery, *, total_known: bool = False) -> list[int]:
    """Every page in turn; ``total_known``: told the count, as the window's list is, so
    that the pages of the second half are read from the end."""
    total = listing.count(query, today=TODAY)
    ids: list[int] = []
    for offset in range(0, total + PAGE, PAGE):
        ids += [
            row.id
            for row in listing.page(
                query,
                offset=offset,
                limit=PAGE,
                today=TODAY,
                total=total if total_known else None,
            )
        ]
    assert len(ids) == total
    return ids


QUERIES = [
    *(CaseQuery(quick=quick) for quick in QUICK_FILTERS),
    *(
        CaseQuery(quick=quick, sort=sort, descending=descending)
        for quick in ("open", "closed", "all", "overdue")
        for sort in SORT_KEYS
        for descending in (False, True)
    ),
    CaseQuery(quick="open", step=2),
    CaseQuery(quick="all", step=3, sort="school", descending=True),
    CaseQuery(search="primary"),
    CaseQuery(search="ac", quick="all", sort="next_task"),
    CaseQuery(search="a", quick="escalated", sort="days_open", descending=True),
]


@pytest.mark.parametrize("query", QUERIES, ids=str)
def test_pages_give_the_old_order(seeded: Database, query: CaseQuery) -> None:
    listing = CaseList(seeded)
    expected = _old_ids(seeded, query)
    assert len(expected) > 2 or query.quick in {"escalated", "whereabouts_unknown"}
    assert _paged_ids(listing, query) == expected
    assert _paged_ids(listing, query, total_known=True) == expected, "read from the end"
    assert listing.matching_ids(query, today=TODAY) == expected


def test_the_seeded_vault_tells_the_orders_apart(seeded: Database) -> None:
    with seeded.read() as session:
        flags = session.execute(
            select(
                func.count(func.distinct(Case.current_step)),
                func.sum(Case.escalated_police),
                func.sum(Case.escalated_social_care),
                func.sum(case((Case.next_task_due.is_(None), 1), else_=0)),
                func.count(func.distinct(Case.opened_on)),
            )
        ).one()
    steps, police, social_care, no_task, opened = flags
    assert steps >= 5 and police and social_care and no_task and opened > 50


def test_a_page_past_the_end_is_empty_and_limits_hold(seeded: Database) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(quick="all")
    total = listing.count(query, today=TODAY)
    for known in (None, total):
        assert listing.page(query, offset=total, limit=PAGE, today=TODAY, total=known) == []
        last_three = listing.page(query, offset=total - 3, limit=PAGE, today=TODAY, total=known)
        assert [r.id for r in last_three] == _old_ids(seeded, query)[-3:]
        assert listing.page(query, offset=total - 3, limit=0, today=TODAY, total=known) == []
    assert listing.page(query, offset=0, limit=0, today=TODAY) == []


def test_the_last_page_is_read_from_the_end_of_the_index(seeded: Database) -> None:
    """The index skips the entries before a page one by one: the last page of a long list
    is read backwards from its end, not after every entry before it."""
    listing = CaseList(seeded)
    query = CaseQuery(quick="all")
    total = listing.count(query, today=TODAY)
    last = total - total % PAGE
    seen = query_plans.statements(
        seeded,
        lambda: listing.page(query, offset=last, limit=PAGE, today=TODAY, total=total),
        selects_only=True,
    )
    sql, params = seen[-1]
    assert "DESC" in sql, sql
    assert tuple(params)[-2:] == (total - last, 0), "the last rows, skipping none"
    first = query_plans.statements(
        seeded,
        lambda: listing.page(query, offset=0, limit=PAGE, today=TODAY, total=total),
        selects_only=True,
    )
    assert "DESC" not in first[-1][0], "the first half is read forwards"


@pytest.mark.parametrize(
    "query",
    [CaseQuery(), CaseQuery(search="primary"), CaseQuery(search="zzzz"), CaseQuery(quick="all")],
    ids=str,
)
def test_the_first_page_comes_with_the_count(seeded: Database, query: CaseQuery) -> None:
    listing = CaseList(seeded)
    total, rows = listing.first_page(query, limit=PAGE, today=TODAY)
    assert total == listing.count(query, today=TODAY)
    assert rows == listing.page(query, offset=0, limit=PAGE, today=TODAY)


@pytest.mark.parametrize(
    "query",
    [
        *QUERIES,
        CaseQuery(quick="all", sort="owner"),
        CaseQuery(quick="all", cohort="cnis", sort="next_task", descending=True),
        CaseQuery(quick="open", cohort="cme", sort="days_open"),
    ],
    ids=str,
)
def test_every_case_s_position_is_its_place_in_the_list(seeded: Database, query: CaseQuery) -> None:
    """A case's place is counted from the cases before it in the list's order: right for
    every order, direction and filter, ties and empty values (no task, no date of birth)
    included. Every fifth case, the first, the last, and every case whose sort value is
    empty or shared with the case next to it."""
    listing = CaseList(seeded)
    ids = listing.matching_ids(query, today=TODAY)
    rows = listing.rows(ids)
    value = {
        "name": lambda r: r.full_name,
        "date_of_birth": lambda r: r.date_of_birth,
        "address": lambda r: r.last_known_address,
        "school": lambda r: r.school,
        "step": lambda r: r.current_step,
        "days_open": lambda r: (r.opened_on, r.closed_on),
        "next_task": lambda r: r.next_task_due,
        "escalation": lambda r: (r.escalated_police, r.escalated_social_care),
        "owner": lambda r: r.owner,
        "id": lambda r: r.id,
    }[query.sort]
    keys = [value(rows[i]) for i in ids]
    places = {0, len(ids) - 1, *range(0, len(ids), 5)}
    places |= {
        i for i, k in enumerate(keys) if k in (None, "") or (isinstance(k, tuple) and None in k)
    }
    places |= {i for i in range(1, len(ids)) if keys[i] == keys[i - 1]}
    places = {p for p in places if 0 <= p < len(ids)}
    assert not ids or len(places) >= min(len(ids), 3)
    for place in sorted(places):
        assert listing.position(query, ids[place], today=TODAY) == place, (place, keys[place])


def test_position_is_the_place_in_the_list(seeded: Database) -> None:
    listing = CaseList(seeded)
    for query in (
        CaseQuery(),
        CaseQuery(sort="school", descending=True),
        CaseQuery(quick="overdue"),
        CaseQuery(search="primary"),
    ):
        ids = listing.matching_ids(query, today=TODAY)
        for place in (0, len(ids) // 2, len(ids) - 1):
            assert listing.position(query, ids[place], today=TODAY) == place
    closed = listing.matching_ids(CaseQuery(quick="closed"), today=TODAY)[0]
    assert listing.position(CaseQuery(quick="open"), closed, today=TODAY) is None
    assert listing.position(CaseQuery(), 999_999, today=TODAY) is None


# --- how SQLite is asked -------------------------------------------------------------------


def _page_ids_part(plan: str) -> str:
    """The plan of a page's ids (the rows of those ids are then read, and put in order)."""
    assert "SCAN anon_1" in plan, plan
    return plan.split(" | SCAN anon_1")[0]


def _read_from_list_rows(plan: str) -> bool:
    """Whether a page was read from ``ix_cases_list_rows`` alone: in its order, no row
    looked up in the table (migration 0016)."""
    index = case_list.LIST_ROWS_INDEX
    read = f"SEARCH cases USING COVERING INDEX {index} (status=? AND surname_key>?)"
    # Cases of the same name are put in order of their ids among themselves.
    return plan in (read, f"{read} | USE TEMP B-TREE FOR LAST TERM OF ORDER BY")


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", [k for k in SORT_KEYS if k != "id"])
def test_every_header_reads_its_order_from_an_index(
    seeded: Database, sort: str, descending: bool
) -> None:
    """No page of open cases sorts them all: an index gives the order (ties may be sorted
    among themselves, which SQLite shows as a sort of the LAST TERM or RIGHT PART)."""
    listing = CaseList(seeded)
    query = CaseQuery(sort=sort, descending=descending)
    plans = query_plans.plans(
        seeded, lambda: listing.page(query, offset=PAGE, limit=PAGE, today=TODAY)
    )
    if sort == "name":
        assert _read_from_list_rows(plans[0]), plans[0]
        return
    ids_query = _page_ids_part(plans[0])
    assert "USE TEMP B-TREE FOR ORDER BY" not in ids_query, ids_query
    assert "USING" in ids_query and "INDEX" in ids_query, ids_query


@pytest.mark.parametrize("quick", list(QUICK_FILTERS))
def test_every_quick_filter_walks_the_name_index(seeded: Database, quick: str) -> None:
    listing = CaseList(seeded)
    plans = query_plans.plans(
        seeded, lambda: listing.page(CaseQuery(quick=quick), offset=0, limit=PAGE, today=TODAY)
    )
    if quick in ("open", "closed"):
        assert _read_from_list_rows(plans[0]), plans[0]
        return
    ids_query = _page_ids_part(plans[0])
    assert "USE TEMP B-TREE FOR ORDER BY" not in ids_query, ids_query
    assert "ix_cases_list_name" in ids_query or "ix_cases_name" in ids_query, ids_query


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("quick", ["open", "closed"])
def test_past_the_depth_a_page_reads_its_ids_from_the_name_index(
    seeded: Database, quick: str, descending: bool
) -> None:
    """Deep down the list, skipping the wide entries of ``ix_cases_list_rows`` would
    cost more than the page's rows: the ids come from the narrow name index."""
    listing = CaseList(seeded)
    query = CaseQuery(quick=quick, descending=descending)
    offset = case_list.LIST_ROWS_DEPTH
    plans = query_plans.plans(
        seeded, lambda: listing.page(query, offset=offset, limit=PAGE, today=TODAY)
    )
    ids_query = _page_ids_part(plans[0])
    assert "ix_cases_list_name" in ids_query, ids_query
    assert "USE TEMP B-TREE FOR ORDER BY" not in ids_query, ids_query


@pytest.mark.parametrize(
    "query",
    [
        CaseQuery(),
        CaseQuery(quick="closed"),
        CaseQuery(descending=True),
        CaseQuery(quick="closed", descending=True),
        CaseQuery(cohort="cme"),
    ],
    ids=str,
)
def test_pages_across_the_depth_are_the_same_rows(
    seeded: Database, query: CaseQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages read from ``ix_cases_list_rows`` and those read by their ids give the
    same rows, every column, in the same order, on either side of the depth."""
    listing = CaseList(seeded)
    total = listing.count(query, today=TODAY)
    assert total > 3 * PAGE

    def pages() -> list[Any]:
        rows = []
        for offset in range(0, total + PAGE, PAGE):
            rows += listing.page(query, offset=offset, limit=PAGE, today=TODAY)
        return rows

    monkeypatch.setattr(case_list, "LIST_ROWS_DEPTH", 0)
    by_ids = pages()
    monkeypatch.setattr(case_list, "LIST_ROWS_DEPTH", 2 * PAGE + 5)
    straddling = pages()
    if query.cohort == "all":
        assert [row.id for row in by_ids] == _old_ids(seeded, query)
    assert len(by_ids) == total
    assert straddling == by_ids


def test_a_search_starts_from_its_matches(seeded: Database) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(search="primary", quick="overdue")

    def work() -> None:
        listing.count(query, today=TODAY)
        listing.page(query, offset=0, limit=PAGE, today=TODAY)

    for plan in query_plans.plans(seeded, work)[:2]:
        assert "case_search VIRTUAL TABLE" in plan, plan
        assert "ix_cases_by_id (id=?" in plan, plan
        assert "SCAN cases" not in plan, plan


# --- the dashboard -----------------------------------------------------------------------------


def test_the_dashboard_counts_what_it_cannot_list(
    seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    listing = CaseList(seeded)
    full = listing.dashboard(today=TODAY)
    overdue_cases = listing.count(CaseQuery(quick="overdue"), today=TODAY)
    assert full.overdue_cases == overdue_cases > 3
    assert full.due_today_total == len(full.due_today)
    assert full.overdue_total == len(full.overdue) > 2 and not full.cut
    monkeypatch.setattr(case_list, "DASHBOARD_TASKS", 2)
    capped = listing.dashboard(today=TODAY)
    assert capped.overdue == full.overdue[:2]
    assert capped.due_today == full.due_today[:2]
    assert (capped.overdue_cases, capped.due_today_total, capped.overdue_total) == (
        full.overdue_cases,
        full.due_today_total,
        full.overdue_total,
    )
    assert capped.cut


def test_the_dashboard_lists_today_s_tasks_however_many_are_overdue(
    template: Template, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        cases = CaseService(db)
        draft = CaseDraft(full_name="Tasha Overdue", last_known_address="1 Late Lane")
        case_id = cases.create(draft=draft, today=TODAY - timedelta(days=30))
        for days in range(1, 6):
            cases.add_task(case_id, title=f"Old {days}", due_on=TODAY - timedelta(days=days))
        cases.add_task(case_id, title="Today", due_on=TODAY)
        monkeypatch.setattr(case_list, "DASHBOARD_TASKS", 3)
        board = CaseList(db).dashboard(today=TODAY)
        assert [t.title for t in board.overdue] == ["Old 5", "Old 4", "Old 3"]
        assert [t.title for t in board.due_today] == ["Today"]
        assert (board.overdue_cases, board.due_today_total) == (1, 1)
    finally:
        db.close()


def test_the_dashboard_lists_due_tasks_from_indexes_and_counts_them_from_kept_counts(
    seeded: Database,
) -> None:
    """Each task not done is read from ``ix_tasks_due_list`` in the dashboard's order
    (migration 0011), its child's name and status from ``ix_cases_by_id``, so the lists
    stop after a page and read no case row; the tasks due today and in the week are the
    vault's kept counts by day (migration 0018), as are all the overdue ones (the list
    holds the most overdue), not counted task by task."""
    listing = CaseList(seeded)
    seen = query_plans.statements(seeded, lambda: listing.dashboard(today=TODAY), selects_only=True)
    plans = [query_plans.plan(seeded, s, p) for s, p in seen]
    task_plans = [p for p in plans if "tasks" in p]
    assert len(task_plans) == 2, plans  # overdue, due today
    for plan in task_plans:
        assert "USING INDEX ix_tasks_due_list" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
        assert "COVERING INDEX ix_cases_by_id (id=?" in plan, plan
        assert "PRIMARY KEY" not in plan, plan
    kept = [s for s, _p in seen if "task_counts" in s]
    assert len(kept) == 3, seen  # due today, in the next 7 days, overdue (all of them)
    for statement in kept:
        assert " tasks" not in statement and " cases" not in statement, statement


def test_a_rows_columns_are_the_list_rows_fields_in_order() -> None:
    """Rows are made by position (``case_list._case_rows``): a column added, removed or
    moved on one side only would put a value in the wrong field."""
    columns = [c.key for c in case_list._ROW_COLUMNS]
    assert columns == [f.name for f in fields(case_list.CaseRow)]
