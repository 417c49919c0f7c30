"""The reports on both engines: the same synthetic cases give the same figures.

The quarterly report and the DfE termly return count in SQL (``reports.counting``); on
the server the same statements run on PostgreSQL. One set of demo cases (seeded, so the
same on both) is made once per engine and read by every test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Case
from cme_desktop.services.cases import demo
from cme_desktop.services.reports.counting import counted_rows
from cme_desktop.services.reports.dfe_return import dfe_termly
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.server.dialect import count_by
from cme_desktop.services.vault.database import Database
from tests.support.postgres import ENGINES, engine_database

TODAY = date(2025, 3, 18)


@pytest.fixture(scope="module")
def both(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Database]]:
    with contextlib.ExitStack() as stack:
        made: dict[str, Database] = {}
        for engine in ENGINES:
            folder = tmp_path_factory.mktemp(f"reports-{engine}")
            database = stack.enter_context(engine_database(engine, folder, request))
            demo.fill(database, cases=150, today=TODAY)
            made[engine] = database
        yield made


def test_the_quarterly_figures_are_the_same_on_both_engines(both: dict[str, Database]) -> None:
    quarter = Quarter.containing(TODAY).previous(1)
    reports = {
        engine: quarterly(db, quarter, previous=3, today=TODAY, use_kept=False)
        for engine, db in both.items()
    }
    sqlite, server = reports["sqlite"], reports["postgresql"]
    assert [t.key for t in server.tables] == [t.key for t in sqlite.tables]
    assert server.tables == sqlite.tables
    # Something was counted: the comparison is not of two empty reports.
    assert any(v for t in sqlite.tables for r in t.rows for v in r.values if v)


def test_the_dfe_return_is_the_same_on_both_engines(both: dict[str, Database]) -> None:
    returns = {
        engine: dfe_termly(db, date(2025, 1, 16), la_number="855", today=TODAY)
        for engine, db in both.items()
    }
    sqlite, server = returns["sqlite"], returns["postgresql"]
    assert server.tables == sqlite.tables
    assert server.counted == sqlite.counted
    assert server.previous_year_total == sqlite.previous_year_total
    assert [b.text for b in server.blockers] == [b.text for b in sqlite.blockers]
    assert sqlite.missing_total > 0


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_are_counted_by_their_columns_as_a_group_by_would(
    both: dict[str, Database], engine: str
) -> None:
    """``counting.counted_rows``: on SQLite the rows are counted as read, not grouped in SQL;
    every combination, an empty value included, has the number a GROUP BY gives, and its
    values are what a row holds (a date, a yes or no), not the vault's text for them."""
    db = both[engine]
    query = select(Case.status, Case.closed_on, Case.whereabouts_unknown).where(Case.id % 3 != 0)
    with db.read() as session:
        counted = sorted(counted_rows(session, query), key=repr)
        grouped = sorted(
            (tuple(r) for r in session.execute(count_by(session, query)).all()), key=repr
        )
        total = session.scalar(select(func.count()).where(Case.id % 3 != 0))
    assert counted == grouped
    assert sum(row[-1] for row in counted) == total > 50
    assert any(None in row for row in counted)  # open cases have no closing date
    assert {type(row[1]) for row in counted} == {date, type(None)}
    assert {row[2] for row in counted} == {True, False}
    assert all(type(row[2]) is bool for row in counted)
