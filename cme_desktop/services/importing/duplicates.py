"""Recognising a file imported before, by the SHA-256 of the form as it was received.

Every imported referral keeps the file it came in on each case it went to (an
attachment, ``ReferralService.add``) with the file's SHA-256. ``previous_import``
finds the cases an identical file went to, so that the same file imported a
second time (two ``cme import`` at once, a scheduled import run again, a file
dropped on the window twice) creates nothing and the officer is told where it went.

The hash is of the form's bytes as received (still encrypted), so the same form
carried by two different emails is recognised too; a form saved again, even
unchanged, is a different file and is matched by the child's details instead
(``candidates``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Attachment
from cme_desktop.models import Referral as ReferralModel
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import AlreadyImported
from cme_desktop.services.rules.dates import format_date

__all__ = ["PreviousImport", "content_hash", "previous_import"]


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex: what ``Attachment.content_sha256`` holds."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class PreviousImport:
    """The cases a file went to when it was first imported, and when (UTC)."""

    case_ids: tuple[int, ...]
    imported_at: datetime

    @property
    def imported_on(self) -> date:
        """The day it was imported, on this computer's clock."""
        return self.imported_at.replace(tzinfo=UTC).astimezone().date()

    @property
    def references(self) -> str:
        """``case CME-000001``, ``cases CME-000001 and CME-000002``, ..."""
        refs = [case_reference(case_id) for case_id in self.case_ids]
        if len(refs) == 1:
            return f"case {refs[0]}"
        return f"cases {', '.join(refs[:-1])} and {refs[-1]}"

    def error(self) -> AlreadyImported:
        """The error ``ImportService.commit`` raises for this file, in words for the officer."""
        return AlreadyImported(
            f"This file was already imported on {format_date(self.imported_on)} to "
            f"{self.references}, so nothing was imported again.",
            case_ids=self.case_ids,
        )


def previous_import(session: Session, digest: str) -> PreviousImport | None:
    """Where a file with SHA-256 ``digest`` was imported before, or ``None`` (one indexed query)."""
    rows = session.execute(
        select(Attachment.case_id, Attachment.added_at)
        .join(ReferralModel, ReferralModel.attachment_id == Attachment.id)
        .where(Attachment.content_sha256 == digest)
        .order_by(Attachment.added_at, Attachment.id)
    ).all()
    if not rows:
        return None
    case_ids = tuple(dict.fromkeys(int(row.case_id) for row in rows))
    return PreviousImport(case_ids=case_ids, imported_at=rows[0].added_at)
