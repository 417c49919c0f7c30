"""The case list: quick filters, step filter, every sort, search, similar cases, dashboard."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cme_desktop.models import Case, Escalation
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.case_list import (
    QUICK_FILTERS,
    SORT_KEYS,
    CaseList,
    CaseQuery,
    CaseRow,
    fts_query,
)
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.list_columns import escalation_flags
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

#: The list's "today": fixed, so that the month and the overdue tasks do not move.
REF = date(2025, 3, 18)

PEOPLE: dict[str, CaseDraft] = {
    "aaron": CaseDraft(
        full_name="Aaron Ashworth",
        date_of_birth=date(2012, 1, 5),
        last_known_address="1 Acacia Avenue, Leicester",
        school="Beacon Academy",
        upn="A120000000001",
    ),
    "beatrice": CaseDraft(
        full_name="beatrice Bloom",
        aka="Bea Blossom",
        last_known_address="22 Birch Road, Hinckley",
        school="Castle Primary",
        whereabouts_unknown=True,
    ),
    "carlos": CaseDraft(
        full_name="Carlos Cruz",
        date_of_birth=date(2010, 6, 1),
        last_known_address="5 Cedar Close, Coalville",
        school="Albion High School",
    ),
    "dana": CaseDraft(
        full_name="Dana Dee",
        date_of_birth=date(2016, 2, 2),
        last_known_address="77 Damson Drive, Wigston",
    ),
    "eve": CaseDraft(
        full_name="Eve Early",
        date_of_birth=date(2011, 11, 11),
        last_known_address="8 Elder Way, Oadby",
        school="Castle Primary",
    ),
    "finn": CaseDraft(
        full_name="Finn Fairweather",
        aka="Finnian Fairweather-Smith",
        date_of_birth=date(2013, 3, 3),
        last_known_address="3 Fir Lane, Market Harborough",
        school="Beacon Academy",
        upn="F938162754013",
    ),
    "mohammed": CaseDraft(
        full_name="Mohammed Khan",
        aka="Mo Khan",
        date_of_birth=date(2012, 7, 7),
        last_known_address="14 Mulberry Street, Loughborough",
        school="Albion High School",
        upn="H801200001001",
    ),
    "zoe": CaseDraft(
        full_name="Zoë Lindqvist",
        date_of_birth=date(2014, 4, 4),
        last_known_address="2 Zetland Court, Melton",
    ),
}
OPENED_DAYS_AGO = {
    "aaron": 40,
    "beatrice": 10,
    "carlos": 100,
    "dana": 5,
    "eve": 200,
    "finn": 0,
    "mohammed": 60,
    "zoe": 30,
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


def _escalate(db: Database, case_id: int, decision: str) -> None:
    with db.write() as session:
        session.add(
            Escalation(
                case_id=case_id,
                decided_at=datetime(2025, 3, 1),
                answers={},
                recommendation=decision,
                decision=decision,
            )
        )
        session.flush()
        case = session.get(Case, case_id)
        assert case is not None
        escalation_flags(session, case)


@pytest.fixture(scope="module")
def dataset(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, dict[str, int]]]:
    """Eight hand-made cases; read-only for the tests that use it."""
    db = copy_vault(template, tmp_path_factory.mktemp("list")).unlock(PASSPHRASE)
    cases = CaseService(db)
    ids = {
        key: cases.create(draft=draft, today=REF - timedelta(days=OPENED_DAYS_AGO[key]))
        for key, draft in PEOPLE.items()
    }
    cases.add_task(ids["aaron"], title="Chase school", due_on=REF - timedelta(days=1))
    cases.add_timeline(
        ids["aaron"], kind="visit", occurred_at=datetime(2025, 3, 1, 10), summary="x"
    )
    cases.add_task(ids["beatrice"], title="Ring housing", due_on=REF + timedelta(days=3))
    _escalate(db, ids["beatrice"], "refer_police")
    cases.add_task(ids["carlos"], title="Left open", due_on=REF - timedelta(days=2))
    cases.close(
        ids["carlos"],
        outcome="on_roll",
        on=REF - timedelta(days=20),
        details=ClosureDetails(school="Marchbank", school_start=REF - timedelta(days=20)),
    )
    cases.set_step(ids["dana"], step="check_place", done_on=REF)
    cases.add_task(ids["dana"], title="Visit", due_on=REF)
    _escalate(db, ids["dana"], "refer_both")
    cases.add_task(ids["eve"], title="Left open too", due_on=REF + timedelta(days=2))
    _escalate(db, ids["eve"], "refer_social_care")
    cases.close(ids["eve"], outcome="ehe", on=REF - timedelta(days=190))
    for step in vocab.TRACKING_STEP_KEYS:
        cases.set_step(ids["finn"], step=step, done_on=REF)
    cases.add_timeline(ids["finn"], kind="visit", occurred_at=datetime(2025, 3, 18, 9), summary="x")
    _escalate(db, ids["mohammed"], "no_escalation")
    yield db, ids
    db.close()


def _names(ids: dict[str, int], found: list[int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[i] for i in found]


def _query(db: Database, **kwargs: Any) -> list[int]:
    kwargs.setdefault("quick", "all")
    return CaseList(db).matching_ids(CaseQuery(**kwargs), today=REF)


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quick", "expected"),
    [
        ("all", {"aaron", "beatrice", "carlos", "dana", "eve", "finn", "mohammed", "zoe"}),
        ("open", {"aaron", "beatrice", "dana", "finn", "mohammed", "zoe"}),
        ("closed", {"carlos", "eve"}),
        ("overdue", {"aaron"}),
        ("escalated", {"beatrice", "dana"}),
        ("not_visited", {"beatrice", "dana", "mohammed", "zoe"}),
        ("whereabouts_unknown", {"beatrice"}),
    ],
)
def test_quick_filters(
    dataset: tuple[Database, dict[str, int]], quick: str, expected: set[str]
) -> None:
    db, ids = dataset
    found = _query(db, quick=quick)
    assert set(_names(ids, found)) == expected
    assert CaseList(db).count(CaseQuery(quick=quick), today=REF) == len(expected)


def test_every_quick_filter_is_tested() -> None:
    assert set(QUICK_FILTERS) == {
        "all",
        "open",
        "closed",
        "overdue",
        "escalated",
        "not_visited",
        "whereabouts_unknown",
    }


def test_step_filter(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    assert set(_names(ids, _query(db, step=2))) == {
        "aaron",
        "beatrice",
        "carlos",
        "eve",
        "mohammed",
        "zoe",
    }
    assert _names(ids, _query(db, step=4)) == ["dana"]
    assert _names(ids, _query(db, quick="open", step=9)) == ["finn"]
    assert _query(db, quick="closed", step=9) == []
    assert CaseList(db).count(CaseQuery(quick="open", step=2), today=REF) == 4


# --- sorting ------------------------------------------------------------------------------------


def _escalation_rank(row: CaseRow) -> int:
    if row.escalated_police and row.escalated_social_care:
        return 3
    return 2 if row.escalated_police else 1 if row.escalated_social_care else 0


SORT_VALUE: dict[str, Callable[[CaseRow], Any]] = {
    "name": lambda r: r.full_name.lower(),
    "date_of_birth": lambda r: r.date_of_birth,
    "address": lambda r: r.last_known_address,
    "school": lambda r: r.school,
    "step": lambda r: r.current_step,
    "days_open": lambda r: r.days_open(REF),
    "next_task": lambda r: r.next_task_due,
    "escalation": _escalation_rank,
    "id": lambda r: r.id,
}


def _expected_order(rows: dict[int, CaseRow], sort: str, descending: bool) -> list[int]:
    """SQLite's order: NULL lowest (except next task: always last), ties by id."""
    by_id = sorted(rows)
    value = SORT_VALUE[sort]
    nulls = [i for i in by_id if value(rows[i]) is None]
    values = [i for i in by_id if value(rows[i]) is not None]
    ordered = sorted(values, key=lambda i: value(rows[i]), reverse=descending)
    if sort == "next_task" or descending:
        return ordered + nulls
    return nulls + ordered


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", SORT_KEYS)
def test_every_sort_key_both_ways(
    dataset: tuple[Database, dict[str, int]], sort: str, descending: bool
) -> None:
    db, ids = dataset
    found = _query(db, sort=sort, descending=descending)
    rows = CaseList(db).rows(found)
    assert found == _expected_order(rows, sort, descending)
    assert len(set(SORT_VALUE[sort](r) for r in rows.values())) > 2, "the data tells orders apart"


def test_days_open_counts_to_the_closing_date(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    found = _names(ids, _query(db, sort="days_open"))
    # Eve opened 200 days ago but was closed after 10 days; Carlos after 80.
    assert found == ["finn", "dana", "beatrice", "eve", "zoe", "aaron", "mohammed", "carlos"]


# --- search -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ash", {"aaron"}),  # name, prefix
        ("ASHWORTH", {"aaron"}),
        ("blos", {"beatrice"}),  # AKA
        ("cedar", {"carlos"}),  # address
        ("coalv", {"carlos"}),
        ("albion", {"carlos", "mohammed"}),  # school
        ("f938", {"finn"}),  # UPN prefix
        ("H801200001001", {"mohammed"}),
        ("bea", {"aaron", "beatrice", "finn"}),  # name, AKA and school
        ("beacon fir", {"finn"}),  # every word must match
        ("zoe", {"zoe"}),  # accents ignored
        ("smith", {"finn"}),  # a double-barrelled AKA
        ("nobody", set()),
    ],
)
def test_search(dataset: tuple[Database, dict[str, int]], search: str, expected: set[str]) -> None:
    db, ids = dataset
    assert set(_names(ids, _query(db, search=search))) == expected
    assert CaseList(db).count(CaseQuery(quick="all", search=search), today=REF) == len(expected)


def test_search_with_a_filter_and_odd_characters(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    assert _names(ids, _query(db, search="castle", quick="closed")) == ["eve"]
    for odd in ('"', "*", "O'Brien AND", "NEAR(", "-", "   "):
        _query(db, search=odd)  # never an FTS syntax error
    assert fts_query(" ' ") is None
    assert fts_query("O'Brien") == '"O"* "Brien"*'
    assert len(_query(db, search="  ")) == len(PEOPLE)


def test_search_follows_edits(template: Template, tmp_path: Path) -> None:
    db = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    try:
        cases = CaseService(db)
        listing = CaseList(db)
        case_id = cases.create(draft=PEOPLE["aaron"])
        detail = cases.get(case_id)
        cases.update(
            case_id, draft=replace(detail.draft, full_name="Aaron Whitlock"), version=detail.version
        )
        assert listing.matching_ids(CaseQuery(search="ashworth")) == []
        assert listing.matching_ids(CaseQuery(search="whitl")) == [case_id]
        cases.add_address(case_id, address="9 Quarry Hill", last_known=True)
        assert listing.matching_ids(CaseQuery(search="quarry")) == [case_id]
        assert listing.matching_ids(CaseQuery(search="acacia")) == []
    finally:
        db.close()


# --- rows ---------------------------------------------------------------------------------------


def test_rows(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    rows = CaseList(db).rows(list(ids.values()) + [99999])
    assert set(rows) == set(ids.values())
    dana = rows[ids["dana"]]
    assert (dana.full_name, dana.current_step, dana.status) == ("Dana Dee", 4, "open")
    assert dana.step_label() == vocab.TRACKING_STEPS[3].label
    assert dana.escalated_police and dana.escalated_social_care
    assert dana.next_task_due == REF
    assert dana.age_on(REF) == 9
    assert rows[ids["beatrice"]].age_on(REF) is None
    assert rows[ids["carlos"]].days_open(REF) == 80
    assert rows[ids["aaron"]].last_visit_on == date(2025, 3, 1)


# --- similar cases ------------------------------------------------------------------------------


def test_find_similar(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    listing = CaseList(db)

    def similar(**kwargs: Any) -> list[str]:
        return _names(ids, [r.id for r in listing.find_similar(**kwargs)])

    # A misspelt name with the same date of birth.
    assert similar(full_name="Muhammad Kahn", date_of_birth=date(2012, 7, 7)) == ["mohammed"]
    # The referral uses the name the child is known by, misspelt.
    assert similar(full_name="Finian Fairweathr-Smith", date_of_birth=date(2013, 3, 3)) == ["finn"]
    assert similar(full_name="Mohamed K", aka="Mo Kahn", date_of_birth=date(2012, 7, 7)) == [
        "mohammed"
    ]
    # The same UPN is the same child, whatever the name.
    assert similar(full_name="Someone Else", date_of_birth=None, upn="h801200001001") == [
        "mohammed"
    ]
    # Same name, another child (different date of birth): not offered.
    assert similar(full_name="Mohammed Khan", date_of_birth=date(2015, 1, 1)) == []
    assert similar(full_name="", date_of_birth=None) == []


# --- dashboard ----------------------------------------------------------------------------------


def test_dashboard(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    board = CaseList(db).dashboard(today=REF)
    assert board.today == REF
    assert [(t.case_id, t.title, t.due_on) for t in board.overdue] == [
        (ids["aaron"], "Chase school", REF - timedelta(days=1))
    ]
    assert [(t.case_id, t.full_name) for t in board.due_today] == [(ids["dana"], "Dana Dee")]
    assert len(board.due_tasks) == 2, "tasks left on closed cases are not due"
    assert board.open_by_step == {1: 0, 2: 4, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1}
    # Notified this month (1 to 18 March): Beatrice, Dana and Finn.
    assert board.new_this_month == 3
    # Beatrice's task in three days; Eve's, on a closed case, does not count.
    assert board.due_next_7_days == 1
