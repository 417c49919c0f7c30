"""A case as plain frozen values: what the window sends and what it receives.

``CaseDraft`` is the details the officer types (``CaseService.create`` and
``update`` take one); ``CaseDetail`` is everything about one case, with a
tuple of rows for each thing logged on it. None of them holds an ORM object.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

# --- what goes in ------------------------------------------------------------


@dataclass(frozen=True)
class CaseDraft:
    """The details of a case the officer types; ``create`` and ``update`` take one."""

    full_name: str
    aka: str = ""
    date_of_birth: date | None = None
    gender: str = ""
    sex: str = ""
    dfe_reason: str = ""
    cme_confirmed_on: date | None = None
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


#: The draft's fields that are ``Case`` columns of the same name.
DRAFT_COLUMNS = tuple(f.name for f in fields(CaseDraft) if f.name not in {"groups"})


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
    edited_at: datetime | None = None
    #: When the officer deleted it (struck through, kept), and why.
    deleted_at: datetime | None = None
    deleted_reason: str = ""
    #: The version read: a correction saved from it is refused if someone saved since.
    version: int = 1


@dataclass(frozen=True)
class TaskRow:
    id: int
    case_id: int
    title: str
    due_on: date
    remind_on: date | None
    done_on: date | None
    origin: str
    edited_at: datetime | None = None
    #: When the officer deleted it (struck through, kept), and why.
    deleted_at: datetime | None = None
    deleted_reason: str = ""
    #: The version read: a correction saved from it is refused if someone saved since.
    version: int = 1


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
    #: On a shared server, the login of the officer whose case it is ("": not allocated).
    owner: str = ""
    #: The day its personal data was erased under the retention rule (``None``: not erased);
    #: an erased case is shown read only (``cases.erased``).
    erased_on: date | None = None
    #: Which record the row holds (``models.register_terms.COHORTS``): ``cme``, ``cnis``
    #: (only on the register of children not in school) or ``both``.
    cohort: str = "cme"

    @property
    def full_name(self) -> str:
        return self.draft.full_name

    @property
    def reference(self) -> str:
        return case_reference(self.id)


def case_reference(case_id: int) -> str:
    """The reference an officer quotes: ``CME-000123``."""
    return f"CME-{case_id:06d}"
