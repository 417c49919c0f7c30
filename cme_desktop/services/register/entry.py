"""The register's use cases: on, off, its content, and moving between CME and the register.

One child, one record (``models.register``): putting a CME child on the register
keeps their case (cohort ``both``); a child new to the authority gets a row of their
own (cohort ``cnis``) with no CME case. A register child whose education stops has a
CME case opened on the same row (cohort ``both``), and a CME child found to be home
educated is put on the register from the closing of their case. Every change is one
transaction with its register event, its timeline entry where the move is the case's
history, the deadlines it sets (``duties``) and its audit row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cme_desktop.models import (
    Address,
    Carer,
    Case,
    RegisterEntry,
    RegisterEvent,
    RegisterParent,
    RegisterProvider,
    StepProgress,
    utcnow,
)
from cme_desktop.models import register_terms as terms
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.erased import refuse_if_erased
from cme_desktop.services.cases.list_columns import refresh_current_step
from cme_desktop.services.errors import ChangedElsewhere, InvalidInput, NotFound
from cme_desktop.services.register import duties
from cme_desktop.services.register.config import RegisterConfig, read_config
from cme_desktop.services.register.eligibility import Eligibility, eligibility
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.rules.names import clean_name
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "EntryDraft",
    "EventRow",
    "NewChild",
    "ParentDraft",
    "ProviderDraft",
    "RegisterRecord",
    "RegisterService",
]

_TERM_KEYS = {
    "lives_in_area": {t.key for t in terms.LIVES_IN_AREA},
    "school_status": {t.key for t in terms.SCHOOL_STATUSES},
    "left_reason": {t.key for t in terms.LEFT_REASONS},
    "provider_kind": {t.key for t in terms.PROVIDER_KINDS},
    "provider_mode": {t.key for t in terms.PROVIDER_MODES},
    "event_kind": {t.key for t in terms.EVENT_KINDS},
}
#: The most hours in a week: an estimate above it is a typing slip.
WEEK_HOURS = 168.0
MAX_PEOPLE = 20


# --- what goes in -------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryDraft:
    """The register's own fields of a child's entry (s.436B–436C), as the officer types them."""

    lives_in_area: str = "unknown"
    school_status: str = "unknown"
    arrangement: str = ""
    school: str = ""
    optional_info: dict[str, str] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class ParentDraft:
    """A parent (s.436C(2)(b)–(c)); ``carer_id`` when they are one of the case's carers."""

    name: str
    home_address: str = ""
    provides_education: bool = False
    hours_per_week: float | None = None
    carer_id: int | None = None


@dataclass(frozen=True)
class ProviderDraft:
    """Another person providing the child's education (s.436C(2)(d))."""

    name: str
    address: str = ""
    kind: str = "other"
    mode: str = "in_person"
    hours_per_week: float | None = None
    hours_without_parent: float | None = None


@dataclass(frozen=True)
class NewChild:
    """A child new to the record, put straight on the register (cohort ``cnis``)."""

    full_name: str
    date_of_birth: date | None = None
    home_address: str = ""
    sex: str = ""
    upn: str = ""


# --- what comes out -----------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    id: int
    kind: str
    label: str
    on: date
    due: date | None
    detail: str
    recorded_by: str


@dataclass(frozen=True)
class RegisterRecord:
    """A child's register entry as the window shows it (no ORM object)."""

    case_id: int
    cohort: str
    full_name: str
    date_of_birth: date | None
    home_address: str
    status: str
    registered_on: date
    left_on: date | None
    left_reason: str
    entry: EntryDraft
    parents: tuple[ParentDraft, ...]
    providers: tuple[ProviderDraft, ...]
    events: tuple[EventRow, ...]
    eligibility: Eligibility
    version: int
    case_status: str

    @property
    def on_register(self) -> bool:
        return self.status == "on"


# --- checks -------------------------------------------------------------------------------


def _hours(value: float | None, what: str, fld: str) -> float | None:
    if value is None:
        return None
    if not 0 <= value <= WEEK_HOURS:
        raise InvalidInput(f"{what} should be 0 to {WEEK_HOURS:g} hours a week.", field=fld)
    return round(float(value), 1)


def _check_entry(
    draft: EntryDraft, config: RegisterConfig, held: frozenset[str] = frozenset()
) -> EntryDraft:
    """``draft`` tidied, or ``InvalidInput``. ``held``: optional fields the entry holds
    already, kept even if since taken off the configured list (nothing is lost)."""
    if draft.lives_in_area not in _TERM_KEYS["lives_in_area"]:
        raise InvalidInput("Say whether the child lives in the area.", field="lives_in_area")
    if draft.school_status not in _TERM_KEYS["school_status"]:
        raise InvalidInput("Choose the child's school registration.", field="school_status")
    arrangement = draft.arrangement if draft.school_status == "registered_elsewhere" else ""
    known = {t.key for t in config.arrangements}
    if arrangement and arrangement not in known:
        raise InvalidInput("Choose the arrangement from the list.", field="arrangement")
    allowed = {t.key for t in config.optional_fields} | held
    info: dict[str, str] = {}
    for key, value in draft.optional_info.items():
        text = str(value).strip()
        if key not in allowed:
            raise InvalidInput(f"“{key[:40]}” is not one of the optional fields.", field=key)
        if len(text) > 2000:
            raise InvalidInput("An optional field holds at most 2,000 characters.", field=key)
        if text:
            info[key] = text
    return EntryDraft(
        lives_in_area=draft.lives_in_area,
        school_status=draft.school_status,
        arrangement=arrangement,
        school=draft.school.strip()[:200],
        optional_info=info,
        note=draft.note.strip(),
    )


def _check_parents(parents: Sequence[ParentDraft]) -> list[ParentDraft]:
    if len(parents) > MAX_PEOPLE:
        raise InvalidInput(f"At most {MAX_PEOPLE} parents.", field="parents")
    out = []
    for number, p in enumerate(parents, 1):
        name = clean_name(p.name)
        if not name:
            raise InvalidInput(f"Parent {number} needs a name.", field="parents")
        hours = _hours(p.hours_per_week, f"Parent {number}'s time", "parents")
        out.append(
            ParentDraft(
                name=name[:200],
                home_address=p.home_address.strip(),
                provides_education=p.provides_education,
                hours_per_week=hours if p.provides_education else None,
                carer_id=p.carer_id,
            )
        )
    return out


def _check_providers(providers: Sequence[ProviderDraft]) -> list[ProviderDraft]:
    if len(providers) > MAX_PEOPLE:
        raise InvalidInput(f"At most {MAX_PEOPLE} providers.", field="providers")
    out = []
    for number, p in enumerate(providers, 1):
        name = clean_name(p.name)
        if not name:
            raise InvalidInput(f"Provider {number} needs a name.", field="providers")
        if p.kind not in _TERM_KEYS["provider_kind"]:
            raise InvalidInput(f"Choose what provider {number} is.", field="providers")
        if p.mode not in _TERM_KEYS["provider_mode"]:
            raise InvalidInput(
                f"Say whether provider {number} teaches in person or online.", field="providers"
            )
        hours = _hours(p.hours_per_week, f"Provider {number}'s time", "providers")
        alone = _hours(p.hours_without_parent, f"Provider {number}'s time alone", "providers")
        if hours is not None and alone is not None and alone > hours:
            raise InvalidInput(
                f"Provider {number}'s time without a parent present is more than their time.",
                field="providers",
            )
        out.append(
            ProviderDraft(
                name=name[:200],
                address=p.address.strip(),
                kind=p.kind,
                mode=p.mode,
                hours_per_week=hours,
                hours_without_parent=alone,
            )
        )
    return out


def _check_on(on: date, today: date) -> None:
    if on > today:
        raise InvalidInput("The date is in the future.", field="on")


# --- the service --------------------------------------------------------------------------


class RegisterService:
    """Putting children on and off the register, its content, and moves to and from CME."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    # -- helpers ---------------------------------------------------------------------------

    def _case(self, session: Session, case_id: int) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        refuse_if_erased(case.erased_on)
        return case

    def _entry(self, session: Session, case_id: int) -> RegisterEntry:
        entry = session.get(RegisterEntry, case_id)
        if entry is None:
            raise NotFound(f"{case_reference(case_id)} has never been on the register.")
        return entry

    def _audit(self, session: Session, action: str, case_id: int, detail: str = "") -> None:
        audit.record(
            session, self.db, action=action, entity="case", entity_id=case_id, detail=detail
        )

    def _event(
        self, session: Session, case_id: int, kind: str, on: date, detail: str = ""
    ) -> RegisterEvent:
        return duties.add_event(session, self.db, case_id=case_id, kind=kind, on=on, detail=detail)

    # -- on and off --------------------------------------------------------------------------

    def put_on(
        self,
        case_id: int,
        *,
        on: date | None = None,
        entry: EntryDraft | None = None,
        detail: str = "",
        today: date | None = None,
    ) -> None:
        """Put the child of case ``case_id`` on the register from ``on``.

        A CME case keeps its history and becomes cohort ``both``; a child taken off before
        comes back on with a new registration date. Refused if already on.
        """
        today = today or local_today()
        on = on or today
        _check_on(on, today)
        with self.db.write() as session:
            config = read_config(session)
            draft = _check_entry(entry or EntryDraft(), config)
            case = self._case(session, case_id)
            self._put_on(session, case, on=on, draft=draft, detail=detail)

    def _put_on(
        self, session: Session, case: Case, *, on: date, draft: EntryDraft, detail: str
    ) -> None:
        row = session.get(RegisterEntry, case.id)
        if row is not None and row.status == "on":
            raise InvalidInput(f"{case.full_name} is on the register already.")
        if row is None:
            row = RegisterEntry(case_id=case.id)
            session.add(row)
        row.status, row.registered_on = "on", on
        row.left_on, row.left_reason, row.left_note = None, "", ""
        _apply(row, draft)
        moved = case.cohort == "cme"
        if case.cohort == "cme":
            case.cohort = "both"
        if case.cohort == "cnis" and case.status == "closed":
            # A register-only row is open while the child is on the register.
            case.status, case.closed_on = "open", None
        session.flush()
        if moved:
            self._event(session, case.id, "from_cme", on, detail)
            history.record(
                session,
                case_id=case.id,
                summary=f"Put on the register of children not in school from {format_date(on)}.",
                author=self.db.actor,
            )
        self._event(session, case.id, "joined", on, "" if moved else detail)
        self._audit(session, "register_joined", case.id, f"cohort={case.cohort}")

    def register_new(
        self,
        child: NewChild,
        *,
        on: date | None = None,
        entry: EntryDraft | None = None,
        detail: str = "",
        today: date | None = None,
    ) -> int:
        """A child new to the record, put on the register (cohort ``cnis``); their case id."""
        today = today or local_today()
        on = on or today
        _check_on(on, today)
        name = clean_name(child.full_name)
        if not name:
            raise InvalidInput("The child's name is needed.", field="full_name")
        if child.date_of_birth and child.date_of_birth > today:
            raise InvalidInput("The date of birth is in the future.", field="date_of_birth")
        upn = child.upn.strip().upper().replace(" ", "")
        if upn and len(upn) != 13:
            raise InvalidInput("A UPN has 13 characters.", field="upn")
        with self.db.write() as session:
            draft = _check_entry(entry or EntryDraft(), read_config(session))
            case = Case(
                full_name=name[:200],
                date_of_birth=child.date_of_birth,
                last_known_address=child.home_address.strip(),
                sex=child.sex,
                upn=upn,
                notified_on=on,
                opened_on=on,
                status="open",
                cohort="cnis",
                identification_route="notification",
            )
            session.add(case)
            session.flush()
            if case.last_known_address:
                session.add(
                    Address(case_id=case.id, address=case.last_known_address, is_last_known=True)
                )
            self._audit(session, "case_created", case.id, "cohort=cnis")
            self._put_on(session, case, on=on, draft=draft, detail=detail)
            return case.id

    def take_off(
        self,
        case_id: int,
        *,
        reason: str,
        on: date | None = None,
        note: str = "",
        today: date | None = None,
    ) -> None:
        """Take the child off the register on ``on`` for ``reason`` (a ``LEFT_REASONS`` key).

        A register-only row closes with it; a child who is also a CME case keeps that case
        as it is.
        """
        today = today or local_today()
        on = on or today
        _check_on(on, today)
        if reason not in _TERM_KEYS["left_reason"]:
            raise InvalidInput("Choose why the child leaves the register.", field="left_reason")
        if reason == "other" and not note.strip():
            raise InvalidInput("Say why the child leaves the register.", field="left_note")
        with self.db.write() as session:
            case = self._case(session, case_id)
            self._take_off(session, case, on=on, reason=reason, note=note)

    def _take_off(self, session: Session, case: Case, *, on: date, reason: str, note: str) -> None:
        row = self._entry(session, case.id)
        if row.status != "on":
            raise InvalidInput(f"{case.full_name} is not on the register.")
        if on < row.registered_on:
            raise InvalidInput(
                f"On the register from {format_date(row.registered_on)}: the child cannot "
                "leave it before.",
                field="on",
            )
        row.status, row.left_on, row.left_reason = "off", on, reason
        row.left_note = note.strip()
        if case.cohort == "cnis" and case.status == "open":
            case.status, case.closed_on = "closed", on
        label = next(t.label for t in terms.LEFT_REASONS if t.key == reason)
        self._event(session, case.id, "left", on, f"{label}. {row.left_note}".strip())
        self._audit(session, "register_left", case.id, f"reason={reason}")

    # -- moves between CME and the register -------------------------------------------------

    def education_stopped(
        self, case_id: int, *, on: date | None = None, note: str = "", today: date | None = None
    ) -> None:
        """A register child's education has stopped: they leave the register and a CME case
        opens on the same record (cohort ``both``), its timeline and the register saying so.

        A child only on the register who has left it already (cohort ``cnis``, off) is
        brought into CME the same way: the case opens and the register's history is kept.
        """
        today = today or local_today()
        on = on or today
        _check_on(on, today)
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = self._entry(session, case.id)
            was_on = row.status == "on"
            if was_on:
                self._take_off(session, case, on=on, reason="to_cme", note=note)
            elif case.cohort != "cnis":
                raise InvalidInput(f"{case.full_name} is not on the register.")
            earlier = case.cohort == "both" and case.status == "closed"
            if case.status == "open" and case.cohort == "both":
                raise InvalidInput(f"{case.full_name}'s CME case is open already.")
            if earlier:
                outcome = vocab.label_of(vocab.CLOSING_OUTCOMES, case.closing_outcome)
                # The reports find reopened spells by this wording (``reports.counting``).
                history.record(
                    session,
                    case_id=case.id,
                    summary=(
                        f"Case reopened (was closed {case.closed_on:%d/%m/%Y}: {outcome}). "
                        "Education stopped while on the register of children not in school."
                    ),
                    author=self.db.actor,
                )
            else:
                # Never a CME case: its CME record starts today.
                case.notified_on = case.opened_on = on
            case.status, case.closed_on, case.closing_outcome = "open", None, ""
            case.cohort = "both"
            for key in ("receive", "log"):
                has = session.scalar(
                    select(StepProgress.id).where(
                        StepProgress.case_id == case.id, StepProgress.step == key
                    )
                )
                if has is None:
                    session.add(
                        StepProgress(case_id=case.id, step=key, done_on=on, done_by=self.db.actor)
                    )
            session.flush()
            refresh_current_step(session, case)
            detail = f"CME case opened on {format_date(on)}. {note.strip()}".strip()
            self._event(session, case.id, "to_cme", on, detail)
            if was_on:
                moved = "left the register of children not in school and opened"
            else:
                left = format_date(row.left_on) if row.left_on else "a day not given"
                moved = f"off the register of children not in school since {left}; opened"
            history.record(
                session,
                case_id=case.id,
                summary=(
                    f"Education stopped: {moved} as a CME case on {format_date(on)}. {note.strip()}"
                ).strip(),
                author=self.db.actor,
            )
            self._audit(session, "register_to_cme", case.id)

    # -- content -----------------------------------------------------------------------------

    def save(
        self,
        case_id: int,
        *,
        version: int,
        entry: EntryDraft,
        parents: Sequence[ParentDraft],
        providers: Sequence[ProviderDraft],
    ) -> RegisterRecord:
        """Save the entry's content (s.436C); refused if someone saved it since ``version``."""
        checked_parents = _check_parents(parents)
        checked_providers = _check_providers(providers)
        with self.db.write() as session:
            case = self._case(session, case_id)
            row = self._entry(session, case_id)
            held = frozenset(_optional(row.optional_info))
            draft = _check_entry(entry, read_config(session), held)
            if row.version != version:
                raise ChangedElsewhere(
                    f"Someone saved {case.full_name}'s register entry since you opened it: "
                    "close the tab and open it again to see their changes."
                )
            carers = set(session.scalars(select(Carer.id).where(Carer.case_id == case_id)))
            _apply(row, draft)
            # Touched even when only parents or providers change: the entry's version moves on
            # with every save, so a save from an older reading is refused.
            row.updated_at = utcnow()
            session.execute(delete(RegisterParent).where(RegisterParent.case_id == case_id))
            session.execute(delete(RegisterProvider).where(RegisterProvider.case_id == case_id))
            for p in checked_parents:
                session.add(
                    RegisterParent(
                        case_id=case_id,
                        name=p.name,
                        home_address=p.home_address,
                        provides_education=p.provides_education,
                        hours_per_week=p.hours_per_week,
                        carer_id=p.carer_id if p.carer_id in carers else None,
                    )
                )
            for v in checked_providers:
                session.add(
                    RegisterProvider(
                        case_id=case_id,
                        name=v.name,
                        address=v.address,
                        kind=v.kind,
                        mode=v.mode,
                        hours_per_week=v.hours_per_week,
                        hours_without_parent=v.hours_without_parent,
                    )
                )
            session.flush()
            self._audit(
                session,
                "register_updated",
                case_id,
                f"parents={len(checked_parents)} providers={len(checked_providers)}",
            )
            return _record(session, case, row, read_config(session))

    def get(self, case_id: int, *, today: date | None = None) -> RegisterRecord | None:
        """The child's register entry (``None`` if never on the register); the read is audited."""
        with self.db.write() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Case {case_reference(case_id)} does not exist.")
            row = session.get(RegisterEntry, case_id)
            if row is None:
                return None
            self._audit(session, "register_read", case_id)
            return _record(session, case, row, read_config(session), today=today)


def _apply(row: RegisterEntry, draft: EntryDraft) -> None:
    row.lives_in_area = draft.lives_in_area
    row.school_status = draft.school_status
    row.arrangement = draft.arrangement
    row.school = draft.school
    row.optional_info = json.dumps(draft.optional_info, ensure_ascii=False, sort_keys=True)
    row.note = draft.note


def _optional(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _record(
    session: Session,
    case: Case,
    row: RegisterEntry,
    config: RegisterConfig,
    *,
    today: date | None = None,
) -> RegisterRecord:
    parents = session.scalars(
        select(RegisterParent).where(RegisterParent.case_id == case.id).order_by(RegisterParent.id)
    )
    providers = session.scalars(
        select(RegisterProvider)
        .where(RegisterProvider.case_id == case.id)
        .order_by(RegisterProvider.id)
    )
    events = session.scalars(
        select(RegisterEvent)
        .where(RegisterEvent.case_id == case.id)
        .order_by(RegisterEvent.on, RegisterEvent.id)
    )
    labels = {t.key: t.label for t in terms.EVENT_KINDS}
    entry = EntryDraft(
        lives_in_area=row.lives_in_area,
        school_status=row.school_status,
        arrangement=row.arrangement,
        school=row.school,
        optional_info=_optional(row.optional_info),
        note=row.note,
    )
    return RegisterRecord(
        case_id=case.id,
        cohort=case.cohort,
        full_name=case.full_name,
        date_of_birth=case.date_of_birth,
        home_address=case.last_known_address,
        status=row.status,
        registered_on=row.registered_on,
        left_on=row.left_on,
        left_reason=row.left_reason,
        entry=entry,
        parents=tuple(
            ParentDraft(p.name, p.home_address, p.provides_education, p.hours_per_week, p.carer_id)
            for p in parents
        ),
        providers=tuple(
            ProviderDraft(
                v.name, v.address, v.kind, v.mode, v.hours_per_week, v.hours_without_parent
            )
            for v in providers
        ),
        events=tuple(
            EventRow(e.id, e.kind, labels.get(e.kind, e.kind), e.on, e.due, e.detail, e.recorded_by)
            for e in events
        ),
        eligibility=eligibility(
            lives_in_area=row.lives_in_area,
            date_of_birth=case.date_of_birth,
            school_status=row.school_status,
            arrangement=row.arrangement,
            arrangements=[t.key for t in config.arrangements],
            on=today or local_today(),
        ),
        version=row.version,
        case_status=case.status,
    )
