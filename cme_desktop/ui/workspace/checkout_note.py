"""A line in a case's header when the case is out on a laptop for visits.

On a shared server: "Checked out to jsmith since 05/12/2026 08:10" — a colleague may
still edit the case; the officer's offline work meets their changes at check-in
(``services.server.checkin``). In a field vault: where the cases came from and that
they go back with ``cme checkin``. Elsewhere nothing shows.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server.checkout import checked_out, field_checkout
from cme_desktop.services.vault.database import Database
from cme_desktop.ui import look
from cme_desktop.ui.workspace.context import CaseContext


def note_for(db: Database, case_id: int) -> str:
    """What the header says about a checkout of ``case_id`` in ``db`` ("" when nothing)."""
    if db.kind == "server":
        out = checked_out(db, [case_id]).get(case_id)
        if out is None:
            return ""
        return (
            f"{out.description[0].upper()}{out.description[1:]} for visits offline: your "
            "changes are kept, and any of theirs to the same details are settled when it is "
            "checked in."
        )
    held = field_checkout(db)
    if held is None or case_id not in held.case_ids:
        return ""
    return (
        f"Checked out from {held.server} on {held.checked_out_at:%d/%m/%Y}: check it in "
        "when back (cme checkin)."
    )


class CheckoutNote(QLabel):
    """The checkout line: hidden unless the case is checked out."""

    def __init__(self, ctx: CaseContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWordWrap(True)
        self.setAccessibleName("Checked out for visits")
        look.warning(self, True)
        self.setVisible(False)

    def show_case(self, detail: CaseDetail) -> None:
        try:
            text = note_for(self.ctx.services.db, detail.id)
        except CmeError:
            text = ""  # the note is a courtesy: a server that does not answer hides it
        self.setText(text)
        self.setVisible(bool(text))
