"""Finding cases as officers look them up: by date of birth, by postcode, by surname.

Each search is answered from an index (checked with EXPLAIN QUERY PLAN over a few
hundred synthetic cases), so it costs the same at 100,000 cases.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from cme_desktop.models import Case
from cme_desktop.models.records import surname_of
from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import (
    CaseList,
    CaseQuery,
    date_of_birth_searched,
    is_searching,
    postcode_query,
)
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.migrations import SCRIPTS
from tests.support import query_plans
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)

PEOPLE: dict[str, CaseDraft] = {
    "amara": CaseDraft(
        full_name="Amara Okafor",
        date_of_birth=date(2012, 1, 5),
        last_known_address="1 Acacia Avenue\nLeicester\nLE1 2AB",
    ),
    "ben": CaseDraft(
        full_name="Ben Zakaria",
        date_of_birth=date(2012, 5, 1),
        last_known_address="9 Birch Road, Hinckley, le12ab",
    ),
    "cara": CaseDraft(
        full_name="Cara Appleby",
        date_of_birth=date(2012, 1, 5),
        last_known_address="5 Cedar Close, Coalville LE11 3XY",
    ),
    "dev": CaseDraft(
        full_name="Dev Appleby",
        date_of_birth=date(2009, 12, 31),
        last_known_address="Flat 2, 14 Mulberry Street, SW1A 1AA",
    ),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def dataset(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, dict[str, int]]]:
    """Four hand-made cases among 300 synthetic ones; read-only for the tests."""
    db = copy_vault(template, tmp_path_factory.mktemp("find")).unlock(PASSPHRASE)
    demo.fill(db, cases=300, seed=10, today=TODAY)
    cases = CaseService(db)
    ids = {
        key: cases.create(draft=draft, today=TODAY - timedelta(days=3))
        for key, draft in PEOPLE.items()
    }
    yield db, ids
    db.close()


def _found(db: Database, ids: dict[str, int], search: str) -> set[str]:
    by_id = {v: k for k, v in ids.items()}
    listing = CaseList(db)
    query = CaseQuery(search=search, quick="all")
    found = listing.matching_ids(query, today=TODAY)
    count, first = listing.first_page(query, limit=50, today=TODAY)
    assert count == len(found) == len(first)
    # Only the hand-made cases are asked about; synthetic ones may share a date.
    return {by_id[i] for i in found if i in by_id}


# --- dates of birth ----------------------------------------------------------------------


@pytest.mark.parametrize("search", ["05/01/2012", "5/1/12", "2012-01-05", " 05/01/2012 "])
def test_a_date_searches_the_date_of_birth(
    dataset: tuple[Database, dict[str, int]], search: str
) -> None:
    db, ids = dataset
    assert _found(db, ids, search) == {"amara", "cara"}


def test_a_date_is_read_day_first() -> None:
    assert date_of_birth_searched("01/05/2012", today=TODAY) == date(2012, 5, 1)
    assert date_of_birth_searched("31/12/09", today=TODAY) == date(2009, 12, 31)
    assert date_of_birth_searched("Appleby", today=TODAY) is None
    assert date_of_birth_searched("31/02/2012", today=TODAY) is None
    assert date_of_birth_searched("14 Mulberry", today=TODAY) is None


def test_an_impossible_date_is_searched_as_words(
    dataset: tuple[Database, dict[str, int]],
) -> None:
    db, ids = dataset
    assert is_searching(CaseQuery(search="31/02/2012"), today=TODAY)
    assert _found(db, ids, "31/02/2012") == set()


# --- postcodes ----------------------------------------------------------------------------


@pytest.mark.parametrize("search", ["LE1 2AB", "le12ab", "Le1  2ab", "LE12AB"])
def test_a_postcode_in_any_spacing_or_case(
    dataset: tuple[Database, dict[str, int]], search: str
) -> None:
    db, ids = dataset
    assert _found(db, ids, search) == {"amara", "ben"}


def test_an_outward_code_is_that_district_only(
    dataset: tuple[Database, dict[str, int]],
) -> None:
    db, ids = dataset
    assert _found(db, ids, "le1") == {"amara"}
    assert _found(db, ids, "LE11") == {"cara"}
    assert _found(db, ids, "sw1a 1aa") == {"dev"}
    assert _found(db, ids, "SW1A") == {"dev"}


def test_what_is_not_a_postcode_is_searched_as_words() -> None:
    assert postcode_query("Appleby") is None
    assert postcode_query("Flat 2") is None
    assert postcode_query("14 Mulberry") is None
    assert postcode_query("LE1 2AB") == 'last_known_address : ("le1 2ab" OR "le12ab")'
    assert postcode_query("m1") == 'last_known_address : "m1"'


def test_names_are_still_found(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    assert _found(db, ids, "appleby") == {"cara", "dev"}
    assert _found(db, ids, "mulberry") == {"dev"}


# --- how SQLite is asked ------------------------------------------------------------------


@pytest.mark.parametrize("quick", ["all", "open", "not_visited", "overdue"])
def test_a_date_of_birth_search_reads_the_date_index(
    dataset: tuple[Database, dict[str, int]], quick: str
) -> None:
    db, _ids = dataset
    listing = CaseList(db)
    query = CaseQuery(search="05/01/2012", quick=quick)

    def work() -> None:
        listing.count(query, today=TODAY)
        listing.page(query, offset=0, limit=20, today=TODAY)
        listing.first_page(query, limit=20, today=TODAY)

    plans = query_plans.plans(db, work)
    assert len(plans) == 3
    for plan in plans:
        # The date index, or the one that leads with the status and then the date.
        assert "date_of_birth=?)" in plan and "USING" in plan, plan
        assert "SCAN cases" not in plan, plan


@pytest.mark.parametrize("search", ["LE1 2AB", "le1"])
def test_a_postcode_search_starts_from_the_full_text_index(
    dataset: tuple[Database, dict[str, int]], search: str
) -> None:
    db, _ids = dataset
    listing = CaseList(db)
    query = CaseQuery(search=search, quick="open")

    def work() -> None:
        listing.count(query, today=TODAY)
        listing.first_page(query, limit=20, today=TODAY)

    for plan in query_plans.plans(db, work):
        assert "case_search VIRTUAL TABLE" in plan, plan
        assert "SCAN cases" not in plan, plan


# --- surname order --------------------------------------------------------------------------


def _in_order(db: Database, ids: dict[str, int], query: CaseQuery) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    listing = CaseList(db)
    found = [row.id for row in listing.page(query, offset=0, limit=1_000, today=TODAY)]
    return [by_id[i] for i in found if i in by_id]


def test_the_name_column_sorts_by_surname(dataset: tuple[Database, dict[str, int]]) -> None:
    db, ids = dataset
    assert _in_order(db, ids, CaseQuery(quick="all")) == ["cara", "dev", "amara", "ben"]
    assert _in_order(db, ids, CaseQuery(quick="all", descending=True)) == [
        "ben",
        "amara",
        "dev",
        "cara",
    ]
    # A search sorts its matches the same way.
    assert _in_order(db, ids, CaseQuery(search="le1 2ab", quick="all")) == ["amara", "ben"]
    assert _in_order(db, ids, CaseQuery(search="appleby", quick="all", descending=True)) == [
        "dev",
        "cara",
    ]


NAMES = [
    "Finn Fairweather-Smith",
    "Zoë Lindqvist",
    "Madonna",
    " Ann  Lee ",
    "Mary Anne O'Neil",
    "Jean-Luc de la Tour",
    "",
]


def test_the_migration_and_the_model_read_a_surname_alike(tmp_path: Path) -> None:
    """Migration 0006 fills the surname of the cases already kept in SQL; the model sets
    it in Python for each new name: the two must agree, or the list's order would."""
    spec = importlib.util.spec_from_file_location(
        "surname_0006", SCRIPTS / "versions" / "0006_surname.py"
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE cases (full_name TEXT)")
    for name in NAMES:
        conn.execute("INSERT INTO cases VALUES (?)", (name,))
    in_sql = dict(conn.execute(f"SELECT full_name, {migration._SURNAME_SQL} FROM cases").fetchall())
    assert in_sql == {name: surname_of(name) for name in NAMES}
    assert surname_of("Finn Fairweather-Smith") == "Fairweather-Smith"
    assert surname_of("Madonna") == "Madonna"


def test_a_renamed_case_moves_to_its_new_surname(
    dataset: tuple[Database, dict[str, int]],
) -> None:
    db, ids = dataset
    with db.write() as session:
        case = session.get(Case, ids["ben"])
        assert case is not None
        case.full_name = "Ben Aardvark"
    try:
        assert _in_order(db, ids, CaseQuery(quick="all"))[0] == "ben"
    finally:
        with db.write() as session:
            case = session.get(Case, ids["ben"])
            assert case is not None
            case.full_name = "Ben Zakaria"
