"""The DfE termly children-missing-education return at a census date.

A child is missing education on the census date when their case is open on
that date and they are of compulsory school age on it (``school_age``); time
missing runs from the date last attended, or from the notification if that is
not recorded; *up to 12 weeks* means 84 days or fewer. A child with no date of
birth cannot be placed and is reported separately, not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, or_, outerjoin, select

from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.records import Case
from cme_desktop.services.reports.counting import (
    DOBS,
    Spell,
    all_rows,
    csa_bounds,
    dates_of_birth,
    fill_dobs,
    iso_text,
    not_reopened,
    open_at_end_of_clause,
    reopened_spells,
    scan,
)
from cme_desktop.services.reports.periods import Period, academic_year_before
from cme_desktop.services.reports.tables import Row, Table, vocab_rows
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.school_age import (
    compulsory_school_age,
    school_year_group,
    year_group_label,
)
from cme_desktop.services.vault.database import Database

TWELVE_WEEKS = 84

SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other or not known"))
_DFE_YEAR_GROUPS = tuple(range(0, 12))


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
    start, end = csa_bounds(dob)
    return max(first.isoformat(), start), min(last.isoformat(), end)


def dfe_termly(db: Database, census_date: date, *, today: date | None = None) -> DfeReturn:
    """Children missing education on ``census_date``, and in the academic year before it."""
    previous = academic_year_before(census_date)
    census = census_date.isoformat()
    since = func.coalesce(Case.date_last_attended, Case.notified_on)
    days = cast(func.julianday(census) - func.julianday(since), Integer)
    band = case((days < 0, "unknown"), (days <= TWELVE_WEEKS, "up_to_12"), else_="over_12")
    dob = scan(iso_text(Case.date_of_birth))
    with db.read() as session:
        spells = reopened_spells(session)
        facts = []
        for born in dates_of_birth(session):
            start, end = csa_bounds(born)
            group = school_year_group(date.fromisoformat(born), census_date)
            of_age = "1" if start <= census <= end else "0"
            facts.append((born, 0, "" if group is None else str(group), of_age, "", ""))
            facts.append((born, 1, "", "", *_year_bounds(born, previous.start, previous.end)))
        fill_dobs(session, facts)
        on_day = outerjoin(Case, DOBS, and_(DOBS.c.dob == dob, DOBS.c.idx == 0))
        keys = (DOBS.c.k1, DOBS.c.k2, _sex_sql(Case.gender), band, Case.reason_missing)
        census_query = select(*keys, func.count()).select_from(on_day).group_by(*keys)
        rows = [
            tuple(r)
            for r in all_rows(
                session,
                census_query.where(open_at_end_of_clause(census_date), *not_reopened(spells)),
            )
        ]
        reopened_open = [
            case_id
            for case_id, case_spells in spells.items()
            if any(s.open_at_end_of(census_date) for s in case_spells)
        ]
        if reopened_open:
            rows += [
                tuple(r) for r in all_rows(session, census_query.where(Case.id.in_(reopened_open)))
            ]
        in_year = DOBS.join(Case, and_(DOBS.c.dob == dob, DOBS.c.idx == 1))
        opened_on, closed_on = scan(Case.opened_on), scan(Case.closed_on)
        previous_total = int(
            session.connection()
            .execute(
                select(func.count())
                .select_from(in_year)
                .where(
                    DOBS.c.a <= DOBS.c.b,
                    opened_on <= DOBS.c.b,
                    or_(
                        closed_on.is_(None),
                        and_(closed_on > DOBS.c.a, closed_on > opened_on),
                    ),
                    *not_reopened(spells),
                )
            )
            .scalar_one()
        )
        if spells:
            births = dict(
                all_rows(
                    session, select(Case.id, Case.date_of_birth).where(Case.id.in_(list(spells)))
                )
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
    for row in vocab_rows(group_terms, by_group, 3, blank="Outside Reception to Year 11"):
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
            vocab_rows(vocab.REASONS_MISSING, {k: [n] for k, n in reasons.items()}, 1),
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
