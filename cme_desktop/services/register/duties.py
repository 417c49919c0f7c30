"""Duties and deadlines on the register: events recorded, the tasks they set, the SAO path.

What the parents notify (s.436D) and what providers give (s.436E) is recorded as it
arrives, as an event on the child's register history. An event may start deadlines:
each configured ``Deadline`` following its kind becomes a task on the case (the
existing ``Task``, origin ``register:<deadline key>``), due that many days after the
event, so the dashboard and the case list show it like any other.

When information is not given or a home visit is refused, the path towards a school
attendance order (s.437(1) as amended) is ``sao_path``: the steps in order, which are
done (an event of that kind recorded) and which comes next, each with its letter
(``documents.letters``: the register's templates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, RegisterEntry, RegisterEvent, Task
from cme_desktop.models import register_terms as terms
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.erased import refuse_if_erased
from cme_desktop.services.cases.list_columns import refresh_next_task_due
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.register.config import Deadline, read_config
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "SAO_STEPS",
    "DutyService",
    "PathStep",
    "add_event",
    "deadlines_after",
    "due_on",
    "sao_path",
]

#: Task origins the register sets: ``register:<deadline key>``.
ORIGIN_PREFIX = "register:"
_KINDS = {t.key: t.label for t in terms.EVENT_KINDS}
_OFFICER_KINDS = {t.key for t in terms.OFFICER_EVENT_KINDS}
MAX_DETAIL = 4000


@dataclass(frozen=True)
class PathStep:
    """One step towards a school attendance order: its event kind, letter, and state."""

    kind: str
    label: str
    letter: str
    done_on: date | None
    is_next: bool


#: The steps, in order (s.437 as amended): ask for the information (a letter); record it
#: not given, or the visit refused; serve the notice before an order (a letter, giving
#: at least 15 days, s.437(2)); then the order.
SAO_STEPS: tuple[tuple[str, str], ...] = (
    ("information_requested", "register-information-request"),
    ("information_not_given", ""),
    ("sao_notice", "register-notice-before-sao"),
    ("sao_served", ""),
)


def due_on(deadline: Deadline, on: date) -> date:
    """The day a task for ``deadline`` is due after an event on ``on``."""
    return on + timedelta(days=deadline.days)


def deadlines_after(kind: str, deadlines: Iterable[Deadline]) -> list[Deadline]:
    """The configured deadlines an event of ``kind`` starts, in the configured order."""
    return [d for d in deadlines if d.after == kind]


def add_event(
    session: Session, db: UnitOfWork, *, case_id: int, kind: str, on: date, detail: str = ""
) -> RegisterEvent:
    """Record an event inside ``session``, with the tasks its deadlines set (and audit them).

    The event's ``due`` and ``task_id`` are those of the first deadline it starts.
    """
    if kind not in _KINDS:
        raise InvalidInput("Choose what happened.", field="kind")
    event = RegisterEvent(
        case_id=case_id,
        kind=kind,
        on=on,
        detail=detail.strip()[:MAX_DETAIL],
        recorded_by=db.actor,
    )
    session.add(event)
    config = read_config(session)
    tasks = []
    for deadline in deadlines_after(kind, config.deadlines):
        task = Task(
            case_id=case_id,
            title=deadline.title,
            due_on=due_on(deadline, on),
            origin=f"{ORIGIN_PREFIX}{deadline.key}",
        )
        session.add(task)
        tasks.append(task)
    session.flush()
    if tasks:
        event.task_id, event.due = tasks[0].id, tasks[0].due_on
        case = session.get(Case, case_id)
        if case is not None:
            refresh_next_task_due(session, case)
        for task in tasks:
            audit.record(
                session,
                db,
                action="task_added",
                entity="case",
                entity_id=case_id,
                detail=f"task={task.id}",
            )
    audit.record(
        session,
        db,
        action="register_event",
        entity="case",
        entity_id=case_id,
        detail=f"kind={kind} event={event.id}",
    )
    return event


def sao_path(events: Iterable[tuple[str, date]]) -> list[PathStep]:
    """The steps towards a school attendance order, given the child's ``(kind, on)`` events.

    A visit refused counts as the second step (information not given) as either opens the
    path. The first step not done is ``is_next``; none is when all are done.
    """
    done: dict[str, date] = {}
    for kind, on in events:
        key = "information_not_given" if kind == "visit_refused" else kind
        if key in dict(SAO_STEPS):
            done[key] = min(done.get(key, on), on)
    steps = []
    next_found = False
    for kind, letter in SAO_STEPS:
        day = done.get(kind)
        is_next = day is None and not next_found
        next_found = next_found or is_next
        steps.append(PathStep(kind, _KINDS[kind], letter, day, is_next))
    return steps


class DutyService:
    """Recording what parents and providers give, and the steps the authority takes."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def record(
        self,
        case_id: int,
        *,
        kind: str,
        on: date | None = None,
        detail: str = "",
        today: date | None = None,
    ) -> int:
        """Record an event of ``kind`` (one the officer records) on ``on``; its id.

        The deadlines it starts become tasks on the case, in the same transaction.
        """
        today = today or local_today()
        on = on or today
        if kind not in _OFFICER_KINDS:
            raise InvalidInput("Choose what happened.", field="kind")
        if on > today:
            raise InvalidInput("The date is in the future.", field="on")
        if len(detail) > MAX_DETAIL:
            raise InvalidInput(f"Write at most {MAX_DETAIL:,} characters.", field="detail")
        with self.db.write() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Case {case_reference(case_id)} does not exist.")
            refuse_if_erased(case.erased_on)
            entry = session.get(RegisterEntry, case_id)
            if entry is None:
                raise InvalidInput(f"{case.full_name} has never been on the register.")
            if kind != "removal_notice" and entry.status != "on":
                raise InvalidInput(
                    f"{case.full_name} is not on the register: put them on it first."
                )
            return add_event(session, self.db, case_id=case_id, kind=kind, on=on, detail=detail).id

    def path(self, case_id: int) -> list[PathStep]:
        """The steps towards a school attendance order for the child, and which is next."""
        with self.db.read() as session:
            rows = session.execute(
                select(RegisterEvent.kind, RegisterEvent.on).where(RegisterEvent.case_id == case_id)
            )
            return sao_path((str(k), d) for k, d in rows)
