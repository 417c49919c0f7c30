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

Most cases are counted in SQL, grouped (``_plain_counts``: never reopened, not
closed as untraceable, nothing missing), so that the return costs one pass over
the cases at any size; the others (reopened, untraceable, or lacking a detail)
are read and worked out one by one in Python by the same rules (``_children``).
A test holds the two ways to the same figures.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, not_, or_, select
from sqlalchemy.orm import Session

from cme_desktop.models.closures import CaseClosure
from cme_desktop.models.records import Case
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.reports import dfe_codes as codes
from cme_desktop.services.reports.counting import (
    DOBS,
    Spell,
    all_rows,
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
from cme_desktop.services.server.dialect import count_by, greatest
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database

UNTRACEABLE = "untraceable"


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
    session: Session,
    spells: dict[int, list[Spell]],
    first_day: date,
    last_day: date,
    reasons: frozenset[str],
) -> list[_Child]:
    """Every case confirmed as CME on or before ``last_day`` that may count on some day
    from ``first_day`` and is not counted in SQL (``_plain``), with its open spells."""
    rows = all_rows(
        session,
        # Dates as the ISO text SQLite holds, read by ``date.fromisoformat``: the
        # ORM's own date conversion costs more than the rest of the pass.
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
        ).where(
            Case.cme_confirmed_on.isnot(None),
            Case.cme_confirmed_on <= last_day,
            # Closed before the first day that matters, and not as untraceable: such a
            # case cannot count (a reopened case's row keeps its latest closing).
            or_(
                Case.closed_on.is_(None),
                Case.closed_on > first_day,
                Case.closing_outcome == UNTRACEABLE,
            ),
            not_(_plain(spells, reasons)),
        ),
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


def _plain_counts(
    session: Session,
    spells: dict[int, list[Spell]],
    census: date,
    previous: Period,
    reasons: frozenset[str],
) -> tuple[list[Counted], int]:
    """The ``_plain`` cases counted on ``census``, and how many were missing in ``previous``.

    The same rules as ``_missing_on`` and ``_missing_during``, in SQL: the school-age
    facts of each date of birth are worked out once in Python (``fill_dobs``) and
    joined, so that only the children counted on the census day come back as rows.
    """
    facts = []
    for born in dates_of_birth(session):
        dob = date.fromisoformat(born)
        group = _year_group(dob, census)
        of_age = "1" if _of_age(dob, census) else "0"
        facts.append((born, 0, "" if group is None else str(group), of_age, "", ""))
        csa_start, csa_end = _school_age(dob)
        first = max(previous.start, csa_start).isoformat()
        last = min(previous.end, csa_end).isoformat()
        facts.append((born, 1, "", "", first, last))
    fill_dobs(session, facts)
    # ``scan``: the cases are read in one pass and each looks its facts up, rather than
    # each date of birth walking the cases' index (several times slower, encrypted).
    dob = scan(iso_text(Case.date_of_birth))
    confirmed = iso_text(Case.cme_confirmed_on)
    attended = iso_text(Case.date_last_attended)
    day = census.isoformat()
    # From the day last attended (when it is not after the census day), else from the
    # day CME was confirmed; ``NULL <= day`` is not true, so no date falls to the else.
    since = case((attended <= day, attended), else_=confirmed)
    days = cast(func.julianday(day) - func.julianday(since), Integer)
    # The bands as SQL, from the same thresholds; grouped in SQL, so that a few hundred
    # rows come back however many children are counted.
    band = case(
        *[(days <= b.last_day, b.key) for b in codes.BANDS if b.last_day is not None],
        else_=codes.BANDS[-1].key,
    )
    keys = (DOBS.c.k1, Case.sex, Case.dfe_reason, band)
    on_day = count_by(
        session,
        select(*keys)
        .select_from(Case.__table__.join(DOBS, and_(DOBS.c.dob == dob, DOBS.c.idx == 0)))
        .where(
            _plain(spells, reasons),
            Case.cme_confirmed_on <= census,
            open_at_end_of_clause(census),
            DOBS.c.k2 == "1",
        ),
    )
    counted = [
        Counted(codes.return_sex(sex), codes.year_code(int(group or 0)), key, reason, int(n))
        for group, sex, reason, key, n in all_rows(session, on_day)
    ]
    start = greatest(iso_text(Case.opened_on), confirmed)  # SQLite's max(a, b)
    closed = iso_text(Case.closed_on)
    in_year = (
        select(func.count())
        .select_from(Case.__table__.join(DOBS, and_(DOBS.c.dob == dob, DOBS.c.idx == 1)))
        .where(
            _plain(spells, reasons),
            Case.cme_confirmed_on <= previous.end,
            DOBS.c.a <= DOBS.c.b,
            start <= DOBS.c.b,
            or_(closed.is_(None), and_(closed > DOBS.c.a, closed > start)),
        )
    )
    return counted, int(session.connection().execute(in_year).scalar_one())


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
        counted, previous_total = _plain_counts(session, spells, census_date, previous, reasons)
        children = _children(session, spells, previous.start, census_date, reasons)
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
    merged: Counter[Counted] = Counter()
    for c in counted:
        merged[replace(c, children=1)] += c.children
    counted = sorted(replace(c, children=n) for c, n in merged.items())
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
