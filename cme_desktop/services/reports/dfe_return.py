"""The DfE termly children-missing-education return at a census day, as the DfE collects it.

Who counts (the DfE's definition, ``docs/dfe-return.md``): a child is missing
education on the census day when

- CME was **confirmed** on or before that day (``Case.cme_confirmed_on``: checks
  done, no school place, no suitable education) — a referral still being checked
  is not counted;
- the child is of compulsory school age on that day; and
- the case is open at the end of that day, **or** its last closing was as
  untraceable and it was not yet passed on (to the lost pupils database or another
  authority) by that day. Closing as untraceable does not by itself take a child
  out of the count; the closing's record of where and when the case was passed on
  (``CaseClosure.passed_on_to`` / ``passed_on_on``) does, from that day.

Each counted child is reported by sex, national-curriculum year group, length of
time missing (from the day last attended, or from the day CME was confirmed when
that is not known) and DfE primary reason; with the number missing education at
any point in the previous academic year. The return is blocked while a counted
child lacks a sex, a date of birth or a current DfE reason (none, or one the
authority has retired in Settings > DfE return codes, ``dfe_codebook``):
``DfeReturn.blockers`` lists those cases for the officer to open and complete. The
codes written are the authority's (``DfeReturn.codebook``). All dates are dates in
England.

Most cases are counted in SQL (``_plain``: never reopened, not closed as
untraceable, nothing missing): one grouped pass over the cases (``_counts``) gives
the children counted on the census day, how many were missing in the previous year,
and the ids of the other cases (reopened, untraceable, or lacking a detail), so that
the return costs one pass over the cases at any size. Those others are read by id
and worked out one by one in Python by the same rules (``_children``). A test holds
the two ways to the same figures.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, cast, or_, select
from sqlalchemy.orm import Session

from cme_desktop.models.closures import CaseClosure
from cme_desktop.models.records import Case
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.reports import dfe_codes as codes
from cme_desktop.services.reports.counting import (
    DOBS,
    Spell,
    all_rows,
    counted_rows,
    dates_of_birth,
    fill_dobs,
    iso_text,
    not_reopened,
    open_at_end_of_clause,
    reopened_spells,
    scan,
)
from cme_desktop.services.reports.dfe_codebook import DEFAULT, Codebook, read_codebook
from cme_desktop.services.reports.dfe_ehe import EheFigures, ehe_figures, ehe_tables
from cme_desktop.services.reports.periods import Period, academic_year_before
from cme_desktop.services.reports.tables import Row, Table
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.rules.school_age import compulsory_school_age, school_year_group
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database

UNTRACEABLE = "untraceable"
#: Cases read by id at a time (``_children``): well within either engine's bound parameters.
_BATCH = 500


@dataclass(frozen=True)
class Blocker:
    """A case the return counts that lacks something the DfE needs."""

    case_id: int
    reference: str
    full_name: str
    missing: tuple[str, ...]

    @property
    def text(self) -> str:
        """``CME-000012 Amelia Hart: no sex, no DfE reason``."""
        return f"{self.reference} {self.full_name}: " + ", ".join(self.missing)


@dataclass(frozen=True, order=True)
class Counted:
    """The children of one sex, year group, length band and reason, in the return's codes."""

    sex: str
    year: str
    band: str
    reason: str
    children: int = 1


@dataclass(frozen=True)
class DfeReturn:
    """The DfE termly children-missing-education return at a census day."""

    census_date: date
    previous_year: Period
    la_number: str
    tables: tuple[Table, ...]
    counted: tuple[Counted, ...]
    previous_year_total: int
    blockers: tuple[Blocker, ...]
    generated_on: date
    #: The codes the return writes (Settings > DfE return codes).
    codebook: Codebook = DEFAULT
    #: The EHE half from the register (``dfe_ehe``); None when the register is not kept here.
    ehe: EheFigures | None = None

    @property
    def missing_total(self) -> int:
        return sum(c.children for c in self.counted)

    def count(self, topic: str) -> Counter[str]:
        """Children by ``sex``, ``year``, ``band`` or ``reason`` (a ``Counted`` field)."""
        return _count(self.counted, topic)

    @property
    def ready(self) -> bool:
        """True when every counted child has what the DfE needs and the LA number is set."""
        return not self.blockers and bool(self.la_number)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


@dataclass(frozen=True)
class _Child:
    case_id: int
    full_name: str
    dob: date | None
    sex: str
    reason: str
    confirmed: date
    last_attended: date | None
    spells: tuple[Spell, ...]
    passed_on: date | None


def _passed_on_days(session: Session, case_ids: list[int]) -> dict[int, date]:
    """The day each untraceable case was recorded as passed on (``CaseClosure``)."""
    if not case_ids:
        return {}
    rows = all_rows(
        session,
        select(CaseClosure.case_id, CaseClosure.passed_on_on).where(
            CaseClosure.case_id.in_(case_ids), CaseClosure.passed_on_to != ""
        ),
    )
    return {case_id: day for case_id, day in rows if day is not None}


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _plain(spells: dict[int, list[Spell]], reasons: frozenset[str]) -> ColumnElement[bool]:
    """Cases counted in SQL: never reopened, not closed as untraceable, and holding a
    date of birth, a sex and a current DfE reason. Every other case is worked out in Python."""
    return and_(
        *not_reopened(spells),
        Case.closing_outcome != UNTRACEABLE,
        # ``scan``: one pass over the table, not a walk of the date-of-birth index.
        scan(Case.date_of_birth).isnot(None),
        Case.sex.in_(sorted(codes.SEX_KEYS)),
        Case.dfe_reason.in_(sorted(reasons)),
    )


def _children(
    session: Session, spells: dict[int, list[Spell]], case_ids: list[int]
) -> list[_Child]:
    """The cases not counted in SQL (``_plain``) that ``_counts`` found, with their open
    spells: read by id, a few hundred rows at a time."""
    rows: list[Any] = []
    for first in range(0, len(case_ids), _BATCH):
        rows += all_rows(
            session,
            # Dates as the ISO text SQLite holds, read by ``date.fromisoformat``: the
            # ORM's own date conversion costs more than the rest of the work.
            select(
                Case.id,
                Case.full_name,
                iso_text(Case.date_of_birth),
                Case.sex,
                Case.dfe_reason,
                iso_text(Case.cme_confirmed_on),
                iso_text(Case.date_last_attended),
                iso_text(Case.opened_on),
                iso_text(Case.closed_on),
                Case.closing_outcome,
            ).where(Case.id.in_(case_ids[first : first + _BATCH])),
        )
    untraceable = [
        r[0]
        for r in rows
        if r[9] == UNTRACEABLE or any(s.outcome == UNTRACEABLE for s in spells.get(r[0], ()))
    ]
    passed = _passed_on_days(session, untraceable)
    children = []
    for (
        case_id,
        name,
        dob,
        sex,
        reason,
        confirmed,
        attended,
        opened,
        closed,
        outcome,
    ) in rows:
        dob, attended, closed = _day(dob), _day(attended), _day(closed)
        confirmed = date.fromisoformat(confirmed)
        case_spells = tuple(spells.get(case_id, ())) or (
            Spell(case_id, date.fromisoformat(opened), closed, outcome if closed else ""),
        )
        passed_on = passed.get(case_id)
        children.append(
            _Child(
                case_id,
                name,
                dob,
                sex,
                reason,
                confirmed,
                attended,
                case_spells,
                passed_on,
            )
        )
    return children


def _fill_facts(session: Session, census: date, previous: Period) -> None:
    """One row per date of birth (``DOBS``, ``idx`` 0), by ``school_age``'s rules: ``k1``
    the year group on ``census`` (0 for none), ``k2`` "1" when of compulsory school age
    on it, ``a`` to ``b`` the days of ``previous`` at compulsory school age (both NULL
    when there are none)."""
    facts: list[tuple[str, int, str, str, str | None, str | None]] = []
    for born in dates_of_birth(session):
        dob = date.fromisoformat(born)
        group = str(_year_group(dob, census) or 0)
        csa_start, csa_end = _school_age(dob)
        of_age = "1" if csa_start <= census <= csa_end else "0"
        first, last = max(previous.start, csa_start), min(previous.end, csa_end)
        if first <= last:
            facts.append((born, 0, group, of_age, first.isoformat(), last.isoformat()))
        else:
            facts.append((born, 0, group, of_age, None, None))
    fill_dobs(session, facts)


@dataclass(frozen=True)
class _Keys:
    """A counted child's year group, band, sex and reason as one number, and back: SQLite
    groups rows by one integer several times faster than by four strings."""

    sexes: tuple[str, ...]
    reasons: tuple[str, ...]

    def sql(self, year: Any, band: Any, sex: Any, reason: Any) -> Any:
        """The number in SQL: ``year`` and ``band`` (an index of ``BANDS``) as integers,
        ``sex`` and ``reason`` one of ``sexes`` and of ``reasons``."""
        sex_index = case({key: i for i, key in enumerate(self.sexes)}, value=sex)
        reason_index = case({key: i for i, key in enumerate(self.reasons)}, value=reason)
        year_band = year * len(codes.BANDS) + band
        return (year_band * len(self.sexes) + sex_index) * len(self.reasons) + reason_index

    def counted(self, number: int, children: int) -> Counted:
        rest, reason = divmod(number, len(self.reasons))
        rest, sex = divmod(rest, len(self.sexes))
        year, band = divmod(rest, len(codes.BANDS))
        return Counted(
            codes.return_sex(self.sexes[sex]),
            codes.year_code(year),
            codes.BANDS[band].key,
            self.reasons[reason],
            children,
        )


def _counts(
    session: Session,
    spells: dict[int, list[Spell]],
    census: date,
    previous: Period,
    reasons: frozenset[str],
) -> tuple[list[Counted], int, list[int]]:
    """One pass over the cases: the ``_plain`` cases counted on ``census``, how many of them
    were missing in ``previous``, and the ids of the other cases that may count on some
    day from ``previous.start`` (worked out in Python: ``_children``).

    The same rules as ``_missing_on`` and ``_missing_during``, in SQL: the school-age
    facts of each date of birth are worked out once in Python (``_fill_facts``) and
    joined. The rows are grouped by one number each, so that a few hundred come back
    however many children are counted: ``-1 - id`` for a case worked out in Python;
    else, for a ``_plain`` case, twice its ``_Keys`` number + 1 when the child counts on
    the census day (0 when not), plus 1 when they were missing in the previous year.
    """
    _fill_facts(session, census, previous)
    # ``scan``: the cases are read in one pass and each looks its facts up, rather than
    # each date of birth walking the cases' index (several times slower, encrypted). On
    # SQLite it also compares the dates as the text they are (``counting.scan``).
    facts = Case.__table__.outerjoin(
        DOBS, and_(DOBS.c.dob == scan(iso_text(Case.date_of_birth)), DOBS.c.idx == 0)
    )
    confirmed = scan(Case.cme_confirmed_on)

    # Counted on the census day: open at its end and of compulsory school age on it.
    on_day = and_(open_at_end_of_clause(census), DOBS.c.k2 == "1")
    # From the day last attended (when it is not after the census day), else from the
    # day CME was confirmed; ``NULL <= day`` is not true, so no date falls to the else.
    attended = scan(Case.date_last_attended)

    def band_since(since: Any) -> Any:
        # The bands by their index, from the same thresholds: ``n`` days or fewer before
        # the census day is on or after the day ``n`` days before it.
        return case(
            *[
                (since >= census - timedelta(days=b.last_day), i)
                for i, b in enumerate(codes.BANDS)
                if b.last_day is not None
            ],
            else_=len(codes.BANDS) - 1,
        )

    # The day chosen once, not again for each band's threshold (a sixth of the pass).
    band = case((attended <= census, band_since(attended)), else_=band_since(confirmed))
    keys = _Keys(tuple(sorted(codes.SEX_KEYS)), tuple(sorted(reasons)))
    counted_keys = keys.sql(cast(DOBS.c.k1, Integer), band, Case.sex, Case.dfe_reason)

    # Missing on some day of ``previous`` while of compulsory school age (``a`` to ``b``):
    # opened and confirmed by ``b``, and not closed by ``a`` nor by the later of the two.
    opened_iso, closed_iso = scan(iso_text(Case.opened_on)), scan(iso_text(Case.closed_on))
    confirmed_iso = scan(iso_text(Case.cme_confirmed_on))
    in_year = and_(
        opened_iso <= DOBS.c.b,
        confirmed_iso <= DOBS.c.b,
        or_(
            closed_iso.is_(None),
            and_(closed_iso > DOBS.c.a, closed_iso > opened_iso, closed_iso > confirmed_iso),
        ),
    )

    group_number = case(
        (
            _plain(spells, reasons),
            case((on_day, counted_keys + 1), else_=0) * 2 + case((in_year, 1), else_=0),
        ),
        else_=-1 - Case.id,
    )
    closed_on = scan(Case.closed_on)
    query = (
        select(group_number)
        .select_from(facts)
        .where(
            confirmed <= census,
            # Closed before the first day that matters, and not as untraceable: such a
            # case cannot count (a reopened case's row keeps its latest closing).
            or_(
                closed_on.is_(None), closed_on > previous.start, Case.closing_outcome == UNTRACEABLE
            ),
        )
    )
    on_census_day: Counter[int] = Counter()
    missing_in_year = 0
    others: list[int] = []
    for value, n in counted_rows(session, query):
        if value < 0:
            others.append(-1 - value)
            continue
        counted_as, in_previous = divmod(value, 2)
        missing_in_year += in_previous * n
        if counted_as:
            on_census_day[counted_as - 1] += n
    counted = [keys.counted(key, n) for key, n in on_census_day.items()]
    return counted, missing_in_year, sorted(others)


def _missing_spans(child: _Child) -> list[tuple[date, date | None]]:
    """The days the child counts as missing education: ``[start, end)``, ``None`` = still.

    From the confirmation, while a spell is open; the case's last closing, when it was
    as untraceable, runs on until the case is recorded as passed on (an earlier
    untraceable closing ended when the case was reopened).
    """
    spans = []
    last = child.spells[-1]
    for spell in child.spells:
        start = max(spell.start, child.confirmed)
        end = spell.end
        if end is not None and spell is last and spell.outcome == UNTRACEABLE:
            end = None if child.passed_on is None else max(end, child.passed_on)
        if end is None or start < end:
            spans.append((start, end))
    return spans


def _missing_on(child: _Child, day: date) -> bool:
    return any(start <= day and (end is None or end > day) for start, end in _missing_spans(child))


def _missing_during(child: _Child, first: date, last: date) -> bool:
    """True when the child counts as missing on some day from ``first`` to ``last`` while of
    compulsory school age."""
    if child.dob is None:
        return False
    csa_start, csa_end = _school_age(child.dob)
    lo, hi = max(first, csa_start), min(last, csa_end)
    for start, end in _missing_spans(child):
        begin = max(start, lo)
        if begin <= hi and (end is None or begin < end):
            return True
    return False


@functools.lru_cache(maxsize=65536)
def _school_age(dob: date) -> tuple[date, date]:
    # Once per date of birth: a few thousand distinct dates over 100,000 cases.
    return compulsory_school_age(dob)


@functools.lru_cache(maxsize=65536)
def _year_group(dob: date, day: date) -> int | None:
    return school_year_group(dob, day)


def _of_age(dob: date, day: date) -> bool:
    csa_start, csa_end = _school_age(dob)
    return csa_start <= day <= csa_end


def dfe_termly(
    db: Database, census_date: date, *, la_number: str | None = None, today: date | None = None
) -> DfeReturn:
    """The DfE return at ``census_date``: the children it counts, its tables and its blockers.

    A child with no date of birth cannot be placed in a year group or checked against
    compulsory school age: they are counted (their case is confirmed and open) and listed
    as blocking the return until the date is recorded. ``la_number`` defaults to the one
    in Settings.
    """
    if la_number is None:
        la_number = SettingsService(db).load().la_number
    previous = academic_year_before(census_date)
    with db.read() as session:
        book = read_codebook(session)
        reasons = book.reason_keys
        spells = reopened_spells(session)
        counted, previous_total, others = _counts(session, spells, census_date, previous, reasons)
        children = _children(session, spells, others)
        ehe = ehe_figures(session, census_date, previous)
    blockers: list[Blocker] = []
    for child in children:
        if _missing_during(child, previous.start, previous.end):
            previous_total += 1
        if not _missing_on(child, census_date):
            continue
        if child.dob is not None and not _of_age(child.dob, census_date):
            continue
        missing = []
        if child.sex not in codes.SEX_KEYS:
            missing.append("no sex recorded")
        if child.dob is None:
            missing.append("no date of birth")
        if child.reason not in reasons:
            # None, one the authority retired, or one no longer in Settings.
            missing.append(book.reason_problem(child.reason))
        if missing:
            blockers.append(
                Blocker(
                    child.case_id, case_reference(child.case_id), child.full_name, tuple(missing)
                )
            )
            continue
        assert child.dob is not None
        group = _year_group(child.dob, census_date)
        since = child.last_attended
        if since is None or since > census_date:
            since = child.confirmed
        counted.append(
            Counted(
                codes.return_sex(child.sex),
                codes.year_code(group or 0),
                codes.band_of((census_date - since).days).key,
                child.reason,
            )
        )
    # One entry per sex, year, band and reason, whichever way each was counted.
    merged: Counter[tuple[str, str, str, str]] = Counter()
    for c in counted:
        merged[c.sex, c.year, c.band, c.reason] += c.children
    counted = [Counted(*key, n) for key, n in sorted(merged.items())]
    tables = _tables(census_date, previous, counted, previous_total, len(blockers), book)
    if ehe is not None:
        tables += ehe_tables(ehe, census_date, previous)
        blocked = {b.case_id for b in blockers}
        blockers += [
            Blocker(case_id, case_reference(case_id), name, ("no date of birth (register)",))
            for case_id, name in ehe.lacking
            if case_id not in blocked
        ]
    return DfeReturn(
        census_date=census_date,
        previous_year=previous,
        la_number=la_number,
        tables=tables,
        counted=tuple(counted),
        previous_year_total=previous_total,
        blockers=tuple(sorted(blockers, key=lambda b: b.case_id)),
        generated_on=today or local_today(),
        codebook=book,
        ehe=ehe,
    )


def _count(counted: Sequence[Counted], topic: str) -> Counter[str]:
    out: Counter[str] = Counter()
    for c in counted:
        out[getattr(c, topic)] += c.children
    return out


def _coded(book: Codebook, topic: str) -> tuple[tuple[str, str], ...]:
    """(key, label with the code the CSV writes) for each current entry of ``topic``."""
    return tuple((e.key, f"{e.label} [{e.code}]") for e in book.current(topic))


def _rows(
    pairs: tuple[tuple[str, str], ...], counts: Counter[str], *, total: int | None = None
) -> tuple[Row, ...]:
    rows = [Row(key, label, (counts[key],)) for key, label in pairs]
    rows.append(Row("total", "Total", (sum(counts.values()) if total is None else total,), True))
    return tuple(rows)


def _tables(
    census: date,
    previous: Period,
    counted: list[Counted],
    previous_total: int,
    blocked: int,
    book: Codebook,
) -> tuple[Table, ...]:
    single = ("Children",)
    blocked_note = (
        f" {blocked} more counted child(ren) lack details and are not in these figures yet."
        if blocked
        else ""
    )
    return (
        Table(
            "dfe_sex",
            f"Children missing education on {format_date(census)}, by sex",
            single,
            _rows(_coded(book, "sex"), _count(counted, "sex")),
            "CME confirmed on or before the census day; open on it, or closed as untraceable "
            "and not yet passed on. 'Unknown' holds sex not known and other." + blocked_note,
        ),
        Table(
            "dfe_year",
            "By national-curriculum year group",
            single,
            _rows(_coded(book, "year"), _count(counted, "year")),
            "The child's year group for their age (school year from 1 September).",
        ),
        Table(
            "dfe_duration",
            "By length of time missing education",
            single,
            _rows(_coded(book, "band"), _count(counted, "band")),
            "From the date last attended, or from the day CME was confirmed if that is not "
            "known, to the census day. Less than 2 weeks = 0 to 13 days; 2 to 4 weeks = 14 to "
            "28 days, and so on.",
        ),
        Table(
            "dfe_reason",
            "By DfE primary reason",
            single,
            _rows(_coded(book, "reason"), _count(counted, "reason")),
            "The DfE reason recorded on each case (proposed from the policy's reason and "
            "groups, confirmed by the officer). In brackets: the code the CSV writes "
            "(Settings > DfE return codes).",
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
            "Each child counted once: confirmed as CME and missing on some day of the year "
            "while of compulsory school age.",
        ),
    )
