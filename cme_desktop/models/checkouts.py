"""Cases checked out to a laptop for home visits, and checked back in (migration 0012).

The same two tables serve both ends (``services.server.checkout``):

- on the shared server, a ``Checkout`` says who took which cases out and when, and
  each ``CheckoutRecord`` the version and fingerprint of one record as it left, so that
  the check-in can tell what changed on the server meanwhile. No personal data:
  ``original`` stays empty there.
- in the field vault (the laptop's encrypted vault), the ``Checkout`` names the server
  and database the cases came from and the server's checkout number and token; each
  ``CheckoutRecord`` keeps the record as it was checked out (``original``), so the
  check-in can tell what the officer changed offline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cme_desktop.models.base import Base, utcnow


class Checkout(Base):
    """One checkout of cases: on the server, and its copy in the field vault."""

    __tablename__ = "checkouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The officer's server login.
    login: Mapped[str] = mapped_column(String(63), nullable=False)
    #: In the field vault: ``host:port/database`` of the server ("" on the server itself).
    server: Mapped[str] = mapped_column(String(400), default="", nullable=False)
    #: In the field vault: the server's number for this checkout.
    remote_id: Mapped[int | None] = mapped_column(Integer)
    #: Random, the same at both ends: a field vault checked out from another server (or
    #: another database) holds a token this one has never issued.
    token: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    checked_out_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime)


class CheckoutRecord(Base):
    """One record of a checked-out case, as it left the server."""

    __tablename__ = "checkout_records"
    __table_args__ = (UniqueConstraint("checkout_id", "record", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkout_id: Mapped[int] = mapped_column(
        ForeignKey("checkouts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    #: The table (``cases``, ``timeline``, ``tasks``, ...).
    record: Mapped[str] = mapped_column(String(40), nullable=False)
    #: The row's primary key, its values joined by "/" (``12``, ``12/at_risk``).
    record_key: Mapped[str] = mapped_column(String(200), nullable=False)
    case_id: Mapped[int] = mapped_column(Integer, index=True, nullable=False)
    #: The row's ``version`` at checkout, for the tables that have one.
    version: Mapped[int | None] = mapped_column(Integer)
    #: SHA-256 over the row's compared fields at checkout.
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    #: In the field vault only: the row's compared fields at checkout, as JSON.
    original: Mapped[str | None] = mapped_column(Text)
