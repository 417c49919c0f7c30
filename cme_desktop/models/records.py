"""The central record: one case per child, and everything the officer logs on it.

A ``Case`` is one child missing education. Columns that the case list sorts
or filters on (current step, next task due, escalation flags, last visit,
whereabouts) are kept on the case row by the case service, so that the list
at 100,000 cases needs no joins.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from cme_desktop.models.base import Base, utcnow

NOCASE = "NOCASE"


def surname_of(full_name: str) -> str:
    """The surname the case list sorts by: the last word of the name (the whole name when
    it is one word). Migration 0006 reads the names already kept the same way, in SQL."""
    return full_name.strip(" ").rsplit(" ", 1)[-1]


#: The columns of ``ix_cases_report`` (migrations 0003, 0013), in its order.
REPORT_COLUMNS = (
    "notified_on",
    "opened_on",
    "closed_on",
    "status",
    "date_of_birth",
    "closing_outcome",
    "identification_route",
    "referring_agency",
    "reason_missing",
    "gender",
    "date_last_attended",
    "school",
    "new_school",
    "full_name",
    "current_step",
    "whereabouts_unknown",
    # The CME figures leave out children only on the register (migration 0013).
    "cohort",
)


class Family(Base):
    """Siblings share a family; a case with no siblings has none."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cases: Mapped[list[Case]] = relationship(back_populates="family")


class Case(Base):
    __tablename__ = "cases"
    # The list's indexes (migration 0003, named by ``cases.case_list``): each quick filter
    # and each header's order read straight from an index, so the list's count and page
    # cost the same at any size. The name index also holds the quick filters' columns: a
    # filtered list walks it in name order (surname, then the whole name: migration 0006)
    # without reading the rows it skips. Plain
    # columns only: an expression or a descending column would not survive a later batch
    # migration that rebuilds ``cases`` (SQLAlchemy reflects neither).
    __table_args__ = (
        Index(
            "ix_cases_list_name",
            "status",
            "surname_key",
            "full_name",
            "next_task_due",
            "last_visit_on",
            "whereabouts_unknown",
            "escalated_police",
            "escalated_social_care",
        ),
        Index("ix_cases_name", "surname_key", "full_name"),
        Index("ix_cases_status_step", "status", "current_step"),
        Index("ix_cases_status_step_name", "status", "current_step", "surname_key", "full_name"),
        Index("ix_cases_status_dob", "status", "date_of_birth"),
        Index("ix_cases_status_address", "status", "last_known_address"),
        Index("ix_cases_status_school", "status", "school"),
        Index("ix_cases_status_opened", "status", "opened_on"),
        Index("ix_cases_status_next_task", "status", "next_task_due"),
        Index("ix_cases_status_escalation", "status", "escalated_police", "escalated_social_care"),
        # Led by the id: a search looks each full-text match up here, not in the wide row.
        Index(
            "ix_cases_by_id",
            "id",
            "status",
            "full_name",
            "next_task_due",
            "last_visit_on",
            "whereabouts_unknown",
            "escalated_police",
            "escalated_social_care",
            "current_step",
        ),
        # Every column the reports read: their passes over all cases read this narrow
        # copy instead of the wide rows (``services.reports``).
        Index("ix_cases_report", *REPORT_COLUMNS),
        Index("ix_cases_next_task_due", "next_task_due"),
        # The narrowest look-up of a case's status: the dashboard checks each due task's
        # case here (migration 0011).
        Index("ix_cases_id_status", "id", "status"),
        Index("ix_cases_notified_on", "notified_on"),
        Index("ix_cases_closed_on", "closed_on"),
        # An officer's own cases on a shared server, in name order (migration 0012).
        Index("ix_cases_owner_name", "owner", "status", "surname_key", "full_name"),
        # The list's cohort filter (migration 0013): CME, children not in school, or both;
        # the dashboard reads it alone to leave the children only on the register out.
        Index(
            "ix_cases_cohort_name",
            "cohort",
            "status",
            "surname_key",
            "full_name",
            "current_step",
            "next_task_due",
            "notified_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    # On a shared server: the login of the officer whose case it is ("" = not allocated),
    # set and guarded by the database (``services.server.roles``, migration 0010).
    owner: Mapped[str] = mapped_column(
        String(63), default="", server_default=text("''"), nullable=False
    )

    # Which record the row holds (migration 0013, ``models.register_terms.COHORTS``):
    # ``cme``, ``cnis`` (on the children-not-in-school register, never a CME case) or
    # ``both``. Kept by the register service, never typed.
    cohort: Mapped[str] = mapped_column(
        String(8), default="cme", server_default=text("'cme'"), nullable=False
    )

    # The child (Appendix A: pupil details)
    full_name: Mapped[str] = mapped_column(String(200, collation=NOCASE), nullable=False)
    # People are looked up by surname: the list sorts by it (``surname_of``), set with the
    # name (``_name_set``), never typed.
    surname_key: Mapped[str] = mapped_column(
        # No length: SQLite reckons an index's width from the declared lengths, and a wide
        # guess would turn it from the indexes that hold this column.
        String(collation=NOCASE),
        server_default=text("''"),
        nullable=False,
    )
    aka: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    gender: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    # For the DfE return (migration 0007): the controlled sex (``reports.dfe_codes.SEXES``;
    # "" = not recorded), the DfE primary reason, and the day CME was confirmed (checks
    # done, no school place, no suitable education). The typed gender above stays as typed.
    sex: Mapped[str] = mapped_column(
        String(12), default="", server_default=text("''"), nullable=False
    )
    dfe_reason: Mapped[str] = mapped_column(
        String(12), default="", server_default=text("''"), nullable=False
    )
    cme_confirmed_on: Mapped[date | None] = mapped_column(Date)
    ethnicity: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    upn: Mapped[str] = mapped_column(String(13), default="", nullable=False, index=True)
    sen_disability: Mapped[str] = mapped_column(Text, default="", nullable=False)
    child_in_care: Mapped[bool | None] = mapped_column(Boolean)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)

    # Where and which school
    last_known_address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    school: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    date_last_attended: Mapped[date | None] = mapped_column(Date)
    new_school: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    new_school_start: Mapped[date | None] = mapped_column(Date)

    # How the case was identified (policy 8.1) and why the child is missing (4.0)
    identification_route: Mapped[str] = mapped_column(String(40), default="notification")
    identified_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    referring_agency: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    reason_missing: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    notified_on: Mapped[date] = mapped_column(Date, nullable=False)

    # Status
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)
    opened_on: Mapped[date] = mapped_column(Date, nullable=False)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closing_outcome: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    closing_note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # Retention (migration 0009, ``services.cases.retention``): kept longer than the rule
    # to ``retain_until`` for ``retention_reason``; ``erased_on``: personal data erased.
    retain_until: Mapped[date | None] = mapped_column(Date)
    retention_reason: Mapped[str] = mapped_column(
        Text, default="", server_default=text("''"), nullable=False
    )
    erased_on: Mapped[date | None] = mapped_column(Date)

    # Kept by the case service for the list (see module docstring)
    current_step: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    whereabouts_unknown: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    next_task_due: Mapped[date | None] = mapped_column(Date)
    escalated_police: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    escalated_social_care: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )

    family: Mapped[Family | None] = relationship(back_populates="cases")
    groups: Mapped[list[CaseGroup]] = relationship(cascade="all, delete-orphan")
    addresses: Mapped[list[Address]] = relationship(
        cascade="all, delete-orphan", order_by="Address.id"
    )
    carers: Mapped[list[Carer]] = relationship(cascade="all, delete-orphan", order_by="Carer.id")
    steps: Mapped[list[StepProgress]] = relationship(cascade="all, delete-orphan")
    timeline: Mapped[list[TimelineEntry]] = relationship(cascade="all, delete-orphan")
    tasks: Mapped[list[Task]] = relationship(cascade="all, delete-orphan")
    agency_referrals: Mapped[list[AgencyReferral]] = relationship(cascade="all, delete-orphan")
    meetings: Mapped[list[Meeting]] = relationship(cascade="all, delete-orphan")
    escalations: Mapped[list[Escalation]] = relationship(cascade="all, delete-orphan")
    referrals: Mapped[list[Referral]] = relationship(cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @validates("full_name")
    def _name_set(self, _key: str, value: str) -> str:
        self.surname_key = surname_of(value or "")
        return value


class CaseGroup(Base):
    """An at-risk or vulnerable group of policy 4.0/4.1 the child belongs to."""

    __tablename__ = "case_groups"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    group_key: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    address: Mapped[str] = mapped_column(Text, nullable=False)
    moved_in: Mapped[date | None] = mapped_column(Date)
    moved_out: Mapped[date | None] = mapped_column(Date)
    is_last_known: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)


class Carer(Base):
    """A parent or carer, with their contact details."""

    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    relationship_to_child: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    telephone: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    email: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # Moved on by each save; a save of an older version is refused (migration 0010).
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default=text("1"), nullable=False
    )
    __mapper_args__ = {"version_id_col": version}


class StepProgress(Base):
    """One of the nine tracking steps of policy 3.0, done on a date by someone."""

    __tablename__ = "step_progress"
    __table_args__ = (UniqueConstraint("case_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    step: Mapped[str] = mapped_column(String(20), nullable=False)
    done_on: Mapped[date] = mapped_column(Date, nullable=False)
    done_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)


#: The timeline entries written when a case is reopened ("Case reopened (was closed
#: dd/mm/yyyy: …)", ``cases.service``), as SQL: the condition of ``ix_timeline_reopened``
#: and of the reports' query, word for word (a partial index is used only then).
REOPENED_WHERE = "kind IN ('note', 'system') AND summary LIKE 'Case reopened (was closed %'"


class TimelineEntry(Base):
    """A note, phone call, contact or home visit, with its outcome."""

    __tablename__ = "timeline"
    __table_args__ = (
        Index("ix_timeline_case_when", "case_id", "occurred_at"),
        # The entries written when a case is reopened, which every report reads first
        # (migration 0014): a partial index, asked with the very same condition.
        Index(
            "ix_timeline_reopened",
            "case_id",
            "occurred_at",
            "id",
            sqlite_where=text(REOPENED_WHERE),
            postgresql_where=text(REOPENED_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    summary: Mapped[str] = mapped_column(Text, default="", nullable=False)
    outcome: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    who_seen: Mapped[str] = mapped_column(Text, default="", nullable=False)
    next_step: Mapped[str] = mapped_column(Text, default="", nullable=False)
    author: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Corrections (migration 0005): a deleted entry is kept, struck through, with the reason.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_reason: Mapped[str] = mapped_column(
        Text, default="", server_default=text("''"), nullable=False
    )
    # Moved on by each save; a save of an older version is refused (migration 0010).
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default=text("1"), nullable=False
    )
    __mapper_args__ = {"version_id_col": version}


class Task(Base):
    __tablename__ = "tasks"
    # With the case id, the dashboard counts due tasks from the index alone.
    __table_args__ = (
        Index("ix_tasks_open_due_case", "done_on", "due_on", "case_id"),
        # Tasks not done and not struck through, in the dashboard's order, from the index
        # alone (migration 0011).
        Index("ix_tasks_due_list", "done_on", "deleted_at", "due_on", "id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    remind_on: Mapped[date | None] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    # Corrections (migration 0005): a deleted task is kept, struck through, with the reason.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_reason: Mapped[str] = mapped_column(
        Text, default="", server_default=text("''"), nullable=False
    )
    # Moved on by each save; a save of an older version is refused (migration 0010).
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default=text("1"), nullable=False
    )
    __mapper_args__ = {"version_id_col": version}


class AgencyReferral(Base):
    """A referral of the child to a partner agency (policy 2.1)."""

    __tablename__ = "agency_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    agency: Mapped[str] = mapped_column(String(40), nullable=False)
    referred_on: Mapped[date] = mapped_column(Date, nullable=False)
    contact: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    reference: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)


class Meeting(Base):
    """A multi-agency meeting about the child."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    attendees: Mapped[str] = mapped_column(Text, default="", nullable=False)
    actions: Mapped[str] = mapped_column(Text, default="", nullable=False)


class Escalation(Base):
    """A decision on police (5.0) and social care (6.0) involvement, with every answer."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    decided_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    recommendation: Mapped[str] = mapped_column(String(40), nullable=False)
    decision: Mapped[str] = mapped_column(String(40), nullable=False)
    rationale: Mapped[str] = mapped_column(Text, default="", nullable=False)


class Referral(Base):
    """A referral form (Appendix A) as a ``cme-referral/1`` record."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(20), default="manual", nullable=False)
    source_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class Attachment(Base):
    """A file kept inside the vault (e.g. the encrypted form as it was received)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    filename: Mapped[str] = mapped_column(String(300), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    #: SHA-256 of ``content`` (hex), so that a file imported again is recognised.
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
