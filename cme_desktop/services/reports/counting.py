"""Counting cases in SQL: the helpers the reports share, and the open spells of reopened cases.

Everything is counted in SQL over the case rows and their indexes; only the
few figures that need per-child rules (ages, year groups, compulsory school
age, the spread of durations) are worked out in Python on the rows a period
selects. The school-age rules are applied once per date of birth and joined
in SQL (``fill_dobs``).

- A case is *open on a day* when it was opened on or before that day and not
  closed on or before it (``opened_on <= day < closed_on``).
- *Reopened cases*: the case row keeps only its latest closure. Reopening
  writes a timeline note "Case reopened (was closed DD/MM/YYYY: outcome)",
  and these notes give every earlier closure back. A case is therefore a
  series of open spells (opened -> closed, reopened -> closed ...). Each
  closure is counted in the quarter it happened with its outcome, each spell's
  length is measured on its own (from the opening or the reopening), each
  reopening is counted in its quarter, and the case is not open between a
  closure and its reopening. Notifications, reasons and groups count the
  child once, by the date the notification was received.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    column,
    func,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.records import REOPENED_WHERE, Case, TimelineEntry
from cme_desktop.services.reports.periods import Period
from cme_desktop.services.rules.local_time import utc_end_of_local_day, utc_start_of_local_day
from cme_desktop.services.rules.school_age import compulsory_school_age
from cme_desktop.services.server.dialect import count_by, iso_date, no_index

_REOPEN = re.compile(r"^Case reopened \(was closed (\d{2})/(\d{2})/(\d{4}): (.*?)\)\.")


# --- open spells of reopened cases --------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    """One stretch of a case being open; ``end`` is the closure day (``None``: still open)."""

    case_id: int
    start: date
    end: date | None
    outcome: str = ""

    def open_at_end_of(self, day: date) -> bool:
        return self.start <= day and (self.end is None or self.end > day)


_OUTCOME_BY_LABEL = {t.label: t.key for t in vocab.CLOSING_OUTCOMES}


def reopened_spells(session: Session) -> dict[int, list[Spell]]:
    """Every open spell of each case that has been reopened (see the module docstring)."""
    notes = (
        session.connection()
        .execute(
            select(TimelineEntry.case_id, TimelineEntry.occurred_at, TimelineEntry.summary)
            # Recorded automatically ("system"); vaults from before 0005 hold them as
            # notes. Written as the partial index ``ix_timeline_reopened`` is (0014).
            .where(text(REOPENED_WHERE))
            .order_by(TimelineEntry.case_id, TimelineEntry.occurred_at, TimelineEntry.id)
        )
        .all()
    )
    events: dict[int, list[tuple[date, str, date]]] = {}
    for case_id, occurred_at, summary in notes:
        match = _REOPEN.match(summary)
        if not match:
            continue
        try:
            closed = date(int(match[3]), int(match[2]), int(match[1]))
        except ValueError:
            continue
        outcome = _OUTCOME_BY_LABEL.get(match[4], match[4])
        events.setdefault(case_id, []).append((closed, outcome, occurred_at.date()))
    if not events:
        return {}
    rows = (
        session.connection()
        .execute(
            select(Case.id, Case.opened_on, Case.closed_on, Case.closing_outcome).where(
                Case.id.in_(list(events))
            )
        )
        .all()
    )
    spells: dict[int, list[Spell]] = {}
    for case_id, opened_on, closed_on, outcome in rows:
        start = opened_on
        out = []
        for closed, earlier_outcome, reopened in events[case_id]:
            out.append(Spell(case_id, start, closed, earlier_outcome))
            start = reopened
        out.append(Spell(case_id, start, closed_on, outcome if closed_on else ""))
        spells[case_id] = out
    return spells


# --- counting helpers ----------------------------------------------------------------------


def all_rows(session: Session, query: Any) -> Sequence[Any]:
    """The rows of ``query``, as Core rows."""
    # Core rows fetched in one go: iterating a result fetches them one by one, and
    # the ORM's row handling costs more than the counting itself over 100,000 rows.
    return session.connection().execute(query).all()


def counted_rows(session: Session, query: Select[Any]) -> list[tuple[Any, ...]]:
    """``(*columns, n)``: how many of ``query``'s rows share each combination of its columns.

    SQLite groups rows by sorting them all: the DfE return's pass over 100,000 cases
    sorted 62,000 rows for 2,000 groups, ~70 ms of its ~170. Read as they come and
    counted here instead, in one dictionary, the same rows cost ~30 ms. PostgreSQL
    groups them itself (``count_by``), with no sort.
    """
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        return [tuple(r) for r in all_rows(session, count_by(session, query))]
    result = session.connection().execute(query)
    # The driver's own tuples (a row object for each of 100,000 would cost more again),
    # each combination then made the values a row would hold (a date, not its text).
    counts = Counter(result.cursor.fetchall())
    makers = [
        c.type.dialect_impl(dialect).result_processor(dialect, None) for c in query.selected_columns
    ]
    return [
        (*(v if make is None else make(v) for make, v in zip(makers, key, strict=True)), n)
        for key, n in counts.items()
    ]


def scan(col: Any) -> Any:
    """``+column``: SQLite then reads the table in one pass instead of through the index.

    A report's ranges select a good part of the table; fetching each of those rows
    through an index costs several times a single pass over an encrypted table
    (measured: 0.44 s against 0.12 s over 100,000 cases), and a pass is bounded.

    ``+column`` also has no affinity: a date, ISO text in a column of NUMERIC affinity,
    is compared with a bound date or a text column as the text it is, without SQLite
    first trying the other value as a number on every row (measured: a sixth of the DfE
    return's pass over 100,000 cases).
    """
    return no_index(col)  # on a PostgreSQL server, the column as it is (services.server)


def period_bucket(col: Any, periods: Sequence[Period]) -> Any:
    """The index of the period a date column falls in (``NULL`` when in none)."""
    col = scan(col)
    return case(*[(col.between(p.start, p.end), i) for i, p in enumerate(periods)], else_=None)


def timed_period_bucket(col: Any, periods: Sequence[Period], *, utc: bool = False) -> Any:
    """The index of the period a date-and-time column falls in (``NULL`` when in none).

    ``utc``: the column holds UTC times (``models.base.utcnow``), so a period's days
    are England's days (``rules.local_time``), not UTC's.
    """
    col = scan(col)
    return case(
        *[
            (and_(col >= _midnight(p.start, utc), col < _after(p.end, utc)), i)
            for i, p in enumerate(periods)
        ],
        else_=None,
    )


def _midnight(day: date, utc: bool = False) -> datetime:
    if utc:
        return utc_start_of_local_day(day)
    return datetime.combine(day, time())


def _after(day: date, utc: bool = False) -> datetime:
    if utc:
        return utc_end_of_local_day(day)
    return datetime.combine(day + timedelta(days=1), time())


def grouped_counts(
    session: Session,
    periods: Sequence[Period],
    date_col: Any,
    keys: Sequence[Any],
    *where: ColumnElement[bool],
    timed: bool = False,
    utc: bool = False,
    ranged: bool = False,
) -> list[tuple[Any, ...]]:
    """``(period index, *keys, count)`` rows from one grouped pass over the periods' range.

    ``timed``: ``date_col`` holds dates and times, local ones unless ``utc`` (see
    ``timed_period_bucket``). ``ranged``: an index led by ``date_col`` holds every column
    asked (``ix_cases_report``, led by the day notified): only the range's entries are
    read from it, not every case (a month of notifications at 100,000 cases: ~10 ms, not
    ~25). Otherwise the rows are read in one pass (``scan``).
    """
    bucket = (
        timed_period_bucket(date_col, periods, utc=utc)
        if timed
        else period_bucket(date_col, periods)
    ).label("bucket")
    first, last = periods[0].start, periods[-1].end
    span = (
        and_(scan(date_col) >= _midnight(first, utc), scan(date_col) < _after(last, utc))
        if timed
        else (date_col if ranged else scan(date_col)).between(first, last)
    )
    return counted_rows(session, select(bucket, *keys).where(*where, span))


def marginal(rows: Iterable[tuple[Any, ...]], position: int, width: int) -> dict[str, list[int]]:
    """``{key: [count in each period]}`` for the key at ``position`` of ``grouped_counts`` rows."""
    out: dict[str, list[int]] = {}
    for row in rows:
        out.setdefault(str(row[position] or ""), [0] * width)[row[0]] += int(row[-1])
    return out


def cme_only() -> ColumnElement[bool]:
    """The condition that a case row is a CME case: a child only on the register of
    children not in school (cohort ``cnis``) is no CME figure (``models.register``)."""
    condition: ColumnElement[bool] = scan(Case.cohort) != "cnis"
    return condition


def not_reopened(spells: dict[int, list[Spell]]) -> list[ColumnElement[bool]]:
    """A condition leaving out the reopened cases, which are counted by their spells."""
    return [Case.id.not_in(list(spells))] if spells else []


def open_at_end_of_clause(day: date) -> ColumnElement[bool]:
    """The condition that a case row is open at the end of ``day``."""
    closed_on = scan(Case.closed_on)
    return and_(scan(Case.opened_on) <= day, or_(closed_on.is_(None), closed_on > day))


def open_at_end_of(
    session: Session,
    days: Sequence[date],
    spells: dict[int, list[Spell]] | None = None,
    *,
    opened_in: Sequence[Period] = (),
) -> list[int]:
    """Cases open at the end of each of ``days``, then cases opened in each of ``opened_in``.

    One pass over the cases for all of them.
    """
    if spells is None:
        spells = reopened_spells(session)
    opened_on = scan(Case.opened_on)
    columns = [func.sum(case((open_at_end_of_clause(d), 1), else_=0)) for d in days]
    columns += [func.sum(case((opened_on.between(p.start, p.end), 1), else_=0)) for p in opened_in]
    query = select(*columns).where(*not_reopened(spells), cme_only())
    row = session.connection().execute(query).one()
    counts = [int(v or 0) for v in row]
    for case_spells in spells.values():
        for i, day in enumerate(days):
            counts[i] += any(s.open_at_end_of(day) for s in case_spells)
        for i, period in enumerate(opened_in, start=len(days)):
            counts[i] += period.start <= case_spells[0].start <= period.end
    return counts


@functools.lru_cache(maxsize=65536)
def csa_bounds(dob: str) -> tuple[str, str]:
    """First and last day of compulsory school age, as ISO strings, for an ISO date of birth."""
    start, end = compulsory_school_age(date.fromisoformat(dob))
    return start.isoformat(), end.isoformat()


def iso_text(col: Any) -> Any:
    """A date column as the ISO text SQLite holds."""
    # Dates as the ISO text SQLite holds: compared as text, converted only where needed
    # (on a PostgreSQL server, written out as that text: services.server.dialect).
    return iso_date(col)


#: Per date of birth (and period), what Python's school-age rules say, for SQL to join on.
DOBS = table(
    "cme_report_dobs",
    column("dob", String),
    column("idx", Integer),
    column("k1", String),
    column("k2", String),
    column("a", String),
    column("b", String),
    # A temporary table (fill_dobs): SQLite and PostgreSQL both find it by its name alone.
)


def dates_of_birth(session: Session) -> list[str]:
    """Every date of birth on record (a few thousand at most: one per day of 20 years)."""
    query = select(iso_text(Case.date_of_birth)).where(Case.date_of_birth.isnot(None)).distinct()
    return [row[0] for row in all_rows(session, query)]


def fill_dobs(
    session: Session, rows: Iterable[tuple[str, int, str, str, str | None, str | None]]
) -> None:
    """Fill the in-memory table of school-age facts (temp tables stay in memory, never on disk).

    The rules of ``school_age`` are applied once per date of birth in Python, and
    SQL joins each case to its row: the counting stays in SQL without the rules
    being written twice.
    """
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS cme_report_dobs (dob TEXT NOT NULL, idx INTEGER NOT "
        "NULL, k1 TEXT, k2 TEXT, a TEXT, b TEXT, PRIMARY KEY (dob, idx))"
        # On SQLite the rows are kept in their key's order: each case's look-up is one
        # search, not a search of the key's index and then of the table.
        + (" WITHOUT ROWID" if sqlite else "")
    )
    conn.execute(DOBS.delete())
    values = list(rows)
    if not values:
        return
    if sqlite:
        # The driver's own executemany: a third of the time of SQLAlchemy's, row by row.
        conn.exec_driver_sql("INSERT INTO cme_report_dobs VALUES (?, ?, ?, ?, ?, ?)", values)
    else:
        names = ("dob", "idx", "k1", "k2", "a", "b")
        conn.execute(DOBS.insert(), [dict(zip(names, row, strict=True)) for row in values])
