"""Pupils without a school place: open cases of children of compulsory school age (policy 8.3).

The list names children: reading it is audited, and its documents are for the
named officer only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cme_desktop.models.records import Case
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.reports.counting import (
    DOBS,
    all_rows,
    cme_only,
    csa_bounds,
    dates_of_birth,
    fill_dobs,
    iso_text,
    scan,
)
from cme_desktop.services.rules.school_age import age_on, school_year_group, year_group_label
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database


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


#: The list's columns, as the CSV and the PDF head them.
WITHOUT_PLACE_COLUMNS = (
    "Reference",
    "Name",
    "Date of birth",
    "Age",
    "Year group",
    "Last school",
    "Missing since",
    "Days missing",
    "Notified",
    "Step",
    "Whereabouts",
)


def without_place_query(session: Session, today: date, *columns: Any) -> Any:
    """Open cases with no new school whose child is of compulsory school age ``today``."""
    iso = today.isoformat()
    fill_dobs(
        session,
        (
            (dob, 0, "", "", "", "")
            for dob in dates_of_birth(session)
            if csa_bounds(dob)[0] <= iso <= csa_bounds(dob)[1]
        ),
    )
    return (
        select(*columns)
        .select_from(Case)
        .join(DOBS, and_(DOBS.c.dob == scan(iso_text(Case.date_of_birth)), DOBS.c.idx == 0))
        .where(scan(Case.status) == "open", func.trim(Case.new_school) == "", cme_only())
    )


def _row_query(session: Session, today: date) -> Any:
    """The pupils' rows, in the order ``_pupil`` reads them."""
    return without_place_query(
        session,
        today,
        iso_text(Case.date_of_birth),
        Case.id,
        Case.full_name,
        Case.school,
        iso_text(func.coalesce(Case.date_last_attended, Case.notified_on)),
        iso_text(Case.notified_on),
        Case.current_step,
        Case.whereabouts_unknown,
    )


def _without_place_rows(session: Session, today: date) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in all_rows(session, _row_query(session, today))]


def _pupil(values: tuple[Any, ...], today: date) -> WithoutPlace:
    dob, case_id, name, school, since_iso, notified_iso, step, unknown = values
    born = date.fromisoformat(dob)
    since = min(date.fromisoformat(since_iso), today)
    notified = date.fromisoformat(notified_iso)
    return WithoutPlace(
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


def pupils_without_place(db: Database, today: date) -> list[WithoutPlace]:
    """Open cases of children of compulsory school age today with no school place, longest first.

    The list has names: reading it is audited.
    """
    with db.read() as session:
        rows = _without_place_rows(session, today)
    out = [_pupil(values, today) for values in rows]
    out.sort(key=lambda r: (-r.days_missing, r.full_name.casefold(), r.case_id))
    with db.write() as session:
        audit.record(
            session, db, action="report_read", entity="report", detail=f"without_place n={len(out)}"
        )
    return out


@dataclass(frozen=True)
class WithoutPlacePage:
    """Part of the list of pupils without a place: ``rows`` from ``offset``, of ``total``."""

    total: int
    offset: int
    rows: tuple[WithoutPlace, ...]


#: Python's ``str.casefold`` as an SQL function, so that SQL sorts names as the list does.
_CASEFOLD = "cme_casefold"
#: Rows fetched from SQL at a time while the whole list is streamed (``iter_without_place``).
STREAM_BATCH = 500


def _ordered(session: Session, today: date) -> Any:
    """The list's rows in its order: longest missing first (the earliest date), then by
    name as Python folds case, then by case number."""
    since = func.min(
        iso_text(func.coalesce(Case.date_last_attended, Case.notified_on)), today.isoformat()
    )
    if session.get_bind().dialect.name == "sqlite":
        raw = session.connection().connection.driver_connection
        assert raw is not None
        raw.create_function(_CASEFOLD, 1, str.casefold, deterministic=True)
        name = getattr(func, _CASEFOLD)(Case.full_name)
    else:
        # A server has no Python inside: its own lower case (the same order for
        # every name but a few letters outside English).
        name = func.lower(Case.full_name)
    return _row_query(session, today).order_by(since, name, Case.id)


def _count(session: Session, today: date) -> int:
    query = without_place_query(session, today, func.count())
    return int(session.connection().execute(query).scalar_one())


def _audit_read(db: Database, detail: str) -> None:
    with db.write() as session:
        audit.record(session, db, action="report_read", entity="report", detail=detail)


def without_place_page(db: Database, today: date, *, offset: int, limit: int) -> WithoutPlacePage:
    """One page of ``pupils_without_place``, in its order, counted and sorted in SQL.

    What a window showing the list a page at a time asks for: only the page's
    children become objects, so a page costs the same whatever the vault's size
    (the whole list of 38,000 children at 100,000 cases takes seconds). Reading a
    page is audited, as reading the whole list is.
    """
    with db.read() as session:
        total = _count(session, today)
        ordered = _ordered(session, today)
        rows = all_rows(session, ordered.limit(max(0, limit)).offset(max(0, offset)))
    page = tuple(_pupil(tuple(values), today) for values in rows)
    _audit_read(db, f"without_place n={total} offset={offset} shown={len(page)}")
    return WithoutPlacePage(total=total, offset=offset, rows=page)


@dataclass(frozen=True)
class WithoutPlaceStream:
    """The whole list as it is read from SQL: ``total`` children, then ``rows`` one by one.

    ``rows`` can be iterated once; the vault is read meanwhile, so iterate it to the
    end (or close it) before the next change.
    """

    total: int
    rows: Iterator[WithoutPlace]


def iter_without_place(db: Database, today: date) -> WithoutPlaceStream:
    """The whole of ``pupils_without_place``, in its order, streamed from SQL.

    For the files that carry the list (CSV, PDF, workbook): the rows come from SQL
    a batch at a time and become objects one by one, so writing the list of 38,000
    children at 100,000 cases holds a batch, not the list. Reading it is audited,
    first, as for the whole list.
    """
    with db.read() as session:
        total = _count(session, today)
    _audit_read(db, f"without_place n={total} streamed")

    def rows() -> Iterator[WithoutPlace]:
        with db.read() as session:
            result = (
                session.connection()
                .execution_options(stream_results=True, yield_per=STREAM_BATCH)
                .execute(_ordered(session, today))
            )
            for batch in result.partitions():
                for values in batch:
                    yield _pupil(tuple(values), today)

    return WithoutPlaceStream(total=total, rows=rows())
