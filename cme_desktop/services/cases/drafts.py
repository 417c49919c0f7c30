"""Unsaved edits kept in the vault when it locks by itself, offered back after unlock.

When the idle lock closes the vault, the window gathers what was typed and not
saved (a case's details, a referral being edited, a new case from a
notification) and keeps each as a ``Draft`` here, before the key goes. A draft
lives in the vault's own settings table, so it is encrypted like every case
record, written in the same WAL and copied into backups the same way; it is
never written anywhere else (no temporary file, no system settings). After the
next unlock the window offers each back: restored or discarded, it is deleted.

The audit log records that drafts were kept, restored or discarded, with the
case id and the kind only, never their text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from cme_desktop.models import Setting
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

#: Setting keys of drafts start with this; nothing else in the settings table does.
PREFIX = "draft:"
#: A draft is typed text: far below this. A larger one is refused rather than kept.
MAX_BYTES = 2_000_000
_MAX_KEY = 100 - len(PREFIX)


@dataclass(frozen=True)
class Draft:
    """Unsaved edits of one thing: ``key`` says what (``case:12``), ``label`` names it for
    the officer, ``data`` holds the edits (plain JSON values only)."""

    key: str
    label: str
    data: Mapping[str, Any] = field(default_factory=dict)
    case_id: int | None = None
    kept_at: datetime | None = None


def _encode(draft: Draft, now: datetime) -> dict[str, Any]:
    if not draft.key or len(draft.key) > _MAX_KEY:
        raise InvalidInput(f"A draft needs a name of 1 to {_MAX_KEY} characters.", field="key")
    value = {
        "label": draft.label,
        "case_id": draft.case_id,
        "kept_at": now.isoformat(),
        "data": dict(draft.data),
    }
    try:
        size = len(json.dumps(value, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"The unsaved changes of {draft.label} could not be kept ({exc}).", field="data"
        ) from exc
    if size > MAX_BYTES:
        raise InvalidInput(
            f"The unsaved changes of {draft.label} are too large to keep.", field="data"
        )
    return value


def _decode(key: str, value: Any) -> Draft | None:
    if not isinstance(value, dict) or not isinstance(value.get("data"), dict):
        return None
    case_id = value.get("case_id")
    try:
        kept_at = datetime.fromisoformat(str(value.get("kept_at", "")))
    except ValueError:
        kept_at = None
    return Draft(
        key=key.removeprefix(PREFIX),
        label=str(value.get("label", "")),
        data=value["data"],
        case_id=case_id if isinstance(case_id, int) else None,
        kept_at=kept_at,
    )


class DraftService:
    """Keeps, lists and deletes the drafts of one vault."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def keep(self, drafts: Sequence[Draft]) -> None:
        """Keep ``drafts`` in one change; a draft replaces an older one with its key.

        Raises ``InvalidInput`` (nothing kept) for a draft that cannot be stored.
        """
        if not drafts:
            return
        now = datetime.now(UTC)
        encoded = [(d, _encode(d, now)) for d in drafts]
        with self.db.write() as session:
            for draft, value in encoded:
                session.merge(Setting(key=PREFIX + draft.key, value=value))
                audit.record(
                    session,
                    self.db,
                    action="draft_kept",
                    entity="case" if draft.case_id is not None else "draft",
                    entity_id=draft.case_id,
                    detail=f"kind={draft.key.split(':')[0]}",
                )

    def pending(self) -> list[Draft]:
        """The drafts kept and not yet restored or discarded, oldest first."""
        with self.db.read() as session:
            rows = session.execute(
                select(Setting.key, Setting.value).where(Setting.key.startswith(PREFIX))
            ).all()
        found = [d for d in (_decode(k, v) for k, v in rows) if d is not None]
        oldest = datetime.min.replace(tzinfo=UTC)
        return sorted(found, key=lambda d: (d.kept_at or oldest, d.key))

    def discard(self, key: str, *, restored: bool = False) -> None:
        """Delete a draft: restored into the window (``restored``) or thrown away."""
        with self.db.write() as session:
            value = session.get(Setting, PREFIX + key)
            if value is None:
                return
            draft = _decode(PREFIX + key, value.value)
            session.execute(delete(Setting).where(Setting.key == PREFIX + key))
            audit.record(
                session,
                self.db,
                action="draft_restored" if restored else "draft_discarded",
                entity="case" if draft is not None and draft.case_id is not None else "draft",
                entity_id=draft.case_id if draft is not None else None,
                detail=f"kind={key.split(':')[0]}",
            )
