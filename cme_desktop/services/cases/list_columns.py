"""The columns the case list sorts and filters on, kept on the case row.

The current tracking step, the next task due and the escalation flags are
worked out from the case's other rows after every change to them, so that
the list at 100,000 cases needs no joins (see ``models.records``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, Escalation, StepProgress, Task
from cme_desktop.models import vocabularies as vocab


def _current_step(done: Iterable[str]) -> int:
    """The first of the nine steps not yet done (9 once all are done)."""
    done_set = set(done)
    for number, key in enumerate(vocab.TRACKING_STEP_KEYS, start=1):
        if key not in done_set:
            return number
    return len(vocab.TRACKING_STEP_KEYS)


def refresh_current_step(session: Session, case: Case) -> None:
    """Recompute the case's current step from the steps ticked on it."""
    done = session.scalars(select(StepProgress.step).where(StepProgress.case_id == case.id))
    case.current_step = _current_step(done)


def refresh_next_task_due(session: Session, case: Case) -> None:
    """Recompute the due date of the case's earliest task not yet done."""
    case.next_task_due = session.scalar(
        select(func.min(Task.due_on)).where(
            Task.case_id == case.id, Task.done_on.is_(None), Task.deleted_at.is_(None)
        )
    )


def escalation_flags(session: Session, case: Case) -> None:
    """Recompute the case's escalation flags from its latest decision."""
    latest = session.scalar(
        select(Escalation)
        .where(Escalation.case_id == case.id)
        .order_by(Escalation.decided_at.desc(), Escalation.id.desc())
        .limit(1)
    )
    decision = latest.decision if latest else ""
    case.escalated_police = decision in {"refer_police", "refer_both"}
    case.escalated_social_care = decision in {"refer_social_care", "refer_both"}
