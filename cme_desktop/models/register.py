"""The children-not-in-school register (Education Act 1996 s.436B–436G), beside the CME record.

One child, one record: a child on the register is a ``cases`` row like a CME case
(``cases.cohort`` says which: ``cme``, ``cnis`` or ``both``), and the register's
content lives in tables of its own (migration 0013), so that the wide ``cases`` row
the list reads stays as it is:

- ``RegisterEntry``: one row per child on (or once on) the register: whether they
  are on it, since and until when, and what is known of the conditions of s.436B
  (lives in the area; not a registered pupil, or registered but educated elsewhere
  by arrangement). The optional information the Secretary of State may prescribe
  (s.436C(3)) is kept as JSON, by the keys configured in Settings.
- ``RegisterParent``: each parent (s.436C(2)(b)–(c)): name, home address, whether
  they provide the child's education and an estimate of the time they do.
- ``RegisterProvider``: each other person providing education (s.436C(2)(d)).
- ``RegisterEvent``: what happened, dated: the parents' notifications (s.436D),
  providers' information (s.436E), home visits, requests for information, the steps
  towards a school attendance order, joining and leaving the register.

The vocabularies are in ``register_terms``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from cme_desktop.models.base import Base, utcnow


class RegisterEntry(Base):
    """A child's place on the register, and what is known of their eligibility (s.436B)."""

    __tablename__ = "register_entries"

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``on`` (on the register) or ``off`` (taken off: ``left_on``, ``left_reason``).
    status: Mapped[str] = mapped_column(String(3), default="on", nullable=False)
    registered_on: Mapped[date] = mapped_column(Date, nullable=False)
    left_on: Mapped[date | None] = mapped_column(Date)
    #: A key of ``register_terms.LEFT_REASONS`` ("" while on the register).
    left_reason: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    left_note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    #: Lives in the authority's area (s.436B(1)): ``yes``, ``no`` or ``unknown``.
    lives_in_area: Mapped[str] = mapped_column(String(8), default="unknown", nullable=False)
    #: A key of ``register_terms.SCHOOL_STATUSES``: not a registered pupil, registered but
    #: educated elsewhere by arrangement, registered and attending, or not known.
    school_status: Mapped[str] = mapped_column(String(24), default="unknown", nullable=False)
    #: The arrangement a registered pupil is educated under elsewhere (a key of the
    #: configured list, ``register_terms.ARRANGEMENTS`` by default); "" when none.
    arrangement: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    #: The school the child is registered at, if any.
    school: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    #: The optional prescribed information (s.436C(3)) as a JSON object, by field key.
    optional_info: Mapped[str] = mapped_column(
        Text, default="{}", server_default=sql_text("'{}'"), nullable=False
    )
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
    # Moved on by each save of the entry or its parents and providers (the register
    # service touches the entry with them): two officers never overwrite each other unseen.
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default=sql_text("1"), nullable=False
    )
    __mapper_args__ = {"version_id_col": version}


class RegisterParent(Base):
    """A parent of a registered child (s.436C(2)(b)–(c))."""

    __tablename__ = "register_parents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    home_address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    provides_education: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    #: An estimate of the hours a week the parent educates the child (None = not known).
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    #: The case's carer this parent is, when known (their telephone and email are there).
    carer_id: Mapped[int | None] = mapped_column(
        ForeignKey("carers.id", ondelete="SET NULL"), index=True
    )


class RegisterProvider(Base):
    """Another person providing the child's education (s.436C(2)(d))."""

    __tablename__ = "register_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True, nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(Text, default="", nullable=False)
    #: A key of ``register_terms.PROVIDER_KINDS``.
    kind: Mapped[str] = mapped_column(String(40), default="other", nullable=False)
    #: A key of ``register_terms.PROVIDER_MODES``: in person, online, or both.
    mode: Mapped[str] = mapped_column(String(12), default="in_person", nullable=False)
    hours_per_week: Mapped[float | None] = mapped_column(Float)
    #: Of those hours, how many without a parent present (s.436C(2)(d)(iv)).
    hours_without_parent: Mapped[float | None] = mapped_column(Float)


class RegisterEvent(Base):
    """Something that happened on the register, dated; ``due`` when it sets a deadline."""

    __tablename__ = "register_events"
    __table_args__ = (Index("ix_register_events_case_on", "case_id", "on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    #: A key of ``register_terms.EVENT_KINDS``.
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    on: Mapped[date] = mapped_column(Date, nullable=False)
    due: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(Text, default="", nullable=False)
    #: The task the event set on the case, if any (its deadline).
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL"), index=True
    )
    recorded_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
