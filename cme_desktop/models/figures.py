"""Figures kept once their period is over (migration 0011): what the authority reported.

A closed quarter's figures are worked out once, the first time they are asked
for after the quarter's end, and kept (``services.reports.stored_figures``): a
report over past quarters then reads them instead of counting every case
again, and a figure already reported stays as reported. Counts only, never a
name.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cme_desktop.models.base import Base, utcnow


class StoredFigures(Base):
    """One report's figures for one past period, as first worked out."""

    __tablename__ = "stored_figures"
    __table_args__ = (UniqueConstraint("report", "period_start", name="uq_stored_figures_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Which report: ``quarterly``.
    report: Mapped[str] = mapped_column(String(40), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    #: How the figures were counted (``stored_figures.FORMAT``): an older format is
    #: worked out again, as its figures cannot be read the same way.
    format: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The figures, as JSON (counts by key; no name).
    figures: Mapped[str] = mapped_column(Text, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
