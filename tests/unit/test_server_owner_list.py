"""Owners in the case list on a real PostgreSQL server: each row's owner, "Mine only", the
sort by owner, and what the window asks before offering "Give to…"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Case
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import case_list
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import connection, ownership
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.server_logins import Team, team  # noqa: F401 - the fixture

DAY = date(2026, 11, 2)


def _login(logins: Team, person: str) -> ServerDatabase:
    found = connection.parse(logins.url)
    address = connection.parse(
        f"postgresql://{logins.logins[person]}@{found.host}:{found.port}/{found.database}"
    )
    return ServerDatabase.connect(address, logins._password)


@pytest.fixture
def names(team: Team) -> dict[str, str]:  # noqa: F811
    """Each person's login name."""
    return team.logins


@pytest.fixture
def people(team: Team) -> Iterator[dict[str, ServerDatabase]]:  # noqa: F811
    """Each person logged in to the server."""
    logins = {p: _login(team, p) for p in ("officer", "colleague", "administrator", "manager")}
    try:
        yield logins
    finally:
        for db in logins.values():
            db.close()


def _create(db: Database, name: str) -> int:
    return CaseService(db).create(draft=CaseDraft(full_name=name), today=DAY)


def test_each_row_names_its_owner_and_mine_only_keeps_the_logins_own(
    names: dict[str, str], people: dict[str, ServerDatabase]
) -> None:
    mine = [_create(people["officer"], n) for n in ("Amy Adams", "Carl Cole")]
    theirs = _create(people["colleague"], "Bea Brown")
    nobodys = _create(people["administrator"], "Dan Drew")  # an import: not allocated
    listing = CaseList(people["officer"])
    rows = listing.rows([*mine, theirs, nobodys])
    assert {i: rows[i].owner for i in rows} == {
        mine[0]: names["officer"],
        mine[1]: names["officer"],
        theirs: names["colleague"],
        nobodys: "",
    }
    login = ownership.login(people["officer"])
    assert login == names["officer"]
    only_mine = CaseQuery(quick="all", owner=login)
    assert listing.matching_ids(only_mine, today=DAY) == mine  # by surname: Adams, Cole
    assert listing.count(only_mine, today=DAY) == 2
    assert [r.id for r in listing.page(only_mine, offset=1, limit=5, today=DAY)] == [mine[1]]
    # With a search, the filter still holds.
    assert listing.first_page(CaseQuery(quick="all", search="cole", owner=login), limit=5)[0] == 1
    assert listing.count(CaseQuery(quick="all", search="brown", owner=login), today=DAY) == 0
    assert listing.position(CaseQuery(quick="all", owner=login), theirs, today=DAY) is None
    # "" is the not-allocated cases' owner.
    assert listing.matching_ids(CaseQuery(quick="all", owner=""), today=DAY) == [nobodys]


def test_the_list_sorts_by_owner_with_the_not_allocated_first(
    names: dict[str, str], people: dict[str, ServerDatabase]
) -> None:
    officer, colleague = names["officer"], names["colleague"]
    made = {
        _create(people["colleague"], "Bea Brown"): colleague,
        _create(people["administrator"], "Dan Drew"): "",
        _create(people["officer"], "Amy Adams"): officer,
    }
    listing = CaseList(people["manager"])
    found = listing.matching_ids(CaseQuery(quick="all", sort="owner"), today=DAY)
    assert [made[i] for i in found] == sorted(made.values())
    back = listing.matching_ids(CaseQuery(quick="all", sort="owner", descending=True), today=DAY)
    assert [made[i] for i in back] == sorted(made.values(), reverse=True)


def test_only_officers_may_give_cases_away(people: dict[str, ServerDatabase]) -> None:
    assert ownership.may_give(people["officer"])
    assert ownership.may_give(people["colleague"])
    assert not ownership.may_give(people["administrator"])
    assert not ownership.may_give(people["manager"])


def test_owners_are_a_servers_only(db: Database) -> None:
    with pytest.raises(CmeError, match="shared server only"):
        ownership.may_give(db)
    with pytest.raises(CmeError, match="shared server only"):
        ownership.login(db)
    case_id = _create(db, "Amy Adams")
    assert CaseList(db).rows([case_id])[case_id].owner == ""


def test_mine_only_reads_the_owner_index_in_name_order(
    names: dict[str, str], people: dict[str, ServerDatabase]
) -> None:
    for name in ("Amy Adams", "Carl Cole", "Eve Ellis"):
        _create(people["officer"], name)
    _create(people["colleague"], "Bea Brown")
    db = people["officer"]
    query = CaseQuery(quick="open", owner=names["officer"])
    rows: list[Any] = []
    # A few rows: the planner would read the table anyway. Barred from that
    # (``query_plans.plan``), it must have the index to turn to.
    plans = query_plans.plans(
        db, lambda: rows.extend(CaseList(db).page(query, offset=0, limit=50, today=DAY))
    )
    assert [r.full_name for r in rows] == ["Amy Adams", "Carl Cole", "Eve Ellis"]
    assert len(plans) == 1, plans
    # The page's ids come straight from an index, in order: no sort under the limit (the
    # page's own rows are put in order after, a page at most). On a few rows the planner
    # may as well walk the open cases in name order (``ix_cases_pg_status_name``); with
    # many officers' cases, the owner's own index (0012) is the shorter walk.
    plan = plans[0].split(" | ")
    limit = next(i for i, line in enumerate(plan) if "Limit" in line)
    assert re.search(r"Scan using ix_cases_(owner_name|pg_status_name)", plan[limit + 1]), plan


@pytest.mark.parametrize("quick", ["all", "open", "closed"])
def test_a_page_of_the_list_stops_after_its_rows_in_name_order(
    people: dict[str, ServerDatabase], quick: str
) -> None:
    db = people["officer"]
    names = ["Amy Adams", "Carl Cole", "Eve Ellis", "Bea Brown"]
    ids = [_create(db, name) for name in names]
    CaseService(db).close(ids[1], outcome="ehe")
    query = CaseQuery(quick=quick)
    rows: list[Any] = []
    plans = query_plans.plans(
        db, lambda: rows.extend(CaseList(db).page(query, offset=0, limit=50, today=DAY))
    )
    expected = {
        "all": ["Amy Adams", "Bea Brown", "Carl Cole", "Eve Ellis"],
        "open": ["Amy Adams", "Bea Brown", "Eve Ellis"],
        "closed": ["Carl Cole"],
    }[quick]
    assert [r.full_name for r in rows] == expected
    plan = plans[0].split(" | ")
    limit = next(i for i, line in enumerate(plan) if "Limit" in line)
    assert "Scan using ix_cases_pg_" in plan[limit + 1], plan


def test_the_dashboard_and_the_filters_count_the_cases_themselves_on_a_server(
    people: dict[str, ServerDatabase], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server keeps no counts (migration 0017 is a vault's): the dashboard's open cases by
    step and the quick filters' counts are counted from the cases there."""
    made = [_create(people["officer"], n) for n in ("Eve Evans", "Finn Ford", "Gail Green")]
    service = CaseService(people["officer"])
    # A new case is at step 2 (the information received); one is moved on to step 3.
    service.set_step(made[0], step=vocab.TRACKING_STEP_KEYS[1], done_on=DAY)
    db = people["manager"]
    listing = CaseList(db)
    board = listing.dashboard(today=DAY)
    with db.read() as session:
        steps = dict(
            session.execute(
                select(Case.current_step, func.count())
                .where(Case.status == "open", Case.cohort != "cnis")
                .group_by(Case.current_step)
            ).all()
        )
    assert {s: n for s, n in board.open_by_step.items() if n} == steps
    assert sum(steps.values()) >= len(made) and len(steps) >= 2
    # The tasks overdue and due today, counted from the tasks too, listed or cut.
    for case_id, days in zip(made, (-3, -1, 0), strict=True):
        service.add_task(case_id, title="Ring the family", due_on=DAY + timedelta(days=days))
    board = listing.dashboard(today=DAY)
    assert (board.overdue_total, board.due_today_total) == (2, 1) and not board.cut
    monkeypatch.setattr(case_list, "DASHBOARD_TASKS", 1)
    board = listing.dashboard(today=DAY)
    assert len(board.overdue) == 1 and board.overdue_total == 2 and board.cut
    for quick in ("escalated", "not_visited", "whereabouts_unknown"):
        for step in (None, 1):
            query = CaseQuery(quick=quick, step=step)
            assert listing.count(query, today=DAY) == len(listing.matching_ids(query, today=DAY))
