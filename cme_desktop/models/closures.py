"""What closing a case under the 2024 Regulations needs on record, and schools' returns.

Kept in tables of their own (migration 0008), so that the wide ``cases`` row the
list reads stays as it is:

- ``CaseClosure``: one row per case, the details of its latest closing that the
  ``cases`` row has no column for (the receiving authority and the day it was
  told; where an untraceable child's case was passed on, and when). A school and
  its start day are ``cases.new_school`` / ``new_school_start``.
- ``CaseEnquiry``: one row per item of a checklist (``closure_terms.CHECKLISTS``):
  the enquiries before a child is untraceable, and the joint enquiries of the
  "20 school days" deletion ground; who made it, when, and what it found.
- ``SchoolReturn``: a school's deletion return or new pupil return (regulation
  13), as received, on the case it was matched to or opened.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cme_desktop.models.base import Base, utcnow


class CaseClosure(Base):
    """The details of a case's latest closing that ``cases`` has no column for."""

    __tablename__ = "case_closures"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    receiving_authority: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    authority_told_on: Mapped[date | None] = mapped_column(Date)
    #: A key of ``closure_terms.PASSED_ON_TO`` ("" = not passed on).
    passed_on_to: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    passed_on_on: Mapped[date | None] = mapped_column(Date)
    passed_on_note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class CaseEnquiry(Base):
    """One item of a case's checklist: who made the enquiry, when, and what it found."""

    __tablename__ = "case_enquiries"
    __table_args__ = (UniqueConstraint("case_id", "checklist", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    #: A key of ``closure_terms.CHECKLISTS``.
    checklist: Mapped[str] = mapped_column(String(20), nullable=False)
    item: Mapped[str] = mapped_column(String(40), nullable=False)
    made_on: Mapped[date] = mapped_column(Date, nullable=False)
    result: Mapped[str] = mapped_column(Text, default="", nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


class SchoolReturn(Base):
    """A school's deletion or new pupil return (regulation 13 of SI 2024/208) on a case."""

    __tablename__ = "school_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    #: ``"deletion"`` or ``"new_pupil"`` (``closure_terms.RETURN_KINDS``).
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    school: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    #: A key of ``closure_terms.DELETION_GROUNDS`` for a deletion return, else "".
    ground: Mapped[str] = mapped_column(String(4), default="", nullable=False)
    #: The day the pupil was deleted from, or started at, the school.
    on: Mapped[date | None] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(Text, default="", nullable=False)
    parents: Mapped[str] = mapped_column(Text, default="", nullable=False)
    address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    source_name: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    source_row: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
