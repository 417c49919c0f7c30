"""SQLAlchemy models and the policy's vocabularies: no Qt, no I/O."""

from cme_desktop.models.audit import AuditEvent
from cme_desktop.models.base import Base, utcnow
from cme_desktop.models.records import (
    Address,
    AgencyReferral,
    Attachment,
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
from cme_desktop.models.settings import Setting, Snapshot

__all__ = [
    "Address",
    "AgencyReferral",
    "Attachment",
    "AuditEvent",
    "Base",
    "Carer",
    "Case",
    "CaseGroup",
    "Escalation",
    "Family",
    "Meeting",
    "Referral",
    "Setting",
    "Snapshot",
    "StepProgress",
    "Task",
    "TimelineEntry",
    "utcnow",
]
