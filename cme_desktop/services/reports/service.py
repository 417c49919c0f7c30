"""The reports of one unlocked vault, as the window uses them, and the audit of their export."""

from __future__ import annotations

from datetime import date

from cme_desktop.services.reports.dfe_return import DfeReturn, dfe_termly
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import Difference, QuarterlyReport, quarterly, recount
from cme_desktop.services.reports.without_place import WithoutPlace, pupils_without_place
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database


class Statistics:
    """The reports of one unlocked vault (what ``AppServices.statistics`` gives)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def quarterly(self, quarter: Quarter, *, previous: int = 3) -> QuarterlyReport:
        """See :func:`quarterly`."""
        return quarterly(self.db, quarter, previous=previous)

    def recount(self, quarter: Quarter) -> list[Difference]:
        """See :func:`recount`: the kept figures of ``quarter`` the records now give differently."""
        return recount(self.db, quarter)

    def dfe_termly(self, census_date: date) -> DfeReturn:
        """See :func:`dfe_termly`."""
        return dfe_termly(self.db, census_date)

    def pupils_without_place(self, today: date | None = None) -> list[WithoutPlace]:
        """See :func:`pupils_without_place`."""
        return pupils_without_place(self.db, today or local_today())

    def record_export(self, *, report: str, detail: str = "") -> None:
        """Audit that a report left the application (saved or printed)."""
        record_export(self.db, report=report, detail=detail)


def record_export(db: Database, *, report: str, detail: str = "") -> None:
    """Audit that a report was saved to a file or printed (``detail``: kinds and dates only)."""
    with db.write() as session:
        audit.record(
            session,
            db,
            action="report_exported",
            entity="report",
            detail=f"{report} {detail}".strip(),
        )
