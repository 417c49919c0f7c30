"""Entries the program writes on a case's timeline as things happen.

A referral received or imported, an export sent, visit sheets printed, an
escalation decided, a case closed or reopened: each is recorded on the case's
timeline (kind ``"system"``, "Recorded automatically") in the same transaction
as the change it records, so the history is complete without the officer
typing it, and neither exists without the other. The officer cannot edit or
delete these entries (``CaseService.edit_timeline`` refuses them).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cme_desktop.models import TimelineEntry
from cme_desktop.services.cases.erased import check_not_erased
from cme_desktop.services.rules.local_time import local_now

#: The timeline kind of an entry the program wrote.
SYSTEM = "system"


def record(session: Session, *, case_id: int, summary: str, author: str) -> TimelineEntry:
    """Add an automatic entry ``summary`` to the case's timeline, inside ``session``.

    ``CaseErased`` for a case erased under the retention rule: whatever the entry
    records (an export, a letter, a referral filed) must not happen to it.
    """
    check_not_erased(session, case_id)
    row = TimelineEntry(
        case_id=case_id,
        kind=SYSTEM,
        # England's time, as the officer types times on the timeline: a reopening's day
        # decides the quarter its spell is counted in (``reports.counting``).
        occurred_at=local_now(),
        summary=summary.strip(),
        author=author,
    )
    session.add(row)
    return row
