"""Cases: create, read, update, close and reopen, and what the officer logs on them.

Every public method is one unit of work: one transaction, one audit row
(or a few, all in that transaction), plain frozen dataclasses out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cme_desktop.models import (
    Address,
    AgencyReferral,
    Carer,
    Case,
    CaseGroup,
    Escalation,
    Family,
    Meeting,
    Referral,
    StepProgress,
    Task,
    TimelineEntry,
)
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

# --- what goes in ------------------------------------------------------------


@dataclass(frozen=True)
class CaseDraft:
    """The details of a case the officer types; ``create`` and ``update`` take one."""

    full_name: str
    aka: str = ""
    date_of_birth: date | None = None
    gender: str = ""
    ethnicity: str = ""
    upn: str = ""
    sen_disability: str = ""
    child_in_care: bool | None = None
    last_known_address: str = ""
    school: str = ""
    date_last_attended: date | None = None
    new_school: str = ""
    new_school_start: date | None = None
    identification_route: str = "notification"
    identified_by: str = ""
    referring_agency: str = ""
    reason_missing: str = ""
    notified_on: date | None = None
    whereabouts_unknown: bool = False
    groups: tuple[str, ...] = ()


_DRAFT_COLUMNS = tuple(f.name for f in fields(CaseDraft) if f.name not in {"groups"})


# --- what comes out ----------------------------------------------------------


@dataclass(frozen=True)
class AddressRow:
    id: int
    address: str
    moved_in: date | None
    moved_out: date | None
    is_last_known: bool
    note: str


@dataclass(frozen=True)
class CarerRow:
    id: int
    name: str
    relationship: str
    telephone: str
    email: str
    address: str
    note: str


@dataclass(frozen=True)
class StepRow:
    step: str
    number: int
    label: str
    done_on: date | None
    done_by: str
    note: str


@dataclass(frozen=True)
class TimelineRow:
    id: int
    kind: str
    occurred_at: datetime
    summary: str
    outcome: str
    who_seen: str
    next_step: str
    author: str


@dataclass(frozen=True)
class TaskRow:
    id: int
    case_id: int
    title: str
    due_on: date
    remind_on: date | None
    done_on: date | None
    origin: str


@dataclass(frozen=True)
class AgencyReferralRow:
    id: int
    agency: str
    referred_on: date
    contact: str
    reference: str
    note: str


@dataclass(frozen=True)
class MeetingRow:
    id: int
    held_on: date
    attendees: str
    actions: str


@dataclass(frozen=True)
class EscalationRow:
    id: int
    decided_at: datetime
    decided_by: str
    answers: dict[str, Any]
    recommendation: str
    decision: str
    rationale: str


@dataclass(frozen=True)
class ReferralRow:
    id: int
    received_on: date
    source: str
    source_name: str
    data: dict[str, Any]


@dataclass(frozen=True)
class SiblingRow:
    id: int
    full_name: str
    date_of_birth: date | None
    status: str


@dataclass(frozen=True)
class CaseDetail:
    """Everything about one case, as plain values."""

    id: int
    version: int
    draft: CaseDraft
    status: str
    opened_on: date
    closed_on: date | None
    closing_outcome: str
    closing_note: str
    current_step: int
    last_visit_on: date | None
    next_task_due: date | None
    escalated_police: bool
    escalated_social_care: bool
    family_id: int | None
    addresses: tuple[AddressRow, ...] = ()
    carers: tuple[CarerRow, ...] = ()
    steps: tuple[StepRow, ...] = ()
    timeline: tuple[TimelineRow, ...] = ()
    tasks: tuple[TaskRow, ...] = ()
    agency_referrals: tuple[AgencyReferralRow, ...] = ()
    meetings: tuple[MeetingRow, ...] = ()
    escalations: tuple[EscalationRow, ...] = ()
    referrals: tuple[ReferralRow, ...] = ()
    siblings: tuple[SiblingRow, ...] = field(default=())

    @property
    def full_name(self) -> str:
        return self.draft.full_name

    @property
    def reference(self) -> str:
        return case_reference(self.id)


def case_reference(case_id: int) -> str:
    """The reference an officer quotes: ``CME-000123``."""
    return f"CME-{case_id:06d}"


# --- rules -------------------------------------------------------------------


def _clean(draft: CaseDraft) -> CaseDraft:
    name = " ".join(draft.full_name.split())
    if not name:
        raise InvalidInput("The child's name is needed.", field="full_name")
    upn = draft.upn.strip().upper().replace(" ", "")
    if upn and len(upn) != 13:
        raise InvalidInput("A UPN has 13 characters.", field="upn")
    if draft.identification_route not in vocab.INDEX["identification_routes"]:
        raise InvalidInput("Choose how the child was identified.", field="identification_route")
    if draft.referring_agency and draft.referring_agency not in vocab.INDEX["partner_agencies"]:
        raise InvalidInput("Unknown referring agency.", field="referring_agency")
    if draft.reason_missing and draft.reason_missing not in vocab.INDEX["reasons_missing"]:
        raise InvalidInput("Unknown reason.", field="reason_missing")
    unknown = [g for g in draft.groups if g not in vocab.INDEX["groups"]]
    if unknown:
        raise InvalidInput(f"Unknown group: {unknown[0]}.", field="groups")
    if draft.date_of_birth and draft.date_of_birth > date.today():
        raise InvalidInput("The date of birth is in the future.", field="date_of_birth")
    return replace(
        draft,
        full_name=name,
        aka=draft.aka.strip(),
        upn=upn,
        last_known_address=draft.last_known_address.strip(),
        school=draft.school.strip(),
        groups=tuple(dict.fromkeys(draft.groups)),
    )


def _current_step(done: Iterable[str]) -> int:
    """The first of the nine steps not yet done (9 once all are done)."""
    done_set = set(done)
    for number, key in enumerate(vocab.TRACKING_STEP_KEYS, start=1):
        if key not in done_set:
            return number
    return len(vocab.TRACKING_STEP_KEYS)


class CaseService:
    """The case record's use cases."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- helpers -----------------------------------------------------------

    def _case(self, session: Session, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        return case

    def _audit(self, session: Session, action: str, case_id: int | None, detail: str = "") -> None:
        audit.record(
            session, self.db, action=action, entity="case", entity_id=case_id, detail=detail
        )

    def _refresh_tasks(self, session: Session, case: Case) -> None:
        case.next_task_due = session.scalar(
            select(func.min(Task.due_on)).where(Task.case_id == case.id, Task.done_on.is_(None))
        )

    def _refresh_steps(self, session: Session, case: Case) -> None:
        done = session.scalars(select(StepProgress.step).where(StepProgress.case_id == case.id))
        case.current_step = _current_step(done)

    # -- create / read / update ------------------------------------------------

    def create(self, *, draft: CaseDraft, today: date | None = None) -> int:
        """Log a new case (steps 1 and 3 of policy 3.0 are done by logging it)."""
        draft = _clean(draft)
        today = today or date.today()
        with self.db.write() as session:
            case = Case(
                **{name: getattr(draft, name) for name in _DRAFT_COLUMNS},
                status="open",
                opened_on=today,
            )
            case.notified_on = draft.notified_on or today
            case.groups = [CaseGroup(group_key=g) for g in draft.groups]
            session.add(case)
            session.flush()
            if draft.last_known_address:
                session.add(
                    Address(case_id=case.id, address=draft.last_known_address, is_last_known=True)
                )
            for key in ("receive", "log"):
                session.add(
                    StepProgress(
                        case_id=case.id, step=key, done_on=case.notified_on, done_by=self.db.actor
                    )
                )
            session.flush()
            self._refresh_steps(session, case)
            self._audit(session, "case_created", case.id)
            return case.id

    def get(self, case_id: int) -> CaseDetail:
        """One case with everything logged on it; the read is audited."""
        with self.db.write() as session:
            case = self._case(session, case_id)
            self._audit(session, "case_read", case_id)
            return _detail(session, case)

    def update(self, case_id: int, *, draft: CaseDraft, version: int) -> CaseDetail:
        """Save the officer's edits; refused if someone saved the case in between."""
        draft = _clean(draft)
        with self.db.write() as session:
            case = self._case(session, case_id)
            if case.version != version:
                raise InvalidInput(
                    "This case was changed elsewhere since you opened it. "
                    "Your edits are kept on screen: reopen the case to see the other change."
                )
            # A draft without a notification date keeps the case's own.
            names = [
                n for n in _DRAFT_COLUMNS if not (n == "notified_on" and draft.notified_on is None)
            ]
            changed = [n for n in names if getattr(case, n) != getattr(draft, n)]
            for name in names:
                setattr(case, name, getattr(draft, name))
            if set(draft.groups) != {g.group_key for g in case.groups}:
                changed.append("groups")
                case.groups = [CaseGroup(group_key=g) for g in draft.groups]
            if "last_known_address" in changed and draft.last_known_address:
                self._set_last_known(session, case, draft.last_known_address)
            try:
                session.flush()
            except StaleDataError as exc:
                raise InvalidInput("This case was changed elsewhere; reopen it.") from exc
            self._audit(session, "case_updated", case_id, "fields=" + ",".join(sorted(changed)))
            return _detail(session, case)

    def _set_last_known(self, session: Session, case: Case, text: str) -> None:
        rows = session.scalars(select(Address).where(Address.case_id == case.id)).all()
        match = next((a for a in rows if a.address == text), None)
        for row in rows:
            if row.is_last_known and row is not match:
                row.is_last_known = False
                row.moved_out = row.moved_out or date.today()
        if match is None:
            session.add(
                Address(case_id=case.id, address=text, is_last_known=True, moved_in=date.today())
            )
        else:
            match.is_last_known = True

    # -- close / reopen ---------------------------------------------------------

    def close(self, case_id: int, *, outcome: str, on: date | None = None, note: str = "") -> None:
        """Close a case with one of the closing outcomes."""
        if outcome not in vocab.INDEX["closing_outcomes"]:
            raise InvalidInput("Choose why the case is closed.", field="outcome")
        with self.db.write() as session:
            case = self._case(session, case_id)
            if case.status == "closed":
                raise InvalidInput("The case is already closed.")
            case.status = "closed"
            case.closed_on = on or date.today()
            if case.closed_on < case.opened_on:
                raise InvalidInput("A case cannot close before it opened.", field="closed_on")
            case.closing_outcome = outcome
            case.closing_note = note.strip()
            self._audit(session, "case_closed", case_id, f"outcome={outcome}")

    def reopen(self, case_id: int, *, reason: str = "") -> None:
        """Reopen a closed case; its history is kept."""
        with self.db.write() as session:
            case = self._case(session, case_id)
            if case.status != "closed":
                raise InvalidInput("The case is open already.")
            case.status = "open"
            outcome = vocab.label_of(vocab.CLOSING_OUTCOMES, case.closing_outcome)
            session.add(
                TimelineEntry(
                    case_id=case_id,
                    kind="note",
                    occurred_at=datetime.now(),
                    summary=(
                        f"Case reopened (was closed {case.closed_on:%d/%m/%Y}: {outcome}). {reason}"
                    ).strip(),
                    author=self.db.actor,
                )
            )
            case.closed_on = None
            case.closing_outcome = ""
            self._audit(session, "case_reopened", case_id)

    # -- tracking steps ----------------------------------------------------------

    def set_step(
        self, case_id: int, *, step: str, done_on: date | None, note: str = "", done_by: str = ""
    ) -> None:
        """Tick (``done_on`` given) or untick one of the nine tracking steps."""
        if step not in vocab.TRACKING_STEP_KEYS:
            raise InvalidInput("Unknown tracking step.", field="step")
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = session.scalar(
                select(StepProgress).where(
                    StepProgress.case_id == case_id, StepProgress.step == step
                )
            )
            if done_on is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(
                    StepProgress(
                        case_id=case_id,
                        step=step,
                        done_on=done_on,
                        done_by=done_by or self.db.actor,
                        note=note,
                    )
                )
            else:
                row.done_on, row.note = done_on, note
                row.done_by = done_by or row.done_by
            session.flush()
            self._refresh_steps(session, case)
            self._audit(session, "step_set" if done_on else "step_cleared", case_id, f"step={step}")

    # -- addresses and carers -------------------------------------------------------

    def add_address(
        self,
        case_id: int,
        *,
        address: str,
        moved_in: date | None = None,
        moved_out: date | None = None,
        last_known: bool = False,
        note: str = "",
    ) -> int:
        """Add an address to the history (optionally as the last known one)."""
        address = address.strip()
        if not address:
            raise InvalidInput("The address is empty.", field="address")
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = Address(
                case_id=case_id,
                address=address,
                moved_in=moved_in,
                moved_out=moved_out,
                note=note.strip(),
            )
            session.add(row)
            session.flush()
            if last_known:
                self._set_last_known(session, case, address)
                case.last_known_address = address
            self._audit(session, "address_added", case_id)
            return row.id

    def save_carer(
        self,
        case_id: int,
        *,
        carer_id: int | None = None,
        name: str,
        relationship: str = "",
        telephone: str = "",
        email: str = "",
        address: str = "",
        note: str = "",
    ) -> int:
        """Add a parent/carer, or update one (``carer_id``)."""
        if not name.strip():
            raise InvalidInput("The parent's or carer's name is needed.", field="name")
        with self.db.write() as session:
            self._case(session, case_id)
            row = session.get(Carer, carer_id) if carer_id else Carer(case_id=case_id, name="")
            if row is None or row.case_id != case_id:
                raise NotFound("That parent/carer is no longer on the case.")
            row.name, row.relationship_to_child = name.strip(), relationship.strip()
            row.telephone, row.email = telephone.strip(), email.strip()
            row.address, row.note = address.strip(), note.strip()
            session.add(row)
            session.flush()
            self._audit(session, "carer_saved", case_id, f"carer={row.id}")
            return row.id

    def remove_carer(self, case_id: int, *, carer_id: int) -> None:
        with self.db.write() as session:
            session.execute(delete(Carer).where(Carer.id == carer_id, Carer.case_id == case_id))
            self._audit(session, "carer_removed", case_id, f"carer={carer_id}")

    # -- the timeline ---------------------------------------------------------------------

    def add_timeline(
        self,
        case_id: int,
        *,
        kind: str,
        occurred_at: datetime,
        summary: str,
        outcome: str = "",
        who_seen: str = "",
        next_step: str = "",
    ) -> int:
        """Log a note, call, contact or home visit. A visit ticks step 5 of policy 3.0."""
        if kind not in vocab.INDEX["timeline_kinds"]:
            raise InvalidInput("Unknown kind of entry.", field="kind")
        if kind == "visit" and outcome and outcome not in vocab.INDEX["visit_outcomes"]:
            raise InvalidInput("Choose the outcome of the visit.", field="outcome")
        if not summary.strip() and not outcome:
            raise InvalidInput("Write what happened.", field="summary")
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = TimelineEntry(
                case_id=case_id,
                kind=kind,
                occurred_at=occurred_at,
                summary=summary.strip(),
                outcome=outcome,
                who_seen=who_seen.strip(),
                next_step=next_step.strip(),
                author=self.db.actor,
            )
            session.add(row)
            if kind == "visit":
                day = occurred_at.date()
                case.last_visit_on = max(filter(None, (case.last_visit_on, day)))
                has_step = session.scalar(
                    select(StepProgress.id).where(
                        StepProgress.case_id == case_id, StepProgress.step == "home_visit"
                    )
                )
                if has_step is None:
                    session.add(
                        StepProgress(
                            case_id=case_id, step="home_visit", done_on=day, done_by=self.db.actor
                        )
                    )
                if outcome in {"seen", "family_seen"}:
                    case.whereabouts_unknown = False
                session.flush()
                self._refresh_steps(session, case)
            session.flush()
            self._audit(session, f"timeline_{kind}", case_id, f"entry={row.id}")
            return row.id

    # -- tasks ------------------------------------------------------------------------------

    def add_task(
        self,
        case_id: int,
        *,
        title: str,
        due_on: date,
        remind_on: date | None = None,
        origin: str = "",
    ) -> int:
        """A follow-up with a due date; shown on the dashboard."""
        if not title.strip():
            raise InvalidInput("Say what needs doing.", field="title")
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = Task(
                case_id=case_id,
                title=title.strip(),
                due_on=due_on,
                remind_on=remind_on,
                origin=origin,
            )
            session.add(row)
            session.flush()
            self._refresh_tasks(session, case)
            self._audit(session, "task_added", case_id, f"task={row.id}")
            return row.id

    def complete_task(self, task_id: int, *, done_on: date | None = None) -> None:
        """Mark a task done (or, with the same call on a done task, leave it done)."""
        with self.db.write() as session:
            row = session.get(Task, task_id)
            if row is None:
                raise NotFound("That task no longer exists.")
            row.done_on = row.done_on or done_on or date.today()
            session.flush()
            self._refresh_tasks(session, self._case(session, row.case_id))
            self._audit(session, "task_done", row.case_id, f"task={task_id}")

    # -- agencies and meetings -----------------------------------------------------------

    def add_agency_referral(
        self,
        case_id: int,
        *,
        agency: str,
        referred_on: date,
        contact: str = "",
        reference: str = "",
        note: str = "",
    ) -> int:
        """Record a referral of the child to a partner agency (policy 2.1)."""
        if agency not in vocab.INDEX["partner_agencies"]:
            raise InvalidInput("Choose the agency.", field="agency")
        with self.db.write() as session:
            self._case(session, case_id)
            row = AgencyReferral(
                case_id=case_id,
                agency=agency,
                referred_on=referred_on,
                contact=contact.strip(),
                reference=reference.strip(),
                note=note.strip(),
            )
            session.add(row)
            session.flush()
            self._audit(session, "agency_referral_added", case_id, f"agency={agency}")
            return row.id

    def add_meeting(self, case_id: int, *, held_on: date, attendees: str, actions: str) -> int:
        """Record a multi-agency meeting: date, attendees, actions."""
        with self.db.write() as session:
            self._case(session, case_id)
            row = Meeting(
                case_id=case_id,
                held_on=held_on,
                attendees=attendees.strip(),
                actions=actions.strip(),
            )
            session.add(row)
            session.flush()
            self._audit(session, "meeting_added", case_id, f"meeting={row.id}")
            return row.id

    # -- families -------------------------------------------------------------------------

    def link_family(self, case_ids: Iterable[int]) -> int:
        """Link the cases as siblings of one family; returns the family id."""
        ids = list(dict.fromkeys(case_ids))
        if len(ids) < 2:
            raise InvalidInput("Choose at least two cases to link as siblings.")
        with self.db.write() as session:
            cases = [self._case(session, i) for i in ids]
            existing = next((c.family_id for c in cases if c.family_id), None)
            if existing is None:
                family = Family()
                session.add(family)
                session.flush()
                existing = family.id
            for case in cases:
                if case.family_id not in (None, existing):
                    # Merge the other family into this one.
                    for other in session.scalars(
                        select(Case).where(Case.family_id == case.family_id)
                    ):
                        other.family_id = existing
                case.family_id = existing
            for case in cases:
                self._audit(session, "family_linked", case.id, f"family={existing}")
            return existing


# --- reading a whole case ------------------------------------------------------------


def _draft_of(case: Case) -> CaseDraft:
    values = {name: getattr(case, name) for name in _DRAFT_COLUMNS}
    return CaseDraft(**values, groups=tuple(sorted(g.group_key for g in case.groups)))


def _detail(session: Session, case: Case) -> CaseDetail:
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
                t.id, t.kind, t.occurred_at, t.summary, t.outcome, t.who_seen, t.next_step, t.author
            )
            for t in sorted(case.timeline, key=lambda t: (t.occurred_at, t.id), reverse=True)
        ),
        tasks=tuple(
            TaskRow(t.id, t.case_id, t.title, t.due_on, t.remind_on, t.done_on, t.origin)
            for t in sorted(case.tasks, key=lambda t: (t.done_on is not None, t.due_on))
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


def referral_count(session: Session, case_id: int) -> int:
    return int(
        session.scalar(select(func.count(Referral.id)).where(Referral.case_id == case_id)) or 0
    )
