"""A case's dialogs whose typing is kept across an idle lock, and opened again after it.

The workspace (``workspace.unsaved_draft``) asks ``kept_dialog`` for each of its
open dialogs: the kind, what each field shows, and — for a dialog that corrects
one row (a carer, a tracking step, a timeline entry, a visit, a task) — which row,
so that after the unlock ``reopened_dialog`` opens the same correction again, not
a blank "Add" that would save a second row. A row deleted meanwhile is not
reopened (the typing is then dropped with the draft, as the row it changed has gone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget

from cme_desktop.ui.close_case import CloseCaseDialog
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.workspace.agencies import AgencyReferralDialog, MeetingDialog
from cme_desktop.ui.workspace.context import CaseContext
from cme_desktop.ui.workspace.people import AddressDialog, CarerDialog
from cme_desktop.ui.workspace.steps import StepDialog
from cme_desktop.ui.workspace.tasks import TaskDialog
from cme_desktop.ui.workspace.timeline import EntryDialog, VisitDialog
from cme_desktop.ui.workspace.versions import VersionedDialog

__all__ = ["REOPENABLE", "kept_dialog", "reopened_dialog"]

#: The dialogs of a case whose typing is kept across an idle lock, by kind.
REOPENABLE: dict[str, Callable[..., FormDialog]] = {
    "task": TaskDialog,
    "entry": EntryDialog,
    "visit": VisitDialog,
    "close": CloseCaseDialog,
    "agency_referral": AgencyReferralDialog,
    "meeting": MeetingDialog,
    "address": AddressDialog,
    "carer": CarerDialog,
    "step": StepDialog,
}

_Row = TypeVar("_Row")


def _row_of(dialog: FormDialog) -> int | str | None:
    """Which row ``dialog`` corrects (``None``: it adds one)."""
    if isinstance(dialog, CarerDialog):
        return dialog.carer_id
    if isinstance(dialog, StepDialog):
        return dialog.step.step
    if isinstance(dialog, EntryDialog | VisitDialog | TaskDialog) and dialog.row is not None:
        return dialog.row.id
    return None


def kept_dialog(dialog: FormDialog) -> dict[str, Any] | None:
    """What to keep of an open dialog with unsaved typing; ``None`` if nothing (or not ours)."""
    kind = next((k for k, made in REOPENABLE.items() if type(dialog) is made), "")
    values = dialog.unsaved_values() if dialog.isVisible() and kind else None
    if values is None:
        return None
    kept: dict[str, Any] = {"kind": kind, "values": values}
    row = _row_of(dialog)
    if row is not None:
        kept["row"] = row
    reading = dialog.reading() if isinstance(dialog, VersionedDialog) else None
    if reading is not None:
        # Saved from the version read, a change made meanwhile is asked about, not lost.
        kept["version"], kept["read"] = reading
    return kept


def _find(rows: Iterable[_Row], wanted: object, key: Callable[[_Row], object]) -> _Row | None:
    return next((r for r in rows if key(r) == wanted), None)


def reopened_dialog(parent: QWidget, ctx: CaseContext, kept: dict[str, Any]) -> FormDialog | None:
    """The dialog ``kept_dialog`` described, made again with its typing (not yet shown);
    ``None`` when it cannot be (an unknown kind, a row no longer there)."""
    kind = str(kept.get("kind", ""))
    made = REOPENABLE.get(kind)
    if made is None:
        return None
    row = kept.get("row")
    dialog: FormDialog | None
    if kind == "step" or row is not None:
        detail = ctx.services.cases.get(ctx.case_id)
        if kind == "step":
            step = _find(detail.steps, row, lambda s: s.step)
            dialog = StepDialog(parent, ctx, step) if step is not None else None
        elif kind == "carer":
            carer = _find(detail.carers, row, lambda c: c.id)
            dialog = CarerDialog(parent, ctx, carer) if carer is not None else None
        elif kind in ("entry", "visit"):
            entry = _find(detail.timeline, row, lambda t: t.id)
            usable = entry is not None and entry.deleted_at is None
            dialog = made(parent, ctx, entry) if usable else None
        elif kind == "task":
            task = _find(detail.tasks, row, lambda t: t.id)
            usable = task is not None and task.deleted_at is None
            dialog = TaskDialog(parent, ctx, task) if usable else None
        else:
            dialog = None
    elif kind == "carer":
        dialog = CarerDialog(parent, ctx, None)
    else:
        dialog = made(parent, ctx)
    values = kept.get("values")
    if dialog is not None and isinstance(values, dict):
        dialog.set_values(values)
    version, read = kept.get("version"), kept.get("read")
    if isinstance(dialog, VersionedDialog) and isinstance(version, int) and isinstance(read, dict):
        dialog.keep_reading(version, read)
    return dialog
