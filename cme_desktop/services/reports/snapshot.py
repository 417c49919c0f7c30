"""The statistics kept with each monthly save of the central record (policy 8.3)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from cme_desktop.models.records import Case
from cme_desktop.services.reports.counting import all_rows
from cme_desktop.services.reports.periods import Period
from cme_desktop.services.reports.quarterly import SPREAD_KEYS, Figures, duration_spread
from cme_desktop.services.reports.without_place import without_place_query
from cme_desktop.services.vault.database import Database


def snapshot_figures(db: Database, *, today: date) -> dict[str, Any]:
    """The statistics kept with a monthly save: the month just ended, and the caseload today."""
    month_end = today.replace(day=1) - timedelta(days=1)
    month = Period(month_end.replace(day=1), month_end, f"{month_end:%Y-%m}")
    with db.read() as session:
        fig = Figures(session, [month])
        by_outcome, lengths = fig.closures()
        closed = [sum(v[0] for v in by_outcome.values())]
        caseload = {row.key: row.values[0] for row in fig.caseload(closed)}
        # From the narrowest index holding the status, not a pass over the rows.
        by_status = select(Case.status, func.count()).group_by(Case.status)
        status = {str(k): int(n) for k, n in all_rows(session, by_status)}
        without_place = int(
            session.connection()
            .execute(without_place_query(session, today, func.count()))
            .scalar_one()
        )
        by_route, by_reason = fig.notified()["route"], fig.notified()["reason"]
        escalations = {row.key: row.values[0] for row in fig.escalations()}
        visits = {row.key: row.values[0] for row in fig.visits()}

        def flat(counts: dict[str, list[int]]) -> dict[str, int]:
            return {k: v[0] for k, v in sorted(counts.items()) if v[0]}

        spread = dict(zip(SPREAD_KEYS, duration_spread(lengths[0]), strict=True))
        return {
            "as_at": today.isoformat(),
            "cases": sum(status.values()),
            "open": status.get("open", 0),
            "closed": status.get("closed", 0),
            "open_without_place_of_age": without_place,
            "month": month.label,
            "caseload": caseload,
            "notifications_by_route": flat(by_route),
            "notifications_by_reason": flat(by_reason),
            "closures_by_outcome": flat(by_outcome),
            "days_open": spread,
            "escalations": escalations,
            "visits": visits,
        }
