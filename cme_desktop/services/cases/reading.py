"""Reading a case row, and everything logged on it, into a ``CaseDetail``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.detail import (
    DRAFT_COLUMNS,
    AddressRow,
    AgencyReferralRow,
    CarerRow,
    CaseDetail,
    CaseDraft,
    EscalationRow,
    MeetingRow,
    ReferralRow,
    SiblingRow,
    StepRow,
    TaskRow,
    TimelineRow,
)


def _draft_of(case: Case) -> CaseDraft:
    values = {name: getattr(case, name) for name in DRAFT_COLUMNS}
    return CaseDraft(**values, groups=tuple(sorted(g.group_key for g in case.groups)))


def case_detail(session: Session, case: Case) -> CaseDetail:
    """The case and everything logged on it, newest first where order matters."""
    done = {s.step: s for s in case.steps}
    steps = tuple(
        StepRow(
            step=t.key,
            number=n,
            label=t.label,
            done_on=done[t.key].done_on if t.key in done else None,
            done_by=done[t.key].done_by if t.key in done else "",
            note=done[t.key].note if t.key in done else "",
        )
        for n, t in enumerate(vocab.TRACKING_STEPS, start=1)
    )
    siblings: tuple[SiblingRow, ...] = ()
    if case.family_id is not None:
        siblings = tuple(
            SiblingRow(c.id, c.full_name, c.date_of_birth, c.status)
            for c in session.scalars(
                select(Case)
                .where(Case.family_id == case.family_id, Case.id != case.id)
                .order_by(Case.date_of_birth)
            )
        )
    return CaseDetail(
        id=case.id,
        version=case.version,
        draft=_draft_of(case),
        status=case.status,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        closing_outcome=case.closing_outcome,
        closing_note=case.closing_note,
        current_step=case.current_step,
        last_visit_on=case.last_visit_on,
        next_task_due=case.next_task_due,
        escalated_police=case.escalated_police,
        escalated_social_care=case.escalated_social_care,
        family_id=case.family_id,
        owner=case.owner,
        erased_on=case.erased_on,
        cohort=case.cohort,
        addresses=tuple(
            AddressRow(a.id, a.address, a.moved_in, a.moved_out, a.is_last_known, a.note)
            for a in sorted(case.addresses, key=lambda a: (not a.is_last_known, -a.id))
        ),
        carers=tuple(
            CarerRow(c.id, c.name, c.relationship_to_child, c.telephone, c.email, c.address, c.note)
            for c in case.carers
        ),
        steps=steps,
        timeline=tuple(
            TimelineRow(
                t.id,
                t.kind,
                t.occurred_at,
                t.summary,
                t.outcome,
                t.who_seen,
                t.next_step,
                t.author,
                t.edited_at,
                t.deleted_at,
                t.deleted_reason,
                t.version,
            )
            for t in sorted(case.timeline, key=lambda t: (t.occurred_at, t.id), reverse=True)
        ),
        tasks=tuple(
            TaskRow(
                t.id,
                t.case_id,
                t.title,
                t.due_on,
                t.remind_on,
                t.done_on,
                t.origin,
                t.edited_at,
                t.deleted_at,
                t.deleted_reason,
                t.version,
            )
            # Open tasks first, then done, then deleted (struck through) ones.
            for t in sorted(
                case.tasks,
                key=lambda t: (t.deleted_at is not None, t.done_on is not None, t.due_on),
            )
        ),
        agency_referrals=tuple(
            AgencyReferralRow(r.id, r.agency, r.referred_on, r.contact, r.reference, r.note)
            for r in sorted(case.agency_referrals, key=lambda r: r.referred_on, reverse=True)
        ),
        meetings=tuple(
            MeetingRow(m.id, m.held_on, m.attendees, m.actions)
            for m in sorted(case.meetings, key=lambda m: m.held_on, reverse=True)
        ),
        escalations=tuple(
            EscalationRow(
                e.id,
                e.decided_at,
                e.decided_by,
                dict(e.answers),
                e.recommendation,
                e.decision,
                e.rationale,
            )
            for e in sorted(case.escalations, key=lambda e: e.decided_at, reverse=True)
        ),
        referrals=tuple(
            ReferralRow(r.id, r.received_on, r.source, r.source_name, dict(r.data))
            for r in sorted(case.referrals, key=lambda r: r.received_on, reverse=True)
        ),
        siblings=siblings,
    )
