"""The quarterly report for the Departmental Management Team (policy 9.0).

How the figures are counted, so that they can be challenged (the rules for
open cases and reopened cases are in ``counting``):

- *Open at the start* of a quarter means open at the end of the day before it
  starts, so that each quarter's start is the previous quarter's end and
  ``open at end = open at start + opened + reopened - closures``.
- *Escalations* count decisions recorded (Escalation rows by ``decided_at``);
  a referral to both the police and social care counts under each.
- *Children by age and year group* are the children notified in the quarter,
  with their age and year group on the quarter's last day.
- Durations' quartiles interpolate between values, as Excel's QUARTILE.INC.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.records import Case, CaseGroup, Escalation, TimelineEntry
from cme_desktop.services.errors import CmeError, InvalidInput
from cme_desktop.services.reports import stored_figures
from cme_desktop.services.reports.counting import (
    Spell,
    cme_only,
    counted_rows,
    grouped_counts,
    iso_text,
    marginal,
    not_reopened,
    open_at_end_of,
    period_bucket,
    reopened_spells,
    scan,
)
from cme_desktop.services.reports.periods import Period, Quarter
from cme_desktop.services.reports.tables import NOT_RECORDED, Row, Table, Value, vocab_rows
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.local_time import local_date_of_utc, local_today
from cme_desktop.services.rules.school_age import age_on, school_year_group, year_group_label
from cme_desktop.services.vault.database import Database

TOP_SCHOOLS = 10


@dataclass(frozen=True)
class QuarterlyReport:
    """Figures for a quarter, each beside the previous quarters (columns oldest first)."""

    quarter: Quarter
    quarters: tuple[Quarter, ...]
    tables: tuple[Table, ...]
    generated_on: date
    #: The quarters read from their kept figures, and when those were worked out (UTC).
    kept: tuple[tuple[Quarter, datetime], ...] = ()

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def figure(self, table: str, row: str, quarter: Quarter | None = None) -> Value:
        """One figure: ``report.figure("closed_outcome", "on_roll")`` for the chosen quarter."""
        index = self.quarters.index(quarter or self.quarter)
        return self.table(table).values(row)[index]


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


SPREAD_KEYS = ("closed", "median", "lower_quartile", "upper_quartile", "shortest", "longest")
_SPREAD_LABELS = (
    "Cases closed",
    "Median (days)",
    "Lower quartile (days)",
    "Upper quartile (days)",
    "Shortest (days)",
    "Longest (days)",
)


def duration_spread(days: list[int]) -> tuple[Value, ...]:
    """How long the spells lasted, in the order of ``SPREAD_KEYS``."""
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


@dataclass
class Figures:
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

        # One grouped pass per breakdown: each table needs its own marginal only, and a
        # pass grouping by all of them at once yields a row per combination (tens of
        # thousands at 100,000 cases) for Python to add up again. Each reads the periods'
        # range of ``ix_cases_report``, which holds every column asked.
        def by(*keys: Any) -> list[tuple[Any, ...]]:
            return grouped_counts(
                self.session, self.periods, Case.notified_on, keys, cme_only(), ranged=True
            )

        found = {"school": marginal(by(func.trim(Case.school)), 1, self.width)}
        rows = by(Case.identification_route, Case.referring_agency, Case.reason_missing)
        for i, name in enumerate(("route", "agency", "reason"), start=1):
            found[name] = marginal(rows, i, self.width)
        # Ages and year groups on each period's last day, from the date of birth: the
        # rules of ``school_age`` once per date of birth and period, not per child.
        ends = [p.end for p in self.periods]
        ages: dict[str, list[int]] = {}
        groups: dict[str, list[int]] = {}
        for index, dob, n in by(iso_text(Case.date_of_birth)):
            age_key, group_key = _age_keys(dob, ends[index])
            ages.setdefault(age_key, [0] * self.width)[index] += int(n)
            groups.setdefault(group_key, [0] * self.width)[index] += int(n)
        found["age"], found["year_group"] = ages, groups
        self._notified = found
        return found

    def groups(self) -> dict[str, list[int]]:
        bucket = period_bucket(Case.notified_on, self.periods).label("bucket")
        query = (
            select(bucket, CaseGroup.group_key)
            .join(Case, Case.id == CaseGroup.case_id)
            .where(
                scan(Case.notified_on).between(self.periods[0].start, self.periods[-1].end),
                cme_only(),
            )
        )
        return marginal(counted_rows(self.session, query), 1, self.width)

    def closures(self) -> tuple[dict[str, list[int]], list[list[int]]]:
        """Closures by outcome per period, and each closed spell's length in days."""
        days = cast(func.julianday(Case.closed_on) - func.julianday(Case.opened_on), Integer)
        rows = grouped_counts(
            self.session,
            self.periods,
            Case.closed_on,
            (Case.closing_outcome, days),
            *not_reopened(self.spells),
            cme_only(),
        )
        by_outcome = marginal(rows, 1, self.width)
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

    def escalation_counts(self) -> dict[str, list[int]]:
        """Decisions recorded in each period, by decision."""
        rows = grouped_counts(
            self.session,
            self.periods,
            Escalation.decided_at,
            (Escalation.decision,),
            timed=True,
            # Decisions are timed in UTC (``utcnow``): counted by England's days.
            utc=True,
        )
        return marginal(rows, 1, self.width)

    def escalations(self) -> tuple[Row, ...]:
        """Referrals to the Police and Social Care, then each decision, per period."""
        return _escalation_rows(self.escalation_counts(), self.width)

    def visits(self) -> tuple[Row, ...]:
        """Home visits made in each period, by outcome."""
        return vocab_rows(vocab.VISIT_OUTCOMES, self.visit_counts(), self.width)

    def visit_counts(self) -> dict[str, list[int]]:
        """Home visits made in each period, by outcome."""
        rows = grouped_counts(
            self.session,
            self.periods,
            TimelineEntry.occurred_at,
            (TimelineEntry.outcome,),
            TimelineEntry.kind == "visit",
            # A visit struck through as recorded in error is not counted.
            TimelineEntry.deleted_at.is_(None),
            timed=True,
        )
        return marginal(rows, 1, self.width)

    def _index(self, day: date | None) -> int | None:
        if day is None:
            return None
        for i, period in enumerate(self.periods):
            if period.start <= day <= period.end:
                return i
        return None


def _escalation_rows(counts: dict[str, list[int]], width: int) -> tuple[Row, ...]:
    zero = [0] * width

    def either(*keys: str) -> tuple[int, ...]:
        return tuple(sum(counts.get(k, zero)[i] for k in keys) for i in range(width))

    return (
        Row("police", "Referred to the Police (policy 5.0)", either("refer_police", "refer_both")),
        Row(
            "social_care",
            "Referred to Children's Social Care (policy 6.0)",
            either("refer_social_care", "refer_both"),
        ),
        *vocab_rows(vocab.ESCALATION_DECISIONS, counts, width, total=False),
        Row("total", "Decisions recorded", either(*counts), total=True),
    )


def _children_rows(
    ages: dict[str, list[int]], groups: dict[str, list[int]], width: int
) -> tuple[tuple[Row, ...], tuple[Row, ...]]:
    """Children notified in each period by age and year group (on its last day)."""
    age_terms = [vocab.Term("under_5", "Under 5")]
    age_terms += [vocab.Term(str(a), f"{a}") for a in range(5, 16)]
    age_terms += [vocab.Term("16_plus", "16 and over")]
    group_terms = [vocab.Term(str(g), year_group_label(g)) for g in range(0, 14)]
    group_terms.append(vocab.Term("outside", "Outside Reception to Year 13"))
    no_dob = "Date of birth not recorded"
    return (
        vocab_rows(age_terms, ages, width, blank=no_dob),
        vocab_rows(group_terms, groups, width, blank=no_dob),
    )


def _top_schools(schools: dict[str, list[int]], width: int) -> tuple[Row, ...]:
    named = [(k, v) for k, v in schools.items() if k]
    named.sort(key=lambda kv: (-kv[1][-1], -sum(kv[1]), kv[0].casefold()))
    rows = [Row(k, k, tuple(v)) for k, v in named[:TOP_SCHOOLS]]
    rest = named[TOP_SCHOOLS:]
    if rest:
        sums = tuple(sum(v[i] for _, v in rest) for i in range(width))
        rows.append(Row("other", f"Other schools ({len(rest)})", sums))
    if "" in schools:
        rows.append(Row("", NOT_RECORDED, tuple(schools[""])))
    totals = tuple(sum(int(r.values[i] or 0) for r in rows) for i in range(width))
    rows.append(Row("total", "Total", totals, total=True))
    return tuple(rows)


#: The figures of one quarter, as kept (``stored_figures``): counts by key, per breakdown.
_COUNTED = (
    "route",
    "agency",
    "reason",
    "age",
    "year_group",
    "school",
    "groups",
    "outcome",
    "escalations",
    "visits",
)
_CASELOAD = (
    ("open_start", "Open at the start of the quarter"),
    ("opened", "Cases opened"),
    ("reopened", "Cases reopened"),
    ("closed", "Closures"),
    ("open_end", "Open at the end of the quarter"),
)
REPORT = "quarterly"


def period_figures(fig: Figures) -> list[dict[str, Any]]:
    """Each period's figures on its own, as plain counts (what ``stored_figures`` keeps)."""
    width = fig.width
    by_outcome, lengths = fig.closures()
    closed_total = [sum(v[i] for v in by_outcome.values()) for i in range(width)]
    counted = dict(fig.notified())
    counted["groups"] = fig.groups()
    counted["outcome"] = by_outcome
    counted["escalations"] = fig.escalation_counts()
    counted["visits"] = fig.visit_counts()
    caseload = {r.key: r.values for r in fig.caseload(closed_total)}
    columns: list[dict[str, Any]] = []
    for i in range(width):
        column: dict[str, Any] = {
            name: {k: int(v[i]) for k, v in counted[name].items() if v[i]} for name in _COUNTED
        }
        column["caseload"] = {key: int(caseload[key][i] or 0) for key, _ in _CASELOAD}
        column["duration"] = list(duration_spread(lengths[i]))
        columns.append(column)
    return columns


def _tables(
    columns: Sequence[dict[str, Any]], labels: tuple[str, ...], kept_note: str = ""
) -> tuple[Table, ...]:
    """The report's tables from each quarter's figures (oldest first); ``kept_note`` says
    which quarters' figures are as kept."""
    width = len(columns)

    def merged(name: str) -> dict[str, list[int]]:
        keys = {k for c in columns for k in c[name]}
        return {k: [int(c[name].get(k, 0)) for c in columns] for k in keys}

    groups = merged("groups")
    ages, year_groups = _children_rows(merged("age"), merged("year_group"), width)
    caseload = tuple(
        Row(key, label, tuple(c["caseload"][key] for c in columns), total=key == "open_end")
        for key, label in _CASELOAD
    )
    spreads = [tuple(c["duration"]) for c in columns]
    return (
        Table(
            "notifications_route",
            "Notifications received, by route (policy 8.1)",
            labels,
            vocab_rows(vocab.IDENTIFICATION_ROUTES, merged("route"), width),
        ),
        Table(
            "notifications_agency",
            "Notifications received, by referring agency",
            labels,
            vocab_rows(vocab.PARTNER_AGENCIES, merged("agency"), width),
        ),
        Table(
            "caseload",
            "Cases open and closed",
            labels,
            caseload,
            "Open at the start = open at the end of the previous quarter. A reopened case "
            "counts again when it is reopened and each closure is counted." + kept_note,
        ),
        Table(
            "closed_outcome",
            "Cases closed, by outcome",
            labels,
            vocab_rows(vocab.CLOSING_OUTCOMES, merged("outcome"), width),
        ),
        Table(
            "duration",
            "How long cases stayed open (cases closed in the quarter)",
            labels,
            tuple(
                Row(key, label, tuple(s[i] for s in spreads))
                for i, (key, label) in enumerate(zip(SPREAD_KEYS, _SPREAD_LABELS, strict=True))
            ),
            "Days from opening (or reopening) to closure. Quartiles as Excel QUARTILE.INC.",
        ),
        Table(
            "reasons",
            "Why children went missing from education (policy 4.0)",
            labels,
            vocab_rows(vocab.REASONS_MISSING, merged("reason"), width),
            "Children notified in the quarter.",
        ),
        Table(
            "at_risk",
            "Children in groups more at risk of going missing (policy 4.0)",
            labels,
            vocab_rows(
                vocab.AT_RISK_GROUPS, _only(groups, vocab.AT_RISK_GROUPS), width, total=False
            ),
            "Children notified in the quarter; a child may be in more than one group.",
        ),
        Table(
            "vulnerable",
            "Children in vulnerable groups (policy 4.1)",
            labels,
            vocab_rows(
                vocab.VULNERABLE_GROUPS,
                _only(groups, vocab.VULNERABLE_GROUPS),
                width,
                total=False,
            ),
            "Children notified in the quarter; a child may be in more than one group.",
        ),
        Table(
            "escalations",
            "Escalations to the Police and Children's Social Care",
            labels,
            _escalation_rows(merged("escalations"), width),
            "Decisions recorded in the quarter. A referral to both counts under each.",
        ),
        Table(
            "visits",
            "Home visits made, by outcome",
            labels,
            vocab_rows(vocab.VISIT_OUTCOMES, merged("visits"), width),
        ),
        Table("age", "Children notified, by age on the last day of the quarter", labels, ages),
        Table(
            "year_group",
            "Children notified, by year group on the last day of the quarter",
            labels,
            year_groups,
            "Year group for the child's age (school year from 1 September).",
        ),
        Table(
            "last_school",
            "Children notified, by last school",
            labels,
            _top_schools(merged("school"), width),
        ),
    )


def quarterly(
    db: Database,
    quarter: Quarter,
    *,
    previous: int = 3,
    today: date | None = None,
    use_kept: bool = True,
) -> QuarterlyReport:
    """The figures for ``quarter`` beside the ``previous`` quarters before it (no names).

    A quarter that is over is read from its kept figures (``stored_figures``), or
    worked out and kept the first time; the quarter still running is always worked
    out from the records. ``use_kept`` False works every quarter out from the
    records and keeps nothing (``recount``).
    """
    if not 0 <= previous <= 11:
        raise InvalidInput("Compare with 0 to 11 previous quarters.", field="previous")
    today = today or local_today()
    quarters = tuple(quarter.previous(n) for n in range(previous, -1, -1))
    periods = [q.period for q in quarters]
    with db.read() as session:
        kept = stored_figures.read(session, REPORT, periods) if use_kept else {}
        columns: list[dict[str, Any] | None] = [
            kept[p.start].figures if p.start in kept else None for p in periods
        ]
        missing = [i for i, column in enumerate(columns) if column is None]
        if missing:
            # One pass over the run of quarters from the first to the last not kept.
            first, last = missing[0], missing[-1]
            worked_out = period_figures(Figures(session, periods[first : last + 1]))
            for i in missing:
                columns[i] = worked_out[i - first]
    if use_kept:
        over = [
            (periods[i], columns[i]) for i in missing if stored_figures.is_over(periods[i], today)
        ]
        # A vault that takes no write now (busy, read-only) keeps them next time.
        with contextlib.suppress(CmeError):
            stored_figures.keep(db, REPORT, [(p, c) for p, c in over if c is not None])
    complete = [c for c in columns if c is not None]
    as_kept = tuple((q, kept[q.start].computed_at) for q in quarters if q.start in kept)
    return QuarterlyReport(
        quarter=quarter,
        quarters=quarters,
        tables=_tables(complete, tuple(q.label for q in quarters), _kept_note(as_kept)),
        generated_on=today,
        kept=as_kept,
    )


def _kept_note(kept: Sequence[tuple[Quarter, datetime]]) -> str:
    if not kept:
        return ""
    days = "; ".join(f"{q.label} on {format_date(local_date_of_utc(at))}" for q, at in kept)
    return (
        " Past quarters are shown as first worked out, as they were reported, even if a "
        f"case was corrected since ({days})."
    )


@dataclass(frozen=True)
class Difference:
    """A figure kept for a past quarter that the records now give differently."""

    table: str
    row: str
    kept: Value
    now: Value


def recount(db: Database, quarter: Quarter, *, today: date | None = None) -> list[Difference]:
    """The kept figures of ``quarter`` against the records as they are now: what differs.

    Empty when they agree (or when nothing is kept for the quarter yet).
    """
    with db.read() as session:
        kept = stored_figures.read(session, REPORT, [quarter.period])
    if quarter.start not in kept:
        return []
    labels = (quarter.label,)
    before = _tables([kept[quarter.start].figures], labels)
    now = quarterly(db, quarter, previous=0, today=today, use_kept=False).tables
    differences: list[Difference] = []
    for old, new in zip(before, now, strict=True):
        old_rows = {r.key: r for r in old.rows}
        new_rows = {r.key: r for r in new.rows}
        for key in [*old_rows, *(k for k in new_rows if k not in old_rows)]:
            was = old_rows[key].values[0] if key in old_rows else 0
            is_now = new_rows[key].values[0] if key in new_rows else 0
            if was != is_now:
                label = (new_rows.get(key) or old_rows[key]).label
                differences.append(Difference(old.title, label, was, is_now))
    return differences


def kept_at(db: Database, quarter: Quarter) -> datetime | None:
    """When the figures kept for ``quarter`` were worked out (UTC); ``None``: none kept."""
    with db.read() as session:
        kept = stored_figures.read(session, REPORT, [quarter.period])
    return kept[quarter.start].computed_at if quarter.start in kept else None


def keep_recount(db: Database, quarter: Quarter) -> None:
    """Keep the figures the records give now for ``quarter`` in place of those kept (audited)."""
    with db.read() as session:
        (figures,) = period_figures(Figures(session, [quarter.period]))
    stored_figures.replace(db, REPORT, quarter.period, figures)
