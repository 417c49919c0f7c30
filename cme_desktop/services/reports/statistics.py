"""CME statistics: the quarterly report (policy 9.0), the DfE termly return, pupils without a place.

Everything is counted in SQL over the case rows and their indexes; only the
few figures that need per-child rules (ages, year groups, compulsory school
age, the spread of durations) are worked out in Python on the rows a period
selects.

How the figures are counted, so that they can be challenged:

- *Quarters* are calendar quarters: Q1 January-March, Q2 April-June,
  Q3 July-September, Q4 October-December.
- A case is *open on a day* when it was opened on or before that day and not
  closed on or before it (``opened_on <= day < closed_on``). *Open at the
  start* of a quarter means open at the end of the day before it starts, so
  that each quarter's start is the previous quarter's end and
  ``open at end = open at start + opened + reopened - closures``.
- *Reopened cases*: the case row keeps only its latest closure. Reopening
  writes a timeline note "Case reopened (was closed DD/MM/YYYY: outcome)",
  and these notes give every earlier closure back. A case is therefore a
  series of open spells (opened -> closed, reopened -> closed ...). Each
  closure is counted in the quarter it happened with its outcome, each spell's
  length is measured on its own (from the opening or the reopening), each
  reopening is counted in its quarter, and the case is not open between a
  closure and its reopening. Notifications, reasons and groups count the
  child once, by the date the notification was received.
- *Escalations* count decisions recorded (Escalation rows by ``decided_at``);
  a referral to both the police and social care counts under each.
- *Children by age and year group* are the children notified in the quarter,
  with their age and year group on the quarter's last day.
- *DfE return*: a child is missing education on the census date when their
  case is open on that date and they are of compulsory school age on it
  (``school_age``); time missing runs from the date last attended, or from
  the notification if that is not recorded; *up to 12 weeks* means 84 days
  or fewer. A child with no date of birth cannot be placed and is reported
  separately, not counted.
- Durations' quartiles interpolate between values, as Excel's QUARTILE.INC.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    func,
    or_,
    outerjoin,
    select,
    table,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.records import Case, CaseGroup, Escalation, TimelineEntry
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.dates import MONTH_ABBREVIATIONS, format_date
from cme_desktop.services.rules.school_age import (
    academic_year_start,
    age_on,
    compulsory_school_age,
    school_year_group,
    year_group_label,
)
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

Value = int | float | None
NOT_RECORDED = "Not recorded"
TWELVE_WEEKS = 84
TOP_SCHOOLS = 10
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)
_REOPEN_PREFIX = "Case reopened (was closed "
_REOPEN = re.compile(r"^Case reopened \(was closed (\d{2})/(\d{2})/(\d{4}): (.*?)\)\.")


# --- periods ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: Q1 Jan-Mar, Q2 Apr-Jun, Q3 Jul-Sep, Q4 Oct-Dec."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not (1 <= self.number <= 4 and 1900 <= self.year <= 9998):
            raise InvalidInput(f"There is no quarter {self.year}-Q{self.number}.", field="quarter")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026-Q3`` (also ``2026Q3``, ``2026-q3``) -> July to September 2026."""
        match = _QUARTER.match(text or "")
        if not match:
            raise InvalidInput(
                f"'{text}' is not a quarter: write it as YYYY-Qn, e.g. 2026-Q3 for July to "
                "September 2026.",
                field="quarter",
            )
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, day: date) -> Quarter:
        """The quarter that ``day`` falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The quarter's last day."""
        following = self.previous(-1)
        return following.start - timedelta(days=1)

    def previous(self, n: int = 1) -> Quarter:
        """The quarter ``n`` before this one (``n`` may be negative)."""
        index = self.year * 4 + self.number - 1 - n
        return Quarter(index // 4, index % 4 + 1)

    @property
    def label(self) -> str:
        """E.g. ``Jul–Sep 2026``."""
        first = MONTH_ABBREVIATIONS[self.start.month - 1]
        return f"{first}–{MONTH_ABBREVIATIONS[self.start.month + 1]} {self.year}"

    @property
    def period(self) -> Period:
        return Period(self.start, self.end, str(self))

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: date
    end: date
    label: str


# --- what comes out ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a table: a stable key, the policy's wording, one value per column."""

    key: str
    label: str
    values: tuple[Value, ...]
    total: bool = False


@dataclass(frozen=True)
class Table:
    """A titled table of figures; the PDF, the CSV and the window all show these."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""

    def row(self, key: str) -> Row:
        """The row with ``key`` (``KeyError`` if there is none)."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def values(self, key: str) -> tuple[Value, ...]:
        return self.row(key).values


@dataclass(frozen=True)
class QuarterlyReport:
    """Figures for a quarter, each beside the previous quarters (columns oldest first)."""

    quarter: Quarter
    quarters: tuple[Quarter, ...]
    tables: tuple[Table, ...]
    generated_on: date

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def figure(self, table: str, row: str, quarter: Quarter | None = None) -> Value:
        """One figure: ``report.figure("closed_outcome", "on_roll")`` for the chosen quarter."""
        index = self.quarters.index(quarter or self.quarter)
        return self.table(table).values(row)[index]


@dataclass(frozen=True)
class DfeReturn:
    """The DfE termly children-missing-education return at a census date."""

    census_date: date
    previous_year: Period
    tables: tuple[Table, ...]
    missing_total: int
    previous_year_total: int
    unknown_date_of_birth: int
    generated_on: date

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass(frozen=True)
class WithoutPlace:
    """An open case of a child of compulsory school age with no school place (policy 8.3)."""

    case_id: int
    reference: str
    full_name: str
    date_of_birth: date
    age: int
    year_group: str
    last_school: str
    missing_since: date
    days_missing: int
    notified_on: date
    days_since_notified: int
    current_step: int
    whereabouts_unknown: bool


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
            .where(TimelineEntry.kind == "note", TimelineEntry.summary.startswith(_REOPEN_PREFIX))
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


def _all(session: Session, query: Any) -> Sequence[Any]:
    # Core rows fetched in one go: iterating a result fetches them one by one, and
    # the ORM's row handling costs more than the counting itself over 100,000 rows.
    return session.connection().execute(query).all()


def _scan(col: Any) -> Any:
    """``+column``: SQLite then reads the table in one pass instead of through the index.

    A report's ranges select a good part of the table; fetching each of those rows
    through an index costs several times a single pass over an encrypted table
    (measured: 0.44 s against 0.12 s over 100,000 cases), and a pass is bounded.
    """
    return UnaryExpression(col, operator=operators.custom_op("+"), type_=col.type)


def _bucket(col: Any, periods: Sequence[Period]) -> Any:
    col = _scan(col)
    return case(*[(col.between(p.start, p.end), i) for i, p in enumerate(periods)], else_=None)


def _time_bucket(col: Any, periods: Sequence[Period]) -> Any:
    col = _scan(col)
    return case(
        *[(and_(col >= _midnight(p.start), col < _after(p.end)), i) for i, p in enumerate(periods)],
        else_=None,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time())


def _grouped(
    session: Session,
    periods: Sequence[Period],
    date_col: Any,
    keys: Sequence[Any],
    *where: ColumnElement[bool],
    timed: bool = False,
) -> list[tuple[Any, ...]]:
    """``(period index, *keys, count)`` rows from one grouped pass over the periods' range."""
    bucket = (_time_bucket if timed else _bucket)(date_col, periods).label("bucket")
    first, last = periods[0].start, periods[-1].end
    span = (
        and_(_scan(date_col) >= _midnight(first), _scan(date_col) < _after(last))
        if timed
        else _scan(date_col).between(first, last)
    )
    query = select(bucket, *keys, func.count()).where(*where, span)
    return [tuple(r) for r in _all(session, query.group_by(bucket, *keys))]


def _marginal(rows: Iterable[tuple[Any, ...]], position: int, width: int) -> dict[str, list[int]]:
    """``{key: [count in each period]}`` for the key at ``position`` of ``_grouped`` rows."""
    out: dict[str, list[int]] = {}
    for row in rows:
        out.setdefault(str(row[position] or ""), [0] * width)[row[0]] += int(row[-1])
    return out


def _vocab_rows(
    terms: Iterable[vocab.Term],
    counts: dict[str, list[int]],
    width: int,
    *,
    total: bool = True,
    blank: str = NOT_RECORDED,
) -> tuple[Row, ...]:
    terms = tuple(terms)
    zero = [0] * width
    rows = [Row(t.key, t.label, tuple(counts.get(t.key, zero))) for t in terms]
    known = {t.key for t in terms}
    for key in sorted(k for k in counts if k not in known):
        rows.append(Row(key, key or blank, tuple(counts[key])))
    if total:
        sums = tuple(sum(int(r.values[i] or 0) for r in rows) for i in range(width))
        rows.append(Row("total", "Total", sums, total=True))
    return tuple(rows)


def _only(counts: dict[str, list[int]], terms: Iterable[vocab.Term]) -> dict[str, list[int]]:
    keys = {t.key for t in terms}
    return {k: v for k, v in counts.items() if k in keys}


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """The ``p`` quantile by linear interpolation (Excel's QUARTILE.INC / PERCENTILE.INC)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * p
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


_SPREAD_KEYS = ("closed", "median", "lower_quartile", "upper_quartile", "shortest", "longest")
_SPREAD_LABELS = (
    "Cases closed",
    "Median (days)",
    "Lower quartile (days)",
    "Upper quartile (days)",
    "Shortest (days)",
    "Longest (days)",
)


def _spread(days: list[int]) -> tuple[Value, ...]:
    if not days:
        return (0, None, None, None, None, None)
    ordered = sorted(float(d) for d in days)
    return (
        len(days),
        _tidy(quantile(ordered, 0.5)),
        _tidy(quantile(ordered, 0.25)),
        _tidy(quantile(ordered, 0.75)),
        int(ordered[0]),
        int(ordered[-1]),
    )


def _tidy(value: float) -> Value:
    return int(value) if value == int(value) else round(value, 1)


def _not_reopened(spells: dict[int, list[Spell]]) -> list[ColumnElement[bool]]:
    return [Case.id.not_in(list(spells))] if spells else []


def _open_at_end_of(day: date) -> ColumnElement[bool]:
    closed_on = _scan(Case.closed_on)
    return and_(_scan(Case.opened_on) <= day, or_(closed_on.is_(None), closed_on > day))


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
    opened_on = _scan(Case.opened_on)
    columns = [func.sum(case((_open_at_end_of(d), 1), else_=0)) for d in days]
    columns += [func.sum(case((opened_on.between(p.start, p.end), 1), else_=0)) for p in opened_in]
    row = session.connection().execute(select(*columns).where(*_not_reopened(spells))).one()
    counts = [int(v or 0) for v in row]
    for case_spells in spells.values():
        for i, day in enumerate(days):
            counts[i] += any(s.open_at_end_of(day) for s in case_spells)
        for i, period in enumerate(opened_in, start=len(days)):
            counts[i] += period.start <= case_spells[0].start <= period.end
    return counts


@functools.lru_cache(maxsize=65536)
def _csa_bounds(dob: str) -> tuple[str, str]:
    """First and last day of compulsory school age, as ISO strings, for an ISO date of birth."""
    start, end = compulsory_school_age(date.fromisoformat(dob))
    return start.isoformat(), end.isoformat()


@functools.lru_cache(maxsize=65536)
def _age_keys(dob: str | None, on: date) -> tuple[str, str]:
    """The age band and year-group key of a child born on ``dob`` (ISO) on the day ``on``."""
    if not dob or date.fromisoformat(dob) > on:
        return "", ""
    born = date.fromisoformat(dob)
    age = age_on(born, on)
    group = school_year_group(born, on)
    age_key = "under_5" if age < 5 else "16_plus" if age >= 16 else str(age)
    return age_key, "outside" if group is None else str(group)


def _iso(col: Any) -> Any:
    # Dates as the ISO text SQLite holds: compared as text, converted only where needed.
    return type_coerce(col, String)


#: Per date of birth (and period), what Python's school-age rules say, for SQL to join on.
_DOBS = table(
    "cme_report_dobs",
    column("dob", String),
    column("idx", Integer),
    column("k1", String),
    column("k2", String),
    column("a", String),
    column("b", String),
    schema="temp",
)


def _dobs(session: Session) -> list[str]:
    """Every date of birth on record (a few thousand at most: one per day of 20 years)."""
    query = select(_iso(Case.date_of_birth)).where(Case.date_of_birth.isnot(None)).distinct()
    return [row[0] for row in _all(session, query)]


def _fill_dobs(session: Session, rows: Iterable[tuple[str, int, str, str, str, str]]) -> None:
    """Fill the in-memory table of school-age facts (temp tables stay in memory, never on disk).

    The rules of ``school_age`` are applied once per date of birth in Python, and
    SQL joins each case to its row: the counting stays in SQL without the rules
    being written twice.
    """
    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS cme_report_dobs (dob TEXT NOT NULL, idx INTEGER NOT "
        "NULL, k1 TEXT, k2 TEXT, a TEXT, b TEXT, PRIMARY KEY (dob, idx))"
    )
    conn.exec_driver_sql("DELETE FROM temp.cme_report_dobs")
    values = list(rows)
    if values:
        conn.exec_driver_sql("INSERT INTO temp.cme_report_dobs VALUES (?, ?, ?, ?, ?, ?)", values)


# --- the quarterly report ------------------------------------------------------------------


@dataclass
class _Figures:
    """The figures of a run of consecutive periods, worked out in one session."""

    session: Session
    periods: Sequence[Period]
    spells: dict[int, list[Spell]] = field(init=False)

    def __post_init__(self) -> None:
        self.spells = reopened_spells(self.session)
        self.width = len(self.periods)
        self._notified: dict[str, dict[str, list[int]]] | None = None

    def notified(self) -> dict[str, dict[str, list[int]]]:
        """Notifications by route, agency, reason, age, year group and school.

        Keyed ``route``, ``agency``, ``reason``, ``age``, ``year_group`` and ``school``;
        ages and year groups are on each period's last day.
        """
        if self._notified is not None:
            return self._notified
        rows = _grouped(self.session, self.periods, Case.notified_on, (func.trim(Case.school),))
        found = {"school": _marginal(rows, 1, self.width)}
        ends = [p.end for p in self.periods]
        _fill_dobs(
            self.session,
            (
                (dob, i, *_age_keys(dob, end), "", "")
                for dob in _dobs(self.session)
                for i, end in enumerate(ends)
            ),
        )
        # One pass for five breakdowns: the groups multiply to a few thousand at most
        # (age and year group go together), far fewer than the cases.
        bucket = _bucket(Case.notified_on, self.periods)
        joined = outerjoin(
            Case, _DOBS, and_(_DOBS.c.dob == _scan(_iso(Case.date_of_birth)), _DOBS.c.idx == bucket)
        )
        keys = (
            _DOBS.c.k1,
            _DOBS.c.k2,
            Case.identification_route,
            Case.referring_agency,
            Case.reason_missing,
        )
        query = (
            select(bucket, *keys, func.count())
            .select_from(joined)
            .where(_scan(Case.notified_on).between(self.periods[0].start, self.periods[-1].end))
            .group_by(bucket, *keys)
        )
        rows = [tuple(r) for r in _all(self.session, query)]
        for i, name in enumerate(("age", "year_group", "route", "agency", "reason"), start=1):
            found[name] = _marginal(rows, i, self.width)
        self._notified = found
        return found

    def groups(self) -> dict[str, list[int]]:
        bucket = _bucket(Case.notified_on, self.periods).label("bucket")
        query = (
            select(bucket, CaseGroup.group_key, func.count())
            .join(Case, Case.id == CaseGroup.case_id)
            .where(_scan(Case.notified_on).between(self.periods[0].start, self.periods[-1].end))
            .group_by(bucket, CaseGroup.group_key)
        )
        return _marginal(_all(self.session, query), 1, self.width)

    def closures(self) -> tuple[dict[str, list[int]], list[list[int]]]:
        """Closures by outcome per period, and each closed spell's length in days."""
        days = cast(func.julianday(Case.closed_on) - func.julianday(Case.opened_on), Integer)
        rows = _grouped(
            self.session,
            self.periods,
            Case.closed_on,
            (Case.closing_outcome, days),
            *_not_reopened(self.spells),
        )
        by_outcome = _marginal(rows, 1, self.width)
        lengths: list[list[int]] = [[] for _ in self.periods]
        for index, _outcome, length, n in rows:
            lengths[index].extend([int(length)] * int(n))
        for spell in (s for spells in self.spells.values() for s in spells):
            index = self._index(spell.end)
            if index is not None and spell.end is not None:
                by_outcome.setdefault(spell.outcome, [0] * self.width)[index] += 1
                lengths[index].append((spell.end - spell.start).days)
        return by_outcome, lengths

    def caseload(self, closed_total: Sequence[int]) -> tuple[Row, ...]:
        days = [p.start - timedelta(days=1) for p in self.periods] + [p.end for p in self.periods]
        counts = open_at_end_of(self.session, days, self.spells, opened_in=self.periods)
        at_start, at_end = counts[: self.width], counts[self.width : 2 * self.width]
        opened = counts[2 * self.width :]
        reopened = [0] * self.width
        for spells in self.spells.values():
            for spell in spells[1:]:
                index = self._index(spell.start)
                if index is not None:
                    reopened[index] += 1
        return (
            Row("open_start", "Open at the start of the quarter", tuple(at_start)),
            Row("opened", "Cases opened", tuple(opened)),
            Row("reopened", "Cases reopened", tuple(reopened)),
            Row("closed", "Closures", tuple(closed_total)),
            Row("open_end", "Open at the end of the quarter", tuple(at_end), total=True),
        )

    def escalations(self) -> tuple[Row, ...]:
        rows = _grouped(
            self.session, self.periods, Escalation.decided_at, (Escalation.decision,), timed=True
        )
        counts = _marginal(rows, 1, self.width)
        zero = [0] * self.width

        def either(*keys: str) -> tuple[int, ...]:
            return tuple(sum(counts.get(k, zero)[i] for k in keys) for i in range(self.width))

        return (
            Row(
                "police",
                "Referred to the Police (policy 5.0)",
                either("refer_police", "refer_both"),
            ),
            Row(
                "social_care",
                "Referred to Children's Social Care (policy 6.0)",
                either("refer_social_care", "refer_both"),
            ),
            *_vocab_rows(vocab.ESCALATION_DECISIONS, counts, self.width, total=False),
            Row("total", "Decisions recorded", either(*counts), total=True),
        )

    def visits(self) -> tuple[Row, ...]:
        rows = _grouped(
            self.session,
            self.periods,
            TimelineEntry.occurred_at,
            (TimelineEntry.outcome,),
            TimelineEntry.kind == "visit",
            timed=True,
        )
        return _vocab_rows(vocab.VISIT_OUTCOMES, _marginal(rows, 1, self.width), self.width)

    def children(self) -> tuple[tuple[Row, ...], tuple[Row, ...], tuple[Row, ...]]:
        """Children notified in each period by age, year group (on its last day) and school."""
        notified = self.notified()
        ages, groups, schools = notified["age"], notified["year_group"], notified["school"]
        age_terms = [vocab.Term("under_5", "Under 5")]
        age_terms += [vocab.Term(str(a), f"{a}") for a in range(5, 16)]
        age_terms += [vocab.Term("16_plus", "16 and over")]
        group_terms = [vocab.Term(str(g), year_group_label(g)) for g in range(0, 14)]
        group_terms.append(vocab.Term("outside", "Outside Reception to Year 13"))
        no_dob = "Date of birth not recorded"
        return (
            _vocab_rows(age_terms, ages, self.width, blank=no_dob),
            _vocab_rows(group_terms, groups, self.width, blank=no_dob),
            self._top_schools(schools),
        )

    def _top_schools(self, schools: dict[str, list[int]]) -> tuple[Row, ...]:
        named = [(k, v) for k, v in schools.items() if k]
        named.sort(key=lambda kv: (-kv[1][-1], -sum(kv[1]), kv[0].casefold()))
        rows = [Row(k, k, tuple(v)) for k, v in named[:TOP_SCHOOLS]]
        rest = named[TOP_SCHOOLS:]
        if rest:
            sums = tuple(sum(v[i] for _, v in rest) for i in range(self.width))
            rows.append(Row("other", f"Other schools ({len(rest)})", sums))
        if "" in schools:
            rows.append(Row("", NOT_RECORDED, tuple(schools[""])))
        totals = tuple(sum(int(r.values[i] or 0) for r in rows) for i in range(self.width))
        rows.append(Row("total", "Total", totals, total=True))
        return tuple(rows)

    def _index(self, day: date | None) -> int | None:
        if day is None:
            return None
        for i, period in enumerate(self.periods):
            if period.start <= day <= period.end:
                return i
        return None


def quarterly(
    db: Database, quarter: Quarter, *, previous: int = 3, today: date | None = None
) -> QuarterlyReport:
    """The figures for ``quarter`` beside the ``previous`` quarters before it (no names)."""
    if not 0 <= previous <= 11:
        raise InvalidInput("Compare with 0 to 11 previous quarters.", field="previous")
    quarters = tuple(quarter.previous(n) for n in range(previous, -1, -1))
    columns = tuple(q.label for q in quarters)
    with db.read() as session:
        fig = _Figures(session, [q.period for q in quarters])
        width = fig.width
        by_outcome, lengths = fig.closures()
        outcome_rows = _vocab_rows(vocab.CLOSING_OUTCOMES, by_outcome, width)
        closed_total = [int(v or 0) for v in outcome_rows[-1].values]
        group_counts = fig.groups()
        notified = fig.notified()
        by_route, by_agency, by_reason = (notified[k] for k in ("route", "agency", "reason"))
        ages, year_groups, schools = fig.children()
        spreads = [_spread(days) for days in lengths]
        tables = (
            Table(
                "notifications_route",
                "Notifications received, by route (policy 8.1)",
                columns,
                _vocab_rows(vocab.IDENTIFICATION_ROUTES, by_route, width),
            ),
            Table(
                "notifications_agency",
                "Notifications received, by referring agency",
                columns,
                _vocab_rows(vocab.PARTNER_AGENCIES, by_agency, width),
            ),
            Table(
                "caseload",
                "Cases open and closed",
                columns,
                fig.caseload(closed_total),
                "Open at the start = open at the end of the previous quarter. A reopened case "
                "counts again when it is reopened and each closure is counted.",
            ),
            Table("closed_outcome", "Cases closed, by outcome", columns, outcome_rows),
            Table(
                "duration",
                "How long cases stayed open (cases closed in the quarter)",
                columns,
                tuple(
                    Row(key, label, tuple(s[i] for s in spreads))
                    for i, (key, label) in enumerate(zip(_SPREAD_KEYS, _SPREAD_LABELS, strict=True))
                ),
                "Days from opening (or reopening) to closure. Quartiles as Excel QUARTILE.INC.",
            ),
            Table(
                "reasons",
                "Why children went missing from education (policy 4.0)",
                columns,
                _vocab_rows(vocab.REASONS_MISSING, by_reason, width),
                "Children notified in the quarter.",
            ),
            Table(
                "at_risk",
                "Children in groups more at risk of going missing (policy 4.0)",
                columns,
                _vocab_rows(
                    vocab.AT_RISK_GROUPS,
                    _only(group_counts, vocab.AT_RISK_GROUPS),
                    width,
                    total=False,
                ),
                "Children notified in the quarter; a child may be in more than one group.",
            ),
            Table(
                "vulnerable",
                "Children in vulnerable groups (policy 4.1)",
                columns,
                _vocab_rows(
                    vocab.VULNERABLE_GROUPS,
                    _only(group_counts, vocab.VULNERABLE_GROUPS),
                    width,
                    total=False,
                ),
                "Children notified in the quarter; a child may be in more than one group.",
            ),
            Table(
                "escalations",
                "Escalations to the Police and Children's Social Care",
                columns,
                fig.escalations(),
                "Decisions recorded in the quarter. A referral to both counts under each.",
            ),
            Table("visits", "Home visits made, by outcome", columns, fig.visits()),
            Table(
                "age",
                "Children notified, by age on the last day of the quarter",
                columns,
                ages,
            ),
            Table(
                "year_group",
                "Children notified, by year group on the last day of the quarter",
                columns,
                year_groups,
                "Year group for the child's age (school year from 1 September).",
            ),
            Table("last_school", "Children notified, by last school", columns, schools),
        )
    return QuarterlyReport(
        quarter=quarter,
        quarters=quarters,
        tables=tables,
        generated_on=today or date.today(),
    )


# --- the DfE termly return ------------------------------------------------------------------

SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other or not known"))
_DFE_YEAR_GROUPS = tuple(range(0, 12))


def sex_key(gender: str) -> str:
    """``female``, ``male`` or ``other`` from the gender as recorded."""
    text = gender.strip().casefold()
    if text in {"f", "female", "girl"}:
        return "female"
    if text in {"m", "male", "boy"}:
        return "male"
    return "other"


def _sex_sql(gender: Any) -> Any:
    text = func.lower(func.trim(gender))
    return case(
        (text.in_(("f", "female", "girl")), "female"),
        (text.in_(("m", "male", "boy")), "male"),
        else_="other",
    )


def _missing_while_of_age(dob: date, spells: list[Spell], first: date, last: date) -> bool:
    """True when some day from ``first`` to ``last`` is both open and of school age."""
    csa_start, csa_end = compulsory_school_age(dob)
    for spell in spells:
        open_from = max(spell.start, first, csa_start)
        if open_from <= min(last, csa_end) and (spell.end is None or open_from < spell.end):
            return True
    return False


def _year_bounds(dob: str, first: date, last: date) -> tuple[str, str]:
    """The days from ``first`` to ``last`` that a child born on ``dob`` is of school age."""
    start, end = _csa_bounds(dob)
    return max(first.isoformat(), start), min(last.isoformat(), end)


def dfe_termly(db: Database, census_date: date, *, today: date | None = None) -> DfeReturn:
    """Children missing education on ``census_date``, and in the academic year before it."""
    year_start = academic_year_start(census_date)
    before = date(year_start.year - 1, 9, 1)
    previous = Period(
        before, year_start - timedelta(days=1), f"{before.year}/{str(year_start.year)[2:]}"
    )
    census = census_date.isoformat()
    since = func.coalesce(Case.date_last_attended, Case.notified_on)
    days = cast(func.julianday(census) - func.julianday(since), Integer)
    band = case((days < 0, "unknown"), (days <= TWELVE_WEEKS, "up_to_12"), else_="over_12")
    dob = _scan(_iso(Case.date_of_birth))
    with db.read() as session:
        spells = reopened_spells(session)
        facts = []
        for born in _dobs(session):
            start, end = _csa_bounds(born)
            group = school_year_group(date.fromisoformat(born), census_date)
            of_age = "1" if start <= census <= end else "0"
            facts.append((born, 0, "" if group is None else str(group), of_age, "", ""))
            facts.append((born, 1, "", "", *_year_bounds(born, previous.start, previous.end)))
        _fill_dobs(session, facts)
        on_day = outerjoin(Case, _DOBS, and_(_DOBS.c.dob == dob, _DOBS.c.idx == 0))
        keys = (_DOBS.c.k1, _DOBS.c.k2, _sex_sql(Case.gender), band, Case.reason_missing)
        census_query = select(*keys, func.count()).select_from(on_day).group_by(*keys)
        rows = [
            tuple(r)
            for r in _all(
                session, census_query.where(_open_at_end_of(census_date), *_not_reopened(spells))
            )
        ]
        reopened_open = [
            case_id
            for case_id, case_spells in spells.items()
            if any(s.open_at_end_of(census_date) for s in case_spells)
        ]
        if reopened_open:
            rows += [
                tuple(r) for r in _all(session, census_query.where(Case.id.in_(reopened_open)))
            ]
        in_year = _DOBS.join(Case, and_(_DOBS.c.dob == dob, _DOBS.c.idx == 1))
        opened_on, closed_on = _scan(Case.opened_on), _scan(Case.closed_on)
        previous_total = int(
            session.connection()
            .execute(
                select(func.count())
                .select_from(in_year)
                .where(
                    _DOBS.c.a <= _DOBS.c.b,
                    opened_on <= _DOBS.c.b,
                    or_(
                        closed_on.is_(None),
                        and_(closed_on > _DOBS.c.a, closed_on > opened_on),
                    ),
                    *_not_reopened(spells),
                )
            )
            .scalar_one()
        )
        if spells:
            births = dict(
                _all(session, select(Case.id, Case.date_of_birth).where(Case.id.in_(list(spells))))
            )
            previous_total += sum(
                1
                for case_id, case_spells in spells.items()
                if births.get(case_id) is not None
                and _missing_while_of_age(
                    births[case_id], case_spells, previous.start, previous.end
                )
            )
    sexes = [key for key, _ in SEXES]
    by_group: dict[str, list[int]] = {}
    duration: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unknown_dob = 0
    for group_key, of_age, sex, weeks, reason, n in rows:
        if of_age is None:
            unknown_dob += n
            continue
        if of_age != "1":
            continue
        by_group.setdefault(group_key, [0] * 3)[sexes.index(sex)] += n
        duration[weeks] += n
        reasons[reason or ""] += n
    return _dfe_return(
        census_date, previous, by_group, duration, reasons, previous_total, unknown_dob, today
    )


def _dfe_return(
    census_date: date,
    previous: Period,
    by_group: dict[str, list[int]],
    duration: Counter[str],
    reasons: Counter[str],
    previous_total: int,
    unknown_dob: int,
    today: date | None,
) -> DfeReturn:
    group_terms = [vocab.Term(str(g), year_group_label(g)) for g in _DFE_YEAR_GROUPS]
    year_rows = []
    for row in _vocab_rows(group_terms, by_group, 3, blank="Outside Reception to Year 11"):
        values = tuple(int(v or 0) for v in row.values)
        year_rows.append(Row(row.key, row.label, (*values, sum(values)), row.total))
    total = sum(int(row.values[-1] or 0) for row in year_rows if not row.total)
    single = ("Children",)
    tables = (
        Table(
            "dfe_year_sex",
            f"Children missing education on {format_date(census_date)}, by year group and sex",
            tuple(label for _, label in SEXES) + ("Total",),
            tuple(year_rows),
            "Open cases of children of compulsory school age on the census date. Year group "
            "for the child's age (school year from 1 September).",
        ),
        Table(
            "dfe_duration",
            "How long they have been missing education",
            single,
            (
                Row("up_to_12", "Up to 12 weeks", (duration["up_to_12"],)),
                Row("over_12", "Over 12 weeks", (duration["over_12"],)),
                Row("unknown", "Not known", (duration["unknown"],)),
                Row("total", "Total", (total,), total=True),
            ),
            "From the date last attended, or from the notification if that is not recorded. "
            "Up to 12 weeks = 84 days or fewer. Not known: that date is after the census date.",
        ),
        Table(
            "dfe_reason",
            "Primary reason missing education (policy 4.0)",
            single,
            _vocab_rows(vocab.REASONS_MISSING, {k: [n] for k, n in reasons.items()}, 1),
        ),
        Table(
            "dfe_previous_year",
            f"Children missing education at any point in {previous.label}",
            single,
            (
                Row(
                    "previous_year",
                    f"{format_date(previous.start)} to {format_date(previous.end)}",
                    (previous_total,),
                    total=True,
                ),
            ),
            "Each child counted once, if their case was open on a day they were of "
            "compulsory school age.",
        ),
    )
    return DfeReturn(
        census_date=census_date,
        previous_year=previous,
        tables=tables,
        missing_total=total,
        previous_year_total=previous_total,
        unknown_date_of_birth=unknown_dob,
        generated_on=today or date.today(),
    )


# --- pupils without a school place ---------------------------------------------------------


def _without_place_query(session: Session, today: date, *columns: Any) -> Any:
    """Open cases with no new school whose child is of compulsory school age ``today``."""
    iso = today.isoformat()
    _fill_dobs(
        session,
        (
            (dob, 0, "", "", "", "")
            for dob in _dobs(session)
            if _csa_bounds(dob)[0] <= iso <= _csa_bounds(dob)[1]
        ),
    )
    return (
        select(*columns)
        .select_from(Case)
        .join(_DOBS, and_(_DOBS.c.dob == _scan(_iso(Case.date_of_birth)), _DOBS.c.idx == 0))
        .where(_scan(Case.status) == "open", func.trim(Case.new_school) == "")
    )


def _without_place_rows(session: Session, today: date) -> list[tuple[Any, ...]]:
    query = _without_place_query(
        session,
        today,
        _iso(Case.date_of_birth),
        Case.id,
        Case.full_name,
        Case.school,
        _iso(func.coalesce(Case.date_last_attended, Case.notified_on)),
        _iso(Case.notified_on),
        Case.current_step,
        Case.whereabouts_unknown,
    )
    return [tuple(row) for row in _all(session, query)]


def pupils_without_place(db: Database, today: date) -> list[WithoutPlace]:
    """Open cases of children of compulsory school age today with no school place, longest first.

    The list has names: reading it is audited.
    """
    from cme_desktop.services.cases.service import case_reference

    out = []
    with db.read() as session:
        rows = _without_place_rows(session, today)
    for dob, case_id, name, school, since_iso, notified_iso, step, unknown in rows:
        born = date.fromisoformat(dob)
        since = min(date.fromisoformat(since_iso), today)
        notified = date.fromisoformat(notified_iso)
        out.append(
            WithoutPlace(
                case_id=case_id,
                reference=case_reference(case_id),
                full_name=name,
                date_of_birth=born,
                age=age_on(born, today),
                year_group=year_group_label(school_year_group(born, today)),
                last_school=school,
                missing_since=since,
                days_missing=(today - since).days,
                notified_on=notified,
                days_since_notified=max((today - notified).days, 0),
                current_step=step,
                whereabouts_unknown=bool(unknown),
            )
        )
    out.sort(key=lambda r: (-r.days_missing, r.full_name.casefold(), r.case_id))
    with db.write() as session:
        audit.record(
            session, db, action="report_read", entity="report", detail=f"without_place n={len(out)}"
        )
    return out


# --- the monthly snapshot ------------------------------------------------------------------


def snapshot_figures(db: Database, *, today: date) -> dict[str, Any]:
    """The statistics kept with a monthly save: the month just ended, and the caseload today."""
    month_end = today.replace(day=1) - timedelta(days=1)
    month = Period(month_end.replace(day=1), month_end, f"{month_end:%Y-%m}")
    with db.read() as session:
        fig = _Figures(session, [month])
        by_outcome, lengths = fig.closures()
        closed = [sum(v[0] for v in by_outcome.values())]
        caseload = {row.key: row.values[0] for row in fig.caseload(closed)}
        by_status = select(_scan(Case.status), func.count()).group_by(_scan(Case.status))
        status = {str(k): int(n) for k, n in _all(session, by_status)}
        without_place = int(
            session.connection()
            .execute(_without_place_query(session, today, func.count()))
            .scalar_one()
        )
        by_route, by_reason = fig.notified()["route"], fig.notified()["reason"]
        escalations = {row.key: row.values[0] for row in fig.escalations()}
        visits = {row.key: row.values[0] for row in fig.visits()}

        def flat(counts: dict[str, list[int]]) -> dict[str, int]:
            return {k: v[0] for k, v in sorted(counts.items()) if v[0]}

        spread = dict(zip(_SPREAD_KEYS, _spread(lengths[0]), strict=True))
        return {
            "as_at": today.isoformat(),
            "cases": sum(status.values()),
            "open": status.get("open", 0),
            "closed": status.get("closed", 0),
            "open_without_place_of_age": without_place,
            "month": month.label,
            "caseload": caseload,
            "notifications_by_route": flat(by_route),
            "notifications_by_reason": flat(by_reason),
            "closures_by_outcome": flat(by_outcome),
            "days_open": spread,
            "escalations": escalations,
            "visits": visits,
        }


# --- the service the window uses -----------------------------------------------------------


class Statistics:
    """The reports of one unlocked vault (what ``AppServices.statistics`` gives)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def quarterly(self, quarter: Quarter, *, previous: int = 3) -> QuarterlyReport:
        """See :func:`quarterly`."""
        return quarterly(self.db, quarter, previous=previous)

    def dfe_termly(self, census_date: date) -> DfeReturn:
        """See :func:`dfe_termly`."""
        return dfe_termly(self.db, census_date)

    def pupils_without_place(self, today: date | None = None) -> list[WithoutPlace]:
        """See :func:`pupils_without_place`."""
        return pupils_without_place(self.db, today or date.today())

    def record_export(self, *, report: str, detail: str = "") -> None:
        """Audit that a report left the application (saved or printed)."""
        record_export(self.db, report=report, detail=detail)


def record_export(db: Database, *, report: str, detail: str = "") -> None:
    """Audit that a report was saved to a file or printed (``detail``: kinds and dates only)."""
    with db.write() as session:
        audit.record(
            session,
            db,
            action="report_exported",
            entity="report",
            detail=f"{report} {detail}".strip(),
        )
