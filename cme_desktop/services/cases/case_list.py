"""The case list: filtering, sorting and search in SQL, rows fetched by id.

The list window holds only the ordered ids of the cases that match
(``matching_ids``) and asks for the rows it is about to show
(``rows``), a page at a time — the way the list stays instant at 100,000
cases. Search uses the FTS5 index over name, AKA, address, school and UPN.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select, text

from cme_desktop.models import Case, Task
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.vault.database import Database

QUICK_FILTERS: dict[str, str] = {
    "all": "All cases",
    "open": "Open",
    "closed": "Closed",
    "overdue": "Overdue tasks",
    "escalated": "Escalated",
    "not_visited": "Not yet visited",
    "whereabouts_unknown": "Whereabouts unknown",
}

SORT_KEYS = (
    "name",
    "date_of_birth",
    "address",
    "school",
    "step",
    "days_open",
    "next_task",
    "escalation",
    "id",
)


@dataclass(frozen=True)
class CaseQuery:
    """What the officer asked the list for."""

    search: str = ""
    quick: str = "open"
    step: int | None = None
    sort: str = "name"
    descending: bool = False


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list."""

    id: int
    full_name: str
    aka: str
    date_of_birth: date | None
    last_known_address: str
    school: str
    current_step: int
    status: str
    opened_on: date
    closed_on: date | None
    next_task_due: date | None
    escalated_police: bool
    escalated_social_care: bool
    whereabouts_unknown: bool
    last_visit_on: date | None
    upn: str

    def age_on(self, on: date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))

    def days_open(self, on: date) -> int:
        end = self.closed_on or on
        return (end - self.opened_on).days

    def step_label(self) -> str:
        return vocab.TRACKING_STEPS[self.current_step - 1].label


_ROW_COLUMNS = (
    Case.id,
    Case.full_name,
    Case.aka,
    Case.date_of_birth,
    Case.last_known_address,
    Case.school,
    Case.current_step,
    Case.status,
    Case.opened_on,
    Case.closed_on,
    Case.next_task_due,
    Case.escalated_police,
    Case.escalated_social_care,
    Case.whereabouts_unknown,
    Case.last_visit_on,
    Case.upn,
)


def fts_query(search: str) -> str | None:
    """An FTS5 MATCH expression: every word typed, as a prefix; ``None`` when empty."""
    words = re.findall(r"\w+", search, flags=re.UNICODE)
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def _filtered(query: CaseQuery, today: date) -> Select[Any]:
    stmt = select(Case.id)
    q = query.quick
    if q in {"open", "overdue", "escalated", "not_visited", "whereabouts_unknown"}:
        stmt = stmt.where(Case.status == "open")
    elif q == "closed":
        stmt = stmt.where(Case.status == "closed")
    if q == "overdue":
        stmt = stmt.where(Case.next_task_due < today)
    elif q == "escalated":
        stmt = stmt.where(or_(Case.escalated_police, Case.escalated_social_care))
    elif q == "not_visited":
        stmt = stmt.where(Case.last_visit_on.is_(None))
    elif q == "whereabouts_unknown":
        stmt = stmt.where(Case.whereabouts_unknown)
    if query.step is not None:
        stmt = stmt.where(Case.current_step == query.step)
    match = fts_query(query.search)
    if match is not None:
        stmt = stmt.where(
            Case.id.in_(
                text("SELECT rowid FROM case_search WHERE case_search MATCH :m").bindparams(m=match)
            )
        )
    return stmt


def _order(query: CaseQuery, today: date) -> list[Any]:
    columns: dict[str, list[Any]] = {
        "name": [Case.full_name],
        "date_of_birth": [Case.date_of_birth],
        "address": [Case.last_known_address],
        "school": [Case.school],
        "step": [Case.current_step],
        # As the list shows it: to the closing date, or to today while open.
        "days_open": [
            func.julianday(func.coalesce(Case.closed_on, today.isoformat()))
            - func.julianday(Case.opened_on)
        ],
        "next_task": [Case.next_task_due.is_(None), Case.next_task_due],
        "escalation": [
            case(
                (and_(Case.escalated_police, Case.escalated_social_care), 3),
                (Case.escalated_police, 2),
                (Case.escalated_social_care, 1),
                else_=0,
            )
        ],
        "id": [Case.id],
    }
    chosen = columns.get(query.sort, columns["name"])
    descending = query.descending
    ordered = [c.desc() if descending and i == len(chosen) - 1 else c for i, c in enumerate(chosen)]
    return [*ordered, Case.id]


class CaseList:
    """Queries behind the case list and the dashboard."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def matching_ids(self, query: CaseQuery, *, today: date | None = None) -> list[int]:
        """Ids of every case the query matches, in display order."""
        today = today or date.today()
        stmt = _filtered(query, today).order_by(*_order(query, today))
        with self.db.read() as session:
            # Core execution and one fetchall: at 100,000 ids the ORM's (and row by row
            # fetching's) per-row work costs more than the query itself (benchmarks/run.py).
            result = session.connection().execute(stmt)
            return [row[0] for row in result.cursor.fetchall()]

    def count(self, query: CaseQuery, *, today: date | None = None) -> int:
        stmt = select(func.count()).select_from(_filtered(query, today or date.today()).subquery())
        with self.db.read() as session:
            return int(session.scalar(stmt) or 0)

    def rows(self, ids: Sequence[int]) -> dict[int, CaseRow]:
        """The list rows for ``ids`` (a page), by id."""
        out: dict[int, CaseRow] = {}
        with self.db.read() as session:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                for r in session.execute(select(*_ROW_COLUMNS).where(Case.id.in_(chunk))):
                    out[r.id] = CaseRow(**r._asdict())
        return out

    def find_similar(
        self,
        *,
        full_name: str,
        date_of_birth: date | None,
        upn: str = "",
        aka: str = "",
        limit: int = 10,
    ) -> list[CaseRow]:
        """Existing cases that may be the same child: same UPN, or a close name with the same
        date of birth (spelling and AKA tolerated)."""
        from cme_desktop.services.cases.matching import rank_candidates

        conditions = []
        if upn.strip():
            conditions.append(Case.upn == upn.strip().upper())
        if date_of_birth is not None:
            conditions.append(Case.date_of_birth == date_of_birth)
        words = [w for w in re.findall(r"\w+", f"{full_name} {aka}") if len(w) > 1]
        match = " OR ".join(f'"{w}"' for w in words)
        if match:
            conditions.append(
                Case.id.in_(
                    text(
                        "SELECT rowid FROM case_search WHERE case_search MATCH :m LIMIT 500"
                    ).bindparams(m=match)
                )
            )
        if not conditions:
            return []
        with self.db.read() as session:
            found = [
                CaseRow(**r._asdict())
                for r in session.execute(select(*_ROW_COLUMNS).where(or_(*conditions)).limit(1000))
            ]
        return rank_candidates(
            found, full_name=full_name, date_of_birth=date_of_birth, upn=upn, aka=aka
        )[:limit]

    # -- the dashboard --------------------------------------------------------------------

    def dashboard(self, *, today: date | None = None) -> Dashboard:
        """Tasks due today and overdue, open cases by tracking step, notifications this month."""
        today = today or date.today()
        month_start = today.replace(day=1)
        with self.db.read() as session:
            tasks = [
                DueTask(r.id, r.case_id, r.full_name, r.title, r.due_on)
                for r in session.execute(
                    select(Task.id, Task.case_id, Case.full_name, Task.title, Task.due_on)
                    .join(Case, Case.id == Task.case_id)
                    .where(Task.done_on.is_(None), Task.due_on <= today, Case.status == "open")
                    .order_by(Task.due_on, Task.id)
                    .limit(500)
                )
            ]
            by_step = dict.fromkeys(range(1, len(vocab.TRACKING_STEPS) + 1), 0)
            for step, n in session.execute(
                select(Case.current_step, func.count())
                .where(Case.status == "open")
                .group_by(Case.current_step)
            ):
                by_step[int(step)] = int(n)
            new_this_month = int(
                session.scalar(
                    select(func.count())
                    .select_from(Case)
                    .where(Case.notified_on >= month_start, Case.notified_on <= today)
                )
                or 0
            )
            upcoming = int(
                session.scalar(
                    select(func.count())
                    .select_from(Task)
                    .join(Case, Case.id == Task.case_id)
                    .where(
                        Case.status == "open",
                        Task.done_on.is_(None),
                        Task.due_on > today,
                        Task.due_on <= today + timedelta(days=7),
                    )
                )
                or 0
            )
        return Dashboard(
            today=today,
            due_tasks=tuple(tasks),
            open_by_step=by_step,
            new_this_month=new_this_month,
            due_next_7_days=upcoming,
        )


@dataclass(frozen=True)
class DueTask:
    id: int
    case_id: int
    full_name: str
    title: str
    due_on: date


@dataclass(frozen=True)
class Dashboard:
    today: date
    due_tasks: tuple[DueTask, ...]
    open_by_step: dict[int, int]
    new_this_month: int
    due_next_7_days: int

    @property
    def overdue(self) -> tuple[DueTask, ...]:
        return tuple(t for t in self.due_tasks if t.due_on < self.today)

    @property
    def due_today(self) -> tuple[DueTask, ...]:
        return tuple(t for t in self.due_tasks if t.due_on == self.today)
