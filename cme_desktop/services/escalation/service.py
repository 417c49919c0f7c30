"""Recording an escalation decision on a case, and making its summary for the agencies.

The questions, branches and recommendation live in ``escalation.flow``; this
service applies them to the vault in one unit of work: the decision with every
answer, the follow-up tasks and agency referrals, the timeline note, the case's
escalation flags and the audit entry. It also makes the password-protected
escalation summary of ``documents.escalation_summary``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cme_desktop.models import AgencyReferral, Case, Escalation, Referral, Task
from cme_desktop.models.vocabularies import ESCALATION_DECISIONS, label_of
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.list_columns import escalation_flags
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import NotFound
from cme_desktop.services.escalation.flow import (
    Answer,
    add_working_days,
    clean_answers,
    follow_ups,
    recommendation,
    referral_reasons,
    validate_decision,
)
from cme_desktop.services.referral.record import normalise
from cme_desktop.services.referral.validation import serious_current_indicators
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

if TYPE_CHECKING:
    from cme_desktop.services.documents.escalation_summary import ProtectedPdf
    from cme_desktop.services.documents.styles import AuthorityDetails

__all__ = ["EscalationOutcome", "EscalationService", "latest_serious_indicators"]


@dataclass(frozen=True)
class EscalationOutcome:
    """What recording a decision did."""

    escalation_id: int
    case_id: int
    recommendation: str
    decision: str
    task_ids: tuple[int, ...]
    agency_referral_ids: tuple[int, ...]
    escalated_police: bool
    escalated_social_care: bool


class EscalationService:
    """Records escalation decisions on cases."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        case_id: int,
        *,
        answers: Mapping[str, Answer],
        decision: str,
        rationale: str = "",
        today: date | None = None,
    ) -> EscalationOutcome:
        """Record the officer's decision with every answer, who and when, in one transaction.

        The recommendation weighs the case's latest referral too (its current
        serious indicators, ``flow.referral_reasons``). Creates the follow-up tasks
        and agency referrals of the decision, notes it on the case's timeline with
        the referral's reasons, updates the case's escalation flags, and audits it
        (ids and keys only). ``InvalidInput`` for a decision that differs from the
        recommendation without a rationale.
        """
        clean = clean_answers(answers)
        today = today or date.today()
        with self.db.write() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Case {case_reference(case_id)} does not exist.")
            serious = latest_serious_indicators(session, case_id)
            rec = recommendation(clean, serious)
            validate_decision(rec, decision, rationale)
            reasons = referral_reasons(clean, serious)
            row = Escalation(
                case_id=case_id,
                decided_by=self.db.actor,
                answers=clean,
                recommendation=rec,
                decision=decision,
                rationale=rationale.strip(),
            )
            session.add(row)
            tasks: list[Task] = []
            agencies: list[AgencyReferral] = []
            for follow in follow_ups(decision):
                tasks.append(
                    Task(
                        case_id=case_id,
                        title=follow.task,
                        due_on=add_working_days(today, follow.working_days),
                        origin="escalation",
                    )
                )
                agencies.append(
                    AgencyReferral(
                        case_id=case_id, agency=follow.agency, referred_on=today, note=follow.note
                    )
                )
            session.add_all([*tasks, *agencies])
            history.record(
                session,
                case_id=case_id,
                summary=_timeline_summary(rec, decision, rationale, reasons),
                author=self.db.actor,
            )
            session.flush()
            escalation_flags(session, case)
            case.next_task_due = session.scalar(
                select(func.min(Task.due_on)).where(
                    Task.case_id == case_id, Task.done_on.is_(None), Task.deleted_at.is_(None)
                )
            )
            detail = (
                f"escalation={row.id} recommendation={rec} decision={decision} "
                f"tasks={_ids(tasks)} agency_referrals={_ids(agencies)}"
            )
            audit.record(
                session,
                self.db,
                action="escalation_recorded",
                entity="case",
                entity_id=case_id,
                detail=detail,
            )
            return EscalationOutcome(
                escalation_id=row.id,
                case_id=case_id,
                recommendation=rec,
                decision=decision,
                task_ids=tuple(t.id for t in tasks),
                agency_referral_ids=tuple(a.id for a in agencies),
                escalated_police=case.escalated_police,
                escalated_social_care=case.escalated_social_care,
            )

    def summary(
        self,
        case_id: int,
        *,
        authority: AuthorityDetails,
        escalation_id: int | None = None,
        today: date | None = None,
        password: str | None = None,
    ) -> ProtectedPdf:
        """The case's escalation summary as a password-protected PDF (AES-256), audited.

        ``escalation_id`` defaults to the latest decision. The password is
        generated unless given; the plain PDF exists only in memory.
        """
        # reportlab is loaded only when a summary is made.
        from cme_desktop.services.documents import escalation_summary as escalation_pdf

        detail = CaseService(self.db).get(case_id)
        chosen = None
        if escalation_id is not None:
            chosen = next((e for e in detail.escalations if e.id == escalation_id), None)
            if chosen is None:
                raise NotFound("That escalation decision is not on this case.")
        pdf = escalation_pdf.render(detail, authority=authority, escalation=chosen, today=today)
        protected = escalation_pdf.protect(pdf, password=password)
        made_from = chosen or detail.escalations[0]
        with self.db.write() as session:
            history.record(
                session,
                case_id=case_id,
                summary="Escalation summary made as a password-protected PDF, to send on.",
                author=self.db.actor,
            )
            audit.record(
                session,
                self.db,
                action="escalation_summary_made",
                entity="case",
                entity_id=case_id,
                detail=f"escalation={made_from.id}",
            )
        return protected


def _ids(rows: Iterable[Task | AgencyReferral]) -> str:
    return ",".join(str(r.id) for r in rows)


def latest_serious_indicators(session: Session, case_id: int) -> tuple[str, ...]:
    """The serious indicators the case's latest referral marks as current (none if none)."""
    data = session.scalar(
        select(Referral.data)
        .where(Referral.case_id == case_id)
        .order_by(Referral.received_on.desc(), Referral.id.desc())
        .limit(1)
    )
    if data is None:
        return ()
    return tuple(serious_current_indicators(normalise(data)))


def _timeline_summary(
    rec: str, decision: str, rationale: str, reasons: tuple[str, ...] = ()
) -> str:
    text = f"Escalation decision: {label_of(ESCALATION_DECISIONS, decision)}."
    if decision != rec:
        text += f" The policy recommended: {label_of(ESCALATION_DECISIONS, rec)}."
    if reasons:
        text += " From the referral: " + " ".join(reasons)
    if rationale.strip():
        text += f" Rationale: {rationale.strip()}"
    return text
