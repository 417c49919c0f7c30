"""Closed periods' figures, worked out once and kept as reported (``models.figures``).

A quarter's figures cannot change by the passing of time once it is over, only by
a correction to the records. So the first time a report asks for a quarter
after its end, its figures are worked out and kept; later reports read them (a
report over four past quarters at 100,000 cases then costs a read, not four
passes over every case).

Kept figures stay as they were first worked out, as the authority reported
them, even if a case is corrected afterwards: a report already sent must be
reproducible. ``recount`` works a quarter out again from the records as they
are now and says which figures differ; ``replace`` keeps the new ones (the
officer's choice, audited). Figures kept in an older ``FORMAT`` are worked out
again, as they cannot be read the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cme_desktop.models.base import utcnow
from cme_desktop.models.figures import StoredFigures
from cme_desktop.services.reports.periods import Period
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

#: How the kept figures are laid out; raise it when that changes.
FORMAT = 1


@dataclass(frozen=True)
class Kept:
    """One period's kept figures and when they were worked out (UTC)."""

    figures: dict[str, Any]
    computed_at: datetime


def is_over(period: Period, today: date) -> bool:
    """True once ``period`` has ended (its figures can be kept)."""
    return period.end < today


def read(session: Session, report: str, periods: Sequence[Period]) -> dict[date, Kept]:
    """The kept figures of ``report`` for those of ``periods`` that have some, by start day."""
    if not periods:
        return {}
    starts = [p.start for p in periods]
    rows = session.execute(
        select(
            StoredFigures.period_start,
            StoredFigures.period_end,
            StoredFigures.figures,
            StoredFigures.computed_at,
        ).where(
            StoredFigures.report == report,
            StoredFigures.period_start.in_(starts),
            StoredFigures.format == FORMAT,
        )
    )
    ends = {p.start: p.end for p in periods}
    return {
        start: Kept(json.loads(figures), computed_at)
        for start, end, figures, computed_at in rows
        if ends.get(start) == end
    }


def keep(db: Database, report: str, found: Sequence[tuple[Period, dict[str, Any]]]) -> None:
    """Keep the figures of periods that are over, unless kept already (first one wins)."""
    if not found:
        return
    with db.write() as session:
        for period, figures in found:
            existing = session.scalar(
                select(StoredFigures).where(
                    StoredFigures.report == report,
                    StoredFigures.period_start == period.start,
                )
            )
            if existing is not None and existing.format == FORMAT:
                continue  # another report kept them meanwhile: those stand
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(_row(report, period, figures))


def replace(db: Database, report: str, period: Period, figures: dict[str, Any]) -> None:
    """Keep ``figures`` in place of those kept for ``period`` (after ``recount``), audited."""
    with db.write() as session:
        session.execute(
            delete(StoredFigures).where(
                StoredFigures.report == report, StoredFigures.period_start == period.start
            )
        )
        session.add(_row(report, period, figures))
        audit.record(
            session,
            db,
            action="figures_replaced",
            entity="report",
            detail=f"{report} {period.start.isoformat()}..{period.end.isoformat()}",
        )


def _row(report: str, period: Period, figures: dict[str, Any]) -> StoredFigures:
    return StoredFigures(
        report=report,
        period_start=period.start,
        period_end=period.end,
        format=FORMAT,
        figures=json.dumps(figures, sort_keys=True, separators=(",", ":")),
        computed_at=utcnow(),
    )
