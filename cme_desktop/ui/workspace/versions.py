"""A correction dialog that keeps the version of the row it read (a timeline entry, a task).

On a shared server another officer may save the same entry while this dialog is open.
The dialog saves with the version it read, so the service refuses to overwrite the
newer one (``ChangedElsewhere``); the officer is then asked, as the case's details
form asks (``CaseWorkspace.save``):

- **Reload their version**: the dialog shows the entry as it is now; what was typed in
  it is dropped, and the dialog stays open;
- **Keep my changes**: the fields changed in this dialog are put over the newer version
  (what the other officer changed in any other field stays) and saved;
- **Cancel**: back to the dialog, as typed.

A dialog kept across an idle lock keeps its reading too (``reading`` and
``keep_reading``, used by ``kept_dialogs``): opened again on the row as it is then, it
still saves from the version first read, so a change saved meanwhile is asked about.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import ChangedElsewhere, CmeError
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.workspace.context import CaseContext

#: Said when the row was deleted (or erased with the case) by the other officer.
GONE = "It has been deleted in the meantime: there is nothing left to save your changes to."


class _KeptOpen(Exception):
    """The officer chose to stay in the dialog after a refused save (no error to show)."""


def choices_text(exc: ChangedElsewhere) -> str:
    """The question put to the officer after a refused save of a row."""
    return (
        f"{exc.message}\n\nReload: show it here as it is now; what you typed is dropped.\n"
        "Keep my changes: save the fields you changed over the newer version; what they "
        "changed in other fields stays."
    )


class VersionedDialog(FormDialog):
    """A ``FormDialog`` that corrects ``row`` (or adds one when ``row`` is ``None``).

    Subclasses save with ``row.version`` in ``save_row``, find the row again in a fresh
    reading (``fresh_row``) and show a row's values in their fields (``show_row``).
    """

    ctx: CaseContext
    row: Any
    #: The fields as read, when the dialog was opened again after an idle lock.
    _read_values: dict[str, Any] | None = None

    def reading(self) -> tuple[int, dict[str, Any]] | None:
        """The version of the row read, and its fields as read (``None``: adding a row)."""
        if self.row is None:
            return None
        read = self._read_values if self._read_values is not None else self._opened_with
        return int(self.row.version), dict(read or self.values())

    def keep_reading(self, version: int, read: dict[str, Any]) -> None:
        """Save from ``version``, read as ``read``: what this dialog read before a lock."""
        if self.row is not None:
            self.row = replace(self.row, version=version)
            self._read_values = dict(read)

    def save_row(self) -> None:
        """The dialog's one service call (with ``self.row.version`` when correcting)."""
        raise NotImplementedError

    def fresh_row(self, detail: CaseDetail) -> Any | None:
        """The row as ``detail`` has it now; ``None`` when it is gone or deleted."""
        raise NotImplementedError

    def show_row(self, row: Any) -> None:
        """Show ``row``'s values in the fields."""
        raise NotImplementedError

    def submit(self) -> None:
        try:
            self.save_row()
        except ChangedElsewhere as exc:
            if self.row is None:
                raise
            self._settle(exc)

    def accept(self) -> None:
        try:
            super().accept()
        except _KeptOpen:
            return

    def _settle(self, exc: ChangedElsewhere) -> None:
        """Ask what to do about the newer version, and do it; raises ``_KeptOpen`` when the
        dialog is to stay open."""
        title = self.windowTitle()
        choice = prompts.reload_or_keep(self, title, choices_text(exc))
        if choice == "cancel":
            raise _KeptOpen
        try:
            fresh = self.fresh_row(self.ctx.services.cases.get(self.ctx.case_id))
        except CmeError as failed:
            prompts.error(self, title, failed)
            raise _KeptOpen from failed
        if fresh is None:
            prompts.info(self, title, GONE)
            raise _KeptOpen
        mine = self.values()
        read = self._read_values or self._opened_with or mine
        self._read_values = None
        self.row = fresh
        self.show_row(fresh)
        self.ctx.changed()  # the section behind the dialog shows their version too
        theirs = self.values()
        # A further refusal is settled against what this dialog now shows.
        self._opened_with = theirs
        if choice == "reload":
            raise _KeptOpen
        self.set_values({name: value for name, value in mine.items() if value != read.get(name)})
        self.submit()
