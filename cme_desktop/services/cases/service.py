"""Cases: create, read, update, close and reopen, and what the officer logs on them.

Every public method is one unit of work: one transaction, one audit row
(or a few, all in that transaction), plain frozen dataclasses out (see
``cases.detail``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from cme_desktop.models import (
    Address,
    AgencyReferral,
    Carer,
    Case,
    CaseGroup,
    Family,
    Meeting,
    StepProgress,
    Task,
    TimelineEntry,
)
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import history
from cme_desktop.services.cases.closing import ClosureDetails, apply_closure
from cme_desktop.services.cases.detail import DRAFT_COLUMNS, CaseDetail, CaseDraft, case_reference
from cme_desktop.services.cases.erased import refuse_if_erased
from cme_desktop.services.cases.list_columns import refresh_current_step, refresh_next_task_due
from cme_desktop.services.cases.reading import case_detail
from cme_desktop.services.cases.register_only import refuse_if_register_only
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.reports import dfe_codes
from cme_desktop.services.reports.dfe_codebook import check_case_reason
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.rules.names import clean_name
from cme_desktop.services.server.concurrency import changed_elsewhere, stale_case, stale_row
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

# --- rules -------------------------------------------------------------------


def _clean(draft: CaseDraft) -> CaseDraft:
    # Invisible format characters (bidi overrides, zero-width) out: see rules.names.
    name = clean_name(draft.full_name)
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
    # The reason is checked against the authority's codes in the write (``check_case_reason``).
    dfe_codes.check_case_fields(draft.sex, draft.dfe_reason, draft.cme_confirmed_on, reasons=None)
    return replace(
        draft,
        full_name=name,
        aka=clean_name(draft.aka),
        upn=upn,
        last_known_address=draft.last_known_address.strip(),
        school=draft.school.strip(),
        groups=tuple(dict.fromkeys(draft.groups)),
    )


class CaseService:
    """The case record's use cases."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    # -- helpers -----------------------------------------------------------

    def _case(self, session: Session, case_id: int, *, change: bool = True) -> Case:
        """The case, to change (``CaseErased`` if it was erased) or, ``change=False``, to read."""
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        if change:
            # Its personal data went under the retention rule: none may come back.
            refuse_if_erased(case.erased_on)
        return case

    def _audit(self, session: Session, action: str, case_id: int | None, detail: str = "") -> None:
        audit.record(
            session, self.db, action=action, entity="case", entity_id=case_id, detail=detail
        )

    # -- create / read / update ------------------------------------------------

    def create(self, *, draft: CaseDraft, today: date | None = None) -> int:
        """Log a new case (steps 1 and 3 of policy 3.0 are done by logging it)."""
        draft = _clean(draft)
        today = today or local_today()
        with self.db.write() as session:
            check_case_reason(session, draft.dfe_reason)
            case = Case(
                **{name: getattr(draft, name) for name in DRAFT_COLUMNS},
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
            refresh_current_step(session, case)
            self._audit(session, "case_created", case.id)
            return case.id

    def get(self, case_id: int) -> CaseDetail:
        """One case with everything logged on it; the read is audited."""
        with self.db.write() as session:
            case = self._case(session, case_id, change=False)
            self._audit(session, "case_read", case_id)
            return case_detail(session, case)

    def get_for_document(self, case_id: int) -> CaseDetail:
        """The case read (and audited) for a document about the child: a referral export,
        a letter, a visit sheet, a chronology; ``CaseErased`` for an erased case."""
        detail = self.get(case_id)
        refuse_if_erased(detail.erased_on)
        return detail

    def update(self, case_id: int, *, draft: CaseDraft, version: int) -> CaseDetail:
        """Save the officer's edits; refused if someone saved the case in between."""
        draft = _clean(draft)
        with self.db.write() as session:
            case = self._case(session, case_id)
            if case.version != version:
                # Who changed it, when and what, from the audit log (services.server.concurrency).
                raise stale_case(
                    session, case_id, read_version=version, current_version=case.version
                )
            check_case_reason(session, draft.dfe_reason, held=case.dfe_reason)
            # A draft without a notification date keeps the case's own.
            names = [
                n for n in DRAFT_COLUMNS if not (n == "notified_on" and draft.notified_on is None)
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
                raise changed_elsewhere(self.db, exc, session) from exc
            self._audit(session, "case_updated", case_id, "fields=" + ",".join(sorted(changed)))
            return case_detail(session, case)

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

    def close(
        self,
        case_id: int,
        *,
        outcome: str,
        on: date | None = None,
        note: str = "",
        details: ClosureDetails | None = None,
    ) -> None:
        """Close a case with one of the closing outcomes, checked by ``cases.closing``.

        ``details`` carries what the outcome needs (a school and start day, the
        receiving authority, the untraceable enquiries); ``ClosureRefused`` names
        what is missing, and nothing changes.
        """
        if outcome not in vocab.INDEX["closing_outcomes"]:
            raise InvalidInput("Choose why the case is closed.", field="outcome")
        with self.db.write() as session:
            case = self._case(session, case_id)
            refuse_if_register_only(case.cohort, "Closing a case is")
            apply_closure(
                session,
                self.db,
                case,
                outcome=outcome,
                on=on or local_today(),
                note=note,
                details=details or ClosureDetails(),
            )

    def reopen(self, case_id: int, *, reason: str = "") -> None:
        """Reopen a closed case; its history is kept."""
        with self.db.write() as session:
            case = self._case(session, case_id, change=False)
            if case.status != "closed":
                raise InvalidInput("The case is open already.")
            # A register-only row opens again by joining the register (``register.entry``).
            refuse_if_register_only(case.cohort, "Reopening a case is")
            if case.erased_on is not None:
                # Only the figures' facts are left (``cases.erasure``): nothing to work on.
                raise InvalidInput(
                    f"Case {case_reference(case_id)} was erased under the retention rule: "
                    "log a new case for the child."
                )
            case.status = "open"
            outcome = vocab.label_of(vocab.CLOSING_OUTCOMES, case.closing_outcome)
            # The reports find reopened spells by this wording (``reports.counting``).
            history.record(
                session,
                case_id=case_id,
                summary=(
                    f"Case reopened (was closed {case.closed_on:%d/%m/%Y}: {outcome}). {reason}"
                ),
                author=self.db.actor,
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
            refuse_if_register_only(case.cohort, "The tracking steps are")
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
            refresh_current_step(session, case)
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
        """Add a parent/carer, or update one (``carer_id``).

        The name is kept on one line, without invisible format characters (``rules.names``).
        """
        name = clean_name(name)
        if not name:
            raise InvalidInput("The parent's or carer's name is needed.", field="name")
        with self.db.write() as session:
            self._case(session, case_id)
            row = session.get(Carer, carer_id) if carer_id else Carer(case_id=case_id, name="")
            if row is None or row.case_id != case_id:
                raise NotFound("That parent/carer is no longer on the case.")
            row.name, row.relationship_to_child = name, relationship.strip()
            row.telephone, row.email = telephone.strip(), email.strip()
            row.address, row.note = address.strip(), note.strip()
            session.add(row)
            session.flush()
            self._audit(session, "carer_saved", case_id, f"carer={row.id}")
            return row.id

    def remove_carer(self, case_id: int, *, carer_id: int) -> None:
        with self.db.write() as session:
            self._case(session, case_id)
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
        next_step_due: date | None = None,
    ) -> int:
        """Log a note, call, contact or home visit. A visit ticks step 5 of policy 3.0.

        With ``next_step_due``, the next step also becomes a task due that day (origin
        ``"visit"``), in the same transaction as the entry.
        """
        if kind not in vocab.INDEX["timeline_kinds"] or kind == history.SYSTEM:
            raise InvalidInput("Unknown kind of entry.", field="kind")
        if kind == "visit" and outcome and outcome not in vocab.INDEX["visit_outcomes"]:
            raise InvalidInput("Choose the outcome of the visit.", field="outcome")
        if not summary.strip() and not outcome:
            raise InvalidInput("Write what happened.", field="summary")
        if next_step_due is not None and not next_step.strip():
            raise InvalidInput("Write the next step to add it as a task.", field="next_step")
        with self.db.write() as session:
            case = self._case(session, case_id)
            if next_step_due is not None:
                task = Task(
                    case_id=case_id,
                    title=next_step.strip()[:300],
                    due_on=next_step_due,
                    origin="visit",
                )
                session.add(task)
                session.flush()
                refresh_next_task_due(session, case)
                self._audit(session, "task_added", case_id, f"task={task.id}")
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
                refresh_current_step(session, case)
            session.flush()
            self._audit(session, f"timeline_{kind}", case_id, f"entry={row.id}")
            return row.id

    def _entry(self, session: Session, entry_id: int) -> TimelineEntry:
        """An entry the officer may correct: hers, and not already deleted."""
        row = session.get(TimelineEntry, entry_id)
        if row is None:
            raise NotFound("That timeline entry no longer exists.")
        if row.kind == history.SYSTEM:
            raise InvalidInput(
                "Entries recorded automatically cannot be changed: add a note to correct them."
            )
        if row.deleted_at is not None:
            raise InvalidInput("That entry has been deleted already.")
        self._case(session, row.case_id)  # refused for an erased case
        return row

    def _refresh_last_visit(self, session: Session, case: Case) -> None:
        # The case list's "last visit" follows the visits still standing.
        session.flush()
        latest = session.scalar(
            select(func.max(TimelineEntry.occurred_at)).where(
                TimelineEntry.case_id == case.id,
                TimelineEntry.kind == "visit",
                TimelineEntry.deleted_at.is_(None),
            )
        )
        case.last_visit_on = _as_datetime(latest).date() if latest is not None else None

    def edit_timeline(
        self,
        entry_id: int,
        *,
        occurred_at: datetime,
        summary: str,
        outcome: str = "",
        who_seen: str = "",
        next_step: str = "",
        version: int | None = None,
    ) -> None:
        """Correct an entry the officer wrote; it is marked as edited and the edit audited.

        ``version``: the entry's version as read (``TimelineRow.version``); if someone has
        saved it since, nothing is saved and ``ChangedElsewhere`` says who and when.
        """
        with self.db.write() as session:
            row = self._entry(session, entry_id)
            if version is not None and row.version != version:
                raise stale_row(session, "timeline", row.case_id, entry_id)
            if row.kind == "visit" and outcome not in vocab.INDEX["visit_outcomes"]:
                raise InvalidInput("Choose the outcome of the visit.", field="outcome")
            if not summary.strip() and not outcome:
                raise InvalidInput("Write what happened.", field="summary")
            row.occurred_at = occurred_at
            row.summary = summary.strip()
            row.outcome = outcome if row.kind == "visit" else ""
            row.who_seen, row.next_step = who_seen.strip(), next_step.strip()
            row.edited_at = datetime.now()
            if row.kind == "visit":
                self._refresh_last_visit(session, self._case(session, row.case_id))
            self._audit(session, "timeline_edited", row.case_id, f"entry={entry_id}")

    def delete_timeline(self, entry_id: int, *, reason: str) -> None:
        """Strike an entry through: kept, with when and why, and no longer counted."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("Say why the entry is being deleted.", field="reason")
        with self.db.write() as session:
            row = self._entry(session, entry_id)
            row.deleted_at = datetime.now()
            row.deleted_reason = reason
            if row.kind == "visit":
                self._refresh_last_visit(session, self._case(session, row.case_id))
            self._audit(session, "timeline_deleted", row.case_id, f"entry={entry_id}")

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
            refresh_next_task_due(session, case)
            self._audit(session, "task_added", case_id, f"task={row.id}")
            return row.id

    def complete_task(self, task_id: int, *, done_on: date | None = None) -> None:
        """Mark a task done (or, with the same call on a done task, leave it done)."""
        with self.db.write() as session:
            row = self._task(session, task_id)
            row.done_on = row.done_on or done_on or date.today()
            session.flush()
            refresh_next_task_due(session, self._case(session, row.case_id))
            self._audit(session, "task_done", row.case_id, f"task={task_id}")

    def _task(self, session: Session, task_id: int) -> Task:
        row = session.get(Task, task_id)
        if row is None:
            raise NotFound("That task no longer exists.")
        if row.deleted_at is not None:
            raise InvalidInput("That task has been deleted.")
        self._case(session, row.case_id)  # refused for an erased case
        return row

    def edit_task(
        self,
        task_id: int,
        *,
        title: str,
        due_on: date,
        remind_on: date | None = None,
        version: int | None = None,
    ) -> None:
        """Correct a task's wording or dates; it is marked as edited and the edit audited.

        ``version``: the task's version as read (``TaskRow.version``); if someone has saved
        it since, nothing is saved and ``ChangedElsewhere`` says who and when.
        """
        if not title.strip():
            raise InvalidInput("Say what needs doing.", field="title")
        with self.db.write() as session:
            row = self._task(session, task_id)
            if version is not None and row.version != version:
                raise stale_row(session, "tasks", row.case_id, task_id)
            row.title, row.due_on, row.remind_on = title.strip(), due_on, remind_on
            row.edited_at = datetime.now()
            session.flush()
            refresh_next_task_due(session, self._case(session, row.case_id))
            self._audit(session, "task_edited", row.case_id, f"task={task_id}")

    def delete_task(self, task_id: int, *, reason: str) -> None:
        """Strike a task through: kept, with when and why, and off the dashboard."""
        reason = reason.strip()
        if not reason:
            raise InvalidInput("Say why the task is being deleted.", field="reason")
        with self.db.write() as session:
            row = self._task(session, task_id)
            row.deleted_at = datetime.now()
            row.deleted_reason = reason
            session.flush()
            refresh_next_task_due(session, self._case(session, row.case_id))
            self._audit(session, "task_deleted", row.case_id, f"task={task_id}")

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


def _as_datetime(value: datetime | str) -> datetime:
    # ``max()`` over a DateTime column comes back as text from SQLite.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
