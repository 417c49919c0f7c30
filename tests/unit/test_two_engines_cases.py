"""Cases on both engines: the vault (SQLCipher) and the shared PostgreSQL server.

Every test runs once on each (``engine_db``) and checks the same answers: creating,
editing and reading cases, every quick filter and sort of the list, and search — the
server's text-search index finds exactly what the vault's FTS5 index finds.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import pytest

from cme_desktop.services.cases.case_list import SORT_KEYS, CaseList, CaseQuery
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import Database
from tests.support.postgres import ENGINES, engine_database

TODAY = date(2025, 3, 18)

#: Names as officers meet them: accents, apostrophes, hyphens, two-word surnames, case.
PEOPLE: dict[str, CaseDraft] = {
    "zoe": CaseDraft(
        full_name="Zoë O'Brien",
        date_of_birth=date(2012, 1, 5),
        last_known_address="1 Acacia Avenue, Leicester LE1 2AB",
        school="Beacon Academy",
        upn="A120000000001",
    ),
    "jose": CaseDraft(
        full_name="José Fairweather-Smith",
        aka="Joey Smith",
        date_of_birth=date(2013, 3, 3),
        last_known_address="3 Fir Lane, Market Harborough LE16 7AA",
        school="Castle Primary",
    ),
    "amelie": CaseDraft(
        full_name="amélie van der Berg",
        date_of_birth=date(2010, 6, 1),
        last_known_address="5 Cedar Close, Leicester LE12AB",
        school="Albion High School",
        whereabouts_unknown=True,
    ),
    "mohammed": CaseDraft(
        full_name="Mohammed Khan",
        aka="Mo Khan",
        last_known_address="14 Mulberry Street, Loughborough LE11 3XY",
        school="Albion High School",
        upn="H801200001001",
    ),
    "siobhan": CaseDraft(
        full_name="Siobhán MacDonald",
        date_of_birth=date(2011, 11, 11),
        last_known_address="8 Elder Way, Oadby LE2 5ZZ",
        school="St. Mary's C of E",
    ),
    "smith": CaseDraft(
        full_name="Anna Smithson",
        date_of_birth=date(2014, 2, 2),
        last_known_address="77 Damson Drive, Wigston",
    ),
}

#: (search typed, the people it finds).
SEARCHES: list[tuple[str, set[str]]] = [
    ("zoe", {"zoe"}),
    ("Zoë", {"zoe"}),
    ("o'brien", {"zoe"}),
    ("brien", {"zoe"}),
    ("smith", {"jose", "smith"}),
    ("fairweather-smith", {"jose"}),
    ("fair", {"jose"}),
    ("jose", {"jose"}),
    ("AMELIE", {"amelie"}),
    ("van der", {"amelie"}),
    ("khan mo", {"mohammed"}),
    ("albion", {"amelie", "mohammed"}),
    ("siobhan", {"siobhan"}),
    ("mary", {"siobhan"}),
    ("st marys", set()),
    ("h8012", {"mohammed"}),
    ("leicester", {"zoe", "amelie"}),
    ("LE1", {"zoe"}),  # the district LE1 only: not LE11, LE12AB or LE16
    ("LE1 2AB", {"zoe", "amelie"}),  # with or without its space in the address
    ("le16 7aa", {"jose"}),
    ("LE11", {"mohammed"}),
    ("nobody", set()),
    ("12/01/2012", set()),
    ("05/01/2012", {"zoe"}),
    ("2011-11-11", {"siobhan"}),
]


@dataclass
class Listed:
    db: Database
    people: dict[str, int]

    def names(self, ids: list[int]) -> list[str]:
        by_id = {case_id: key for key, case_id in self.people.items()}
        return [by_id[i] for i in ids]


@pytest.fixture(scope="module")
def both(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Listed]]:
    """The people above on each engine: made once per module, only read by the tests."""
    with contextlib.ExitStack() as stack:
        made: dict[str, Listed] = {}
        for engine in ENGINES:
            folder = tmp_path_factory.mktemp(f"listed-{engine}")
            database = stack.enter_context(engine_database(engine, folder, request))
            cases = CaseService(database)
            people = {k: cases.create(draft=d, today=TODAY) for k, d in PEOPLE.items()}
            made[engine] = Listed(database, people)
        yield made


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
def test_search_finds_the_same_cases_on_both_engines(
    both: dict[str, Listed], search: str, expected: set[str]
) -> None:
    query = CaseQuery(search=search, quick="all")
    for engine, listed in both.items():
        found = CaseList(listed.db).matching_ids(query, today=TODAY)
        assert set(listed.names(found)) == expected, engine
        assert CaseList(listed.db).count(query, today=TODAY) == len(expected), engine


#: The list's order for some sorts, going up. Names by surname (Berg, Fairweather-Smith,
#: Khan, MacDonald, O'Brien, Smithson), whatever their case and accents.
ORDERS: dict[str, list[str]] = {
    "name": ["amelie", "jose", "mohammed", "siobhan", "zoe", "smith"],
    # No date of birth first, as SQLite puts empty values.
    "date_of_birth": ["mohammed", "amelie", "siobhan", "zoe", "jose", "smith"],
    "id": ["zoe", "jose", "amelie", "mohammed", "siobhan", "smith"],
}


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("search", ["", "albion leicester", "le1"])
def test_every_sort_orders_the_list_alike_on_both_engines(
    both: dict[str, Listed], sort: str, descending: bool, search: str
) -> None:
    query = CaseQuery(search=search, quick="all", sort=sort, descending=descending)
    orders = {
        engine: listed.names(CaseList(listed.db).matching_ids(query, today=TODAY))
        for engine, listed in both.items()
    }
    assert orders["postgresql"] == orders["sqlite"]
    if sort in ORDERS and not search and not descending:
        assert orders["sqlite"] == ORDERS[sort]
    for listed in both.values():
        paged = CaseList(listed.db).page(query, offset=1, limit=2, today=TODAY)
        assert listed.names([r.id for r in paged]) == orders["sqlite"][1:3]
        # Each case's place, counted from the cases before it (names with accents, case
        # and punctuation; an empty date of birth), is where the list shows it.
        for place, name in enumerate(orders["sqlite"]):
            at = CaseList(listed.db).position(query, listed.people[name], today=TODAY)
            assert at == place, (name, place)


def test_a_search_with_a_filter_and_a_page(both: dict[str, Listed]) -> None:
    for listed in both.values():
        listing = CaseList(listed.db)
        query = CaseQuery(search="albion", quick="whereabouts_unknown")
        assert listed.names(listing.matching_ids(query, today=TODAY)) == ["amelie"]
        total, rows = listing.first_page(
            CaseQuery(search="le1 2ab", quick="all"), limit=1, today=TODAY
        )
        assert total == 2
        assert len(rows) == 1


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("search", ["le", "albion", "le1 2ab"])
def test_a_capped_search_shows_the_same_first_rows_on_both_engines(
    both: dict[str, Listed], sort: str, search: str
) -> None:
    """Past the cap the first page is read in the list's order, each case checked against
    the matches: the same rows as every match sorted, on either engine."""
    query = CaseQuery(search=search, quick="all", sort=sort)
    for engine, listed in both.items():
        listing = CaseList(listed.db)
        every = listing.matching_ids(query, today=TODAY)
        assert len(every) >= 2, engine
        start = listing.start(query, limit=3, cap=1, today=TODAY)
        assert start.capped and start.count == 1, engine
        assert [row.id for row in start.rows] == every[:3], engine
        whole = listing.start(query, limit=3, cap=len(every), today=TODAY)
        assert not whole.capped and whole.count == len(every), engine
        assert [row.id for row in whole.rows] == every[:3], engine


def test_similar_cases_are_found_on_both(both: dict[str, Listed]) -> None:
    for listed in both.values():
        similar = CaseList(listed.db).find_similar(
            full_name="Zoe OBrien", date_of_birth=date(2012, 1, 5)
        )
        assert "zoe" in listed.names([row.id for row in similar])
        by_upn = CaseList(listed.db).find_similar(
            full_name="", date_of_birth=None, upn="h801200001001"
        )
        assert listed.names([row.id for row in by_upn]) == ["mohammed"]


def test_a_case_is_created_edited_and_read_back_alike(engine_db: Database) -> None:
    cases = CaseService(engine_db)
    case_id = cases.create(draft=PEOPLE["jose"], today=TODAY)
    detail = cases.get(case_id)
    assert detail.draft.full_name == "José Fairweather-Smith"
    assert detail.draft.date_of_birth == date(2013, 3, 3)
    edited = cases.update(
        case_id,
        draft=replace(detail.draft, school="Beacon Academy"),
        version=detail.version,
    )
    assert edited.draft.school == "Beacon Academy"
    assert edited.version == detail.version + 1
    found = CaseList(engine_db).matching_ids(CaseQuery(search="beacon", quick="all"), today=TODAY)
    assert found == [case_id]  # the search follows the edit on both engines
