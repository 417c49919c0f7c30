"""Settings kept inside the vault, and the monthly saves of the central record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cme_desktop.models.base import Base, utcnow


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)


class Snapshot(Base):
    """The monthly save (policy 8.3): statistics of the month and its backup file."""

    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True, nullable=False)  # YYYY-MM
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    backup_file: Mapped[str] = mapped_column(Text, default="", nullable=False)
