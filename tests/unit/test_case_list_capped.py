"""A search shown in the list counts its matches only up to a cap (``CaseList.start``).

Past the cap the list says "1,000+" and reads its first page in the list's order from
an index, each case checked against the matches: the rows must be exactly those the
exact way gives (every match sorted), in the same order, whatever the sort and filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from cme_desktop.services.cases import demo
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.vault.database import Database
from tests.support import query_plans
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date(2026, 3, 18)
PAGE = 10
CAP = 12


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="module")
def seeded(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """400 synthetic cases (seeded), read-only for the tests that use it."""
    db = copy_vault(template, tmp_path_factory.mktemp("capped")).unlock(PASSPHRASE)
    demo.fill(db, cases=400, seed=58, today=TODAY)
    yield db
    db.close()


SEARCHES = [
    CaseQuery(search="primary"),
    CaseQuery(search="pr", quick="all"),
    CaseQuery(search="a", quick="all", sort="school", descending=True),
    CaseQuery(search="ac", quick="all", sort="next_task"),
    CaseQuery(search="a", quick="overdue", sort="days_open", descending=True),
    CaseQuery(search="a", quick="closed", sort="date_of_birth"),
    CaseQuery(search="a", quick="all", sort="escalation", descending=True),
    CaseQuery(search="a", quick="open", sort="step"),
    CaseQuery(search="a", quick="all", step=2),
    CaseQuery(search="a", quick="open", sort="name", descending=True),
    CaseQuery(search="a", quick="all", sort="address"),
]


@pytest.mark.parametrize("query", SEARCHES, ids=str)
def test_past_the_cap_the_first_page_is_the_exact_one(seeded: Database, query: CaseQuery) -> None:
    listing = CaseList(seeded)
    every = listing.matching_ids(query, today=TODAY)
    assert len(every) > CAP, "the search must find more cases than the cap"
    start = listing.start(query, limit=PAGE, cap=CAP, today=TODAY)
    assert start.capped and start.count == CAP
    assert [row.id for row in start.rows] == every[:PAGE]
    # The rows are the very rows the exact way reads.
    total, rows = listing.first_page(query, limit=PAGE, today=TODAY)
    assert total == len(every) and start.rows == rows


@pytest.mark.parametrize("query", SEARCHES, ids=str)
def test_within_the_cap_the_count_is_exact(seeded: Database, query: CaseQuery) -> None:
    listing = CaseList(seeded)
    every = listing.matching_ids(query, today=TODAY)
    start = listing.start(query, limit=PAGE, cap=len(every), today=TODAY)
    assert not start.capped and start.count == len(every)
    assert [row.id for row in start.rows] == every[:PAGE]


@pytest.mark.parametrize(
    "query",
    [
        CaseQuery(search="zzzz"),
        CaseQuery(search="LE1", quick="all"),
        CaseQuery(quick="all"),
        CaseQuery(),
        CaseQuery(quick="closed", sort="school"),
    ],
    ids=str,
)
def test_few_matches_or_no_search_are_counted_in_full(seeded: Database, query: CaseQuery) -> None:
    listing = CaseList(seeded)
    every = listing.matching_ids(query, today=TODAY)
    start = listing.start(query, limit=PAGE, cap=max(CAP, len(every)), today=TODAY)
    assert not start.capped and start.count == len(every)
    assert [row.id for row in start.rows] == every[:PAGE]
    # No search: never capped, however small the cap.
    if not query.search:
        small = listing.start(query, limit=PAGE, cap=1, today=TODAY)
        assert not small.capped and small.count == len(every)


def test_a_date_of_birth_search_is_capped_too(seeded: Database) -> None:
    listing = CaseList(seeded)
    born = listing.page(CaseQuery(quick="all"), offset=0, limit=1, today=TODAY)[0].date_of_birth
    assert born is not None
    query = CaseQuery(search=born.strftime("%d/%m/%Y"), quick="all")
    every = listing.matching_ids(query, today=TODAY)
    assert every
    capped = listing.start(query, limit=PAGE, cap=0, today=TODAY)
    assert capped.capped and capped.count == 0
    assert [row.id for row in capped.rows] == every[:PAGE]


def test_no_rows_asked_still_counts(seeded: Database) -> None:
    listing = CaseList(seeded)
    query = CaseQuery(search="primary")
    every = listing.matching_ids(query, today=TODAY)
    start = listing.start(query, limit=0, cap=len(every) + 1, today=TODAY)
    assert start.rows == [] and start.count == len(every) and not start.capped


def test_a_capped_search_reads_the_index_not_every_match(seeded: Database) -> None:
    """The count reads the full-text matches as they come, each case checked in the narrow
    index led by its id (not its row: a page of the table per match), and stops at the cap
    (no list of every match is made first); the page walks the name index, with no sort
    of every match."""
    listing = CaseList(seeded)
    query = CaseQuery(search="a", quick="open")
    count_plan, page_plan = query_plans.plans(
        seeded, lambda: listing.start(query, limit=PAGE, cap=CAP, today=TODAY)
    )
    assert "SCAN case_search VIRTUAL TABLE" in count_plan, count_plan
    assert "SEARCH cases USING COVERING INDEX ix_cases_by_id (id=?" in count_plan, count_plan
    assert "PRIMARY KEY" not in count_plan, count_plan
    assert "LIST SUBQUERY" not in count_plan, count_plan
    assert "SCAN cases" not in count_plan, count_plan
    ids_part = page_plan.split(" | SCAN anon_1")[0]
    assert "ix_cases_list_name" in ids_part, ids_part
    assert "USE TEMP B-TREE FOR ORDER BY" not in ids_part, ids_part


@pytest.mark.parametrize(
    "query",
    [
        CaseQuery(search="a", quick="all", cohort="cme"),
        CaseQuery(search="a", quick="open", owner="nobody"),
        CaseQuery(search="a", quick="not_visited", step=1),
    ],
    ids=str,
)
def test_a_capped_count_is_right_when_the_index_holds_not_every_column(
    seeded: Database, query: CaseQuery
) -> None:
    """The record and the owner are not in ``ix_cases_by_id``: those cases are still
    counted right (up to the cap) through it."""
    listing = CaseList(seeded)
    every = listing.matching_ids(query, today=TODAY)
    start = listing.start(query, limit=PAGE, cap=CAP, today=TODAY)
    assert start.count == min(len(every), CAP)
    assert start.capped == (len(every) > CAP)
    assert [r.id for r in start.rows] == every[:PAGE]
