"""Whose case it is, in the workspace's header, and "Give to…" (on a shared server only).

A vault has one officer: there nothing of this shows. On a server the header names the
case's owner (the login of the officer whose case it is, or "Not allocated"), and an
officer may give the case to a colleague: a drop-down of the logins of the officers'
role, read from the server when the dialog opens. The database allows the change to
officers only and writes it into the audit log itself (``case_reassigned``); the other
roles see the button disabled, with the reason.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import ownership
from cme_desktop.ui import prompts
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.workspace.context import CaseContext

NOT_ALLOCATED = "Not allocated"


def owner_text(owner: str) -> str:
    """The owner as the header shows it."""
    return owner or NOT_ALLOCATED


class GiveToDialog(FormDialog):
    """Choose the officer (or nobody) to give the case to."""

    def __init__(
        self, parent: QWidget | None, ctx: CaseContext, *, owner: str, officers: list[str]
    ) -> None:
        super().__init__(parent, "Give the case to another officer", ok_text="&Give")
        self.ctx = ctx
        self.set_intro(
            f"The case is {'owned by ' + owner if owner else 'not allocated'}. The change is "
            "written into the audit log with your login."
        )
        self.to = QComboBox()
        self.to.addItem(f"{NOT_ALLOCATED} (nobody)", ownership.NOBODY)
        for login in officers:
            self.to.addItem(login, login)
        self.to.setAccessibleName("Officer to give the case to")
        index = self.to.findData(owner)
        self.to.setCurrentIndex(index if index >= 0 else 0)
        self.add("Give &to:", self.to, "to")
        self.typing_field = self.to

    def submit(self) -> None:
        to = str(self.to.currentData())
        ownership.give(self.ctx.services.db, case_ids=[self.ctx.case_id], to=to)
        self.ctx.changed()


class OwnerBar(QWidget):
    """The owner and "Give to…" in a case's header; hidden unless on a shared server."""

    def __init__(self, ctx: CaseContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.owner = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setAccessibleName("Owner of the case")
        layout.addWidget(self.label)
        self.give_button = QPushButton("Give to…")
        self.give_button.setAccessibleName("Give the case to another officer")
        self.give_button.clicked.connect(self.give)
        layout.addWidget(self.give_button)
        self.on_server = ctx.services.db.kind == "server"
        self._may_give: bool | None = None
        self.setVisible(self.on_server)

    def may_give(self) -> bool:
        """Whether this login may give cases away (asked of the server once)."""
        if self._may_give is None:
            try:
                self._may_give = ownership.may_give(self.ctx.services.db)
            except CmeError:
                self._may_give = False
        return self._may_give

    def show_case(self, detail: CaseDetail) -> None:
        if not self.on_server:
            return
        self.owner = detail.owner
        self.label.setText(f"Owner: {owner_text(detail.owner)}")
        allowed = self.may_give()
        self.give_button.setEnabled(allowed)
        why = "" if allowed else ownership.ONLY_OFFICERS
        self.give_button.setToolTip(why or "Give the case to another officer, or to nobody")
        self.give_button.setAccessibleDescription(why)

    def give(self) -> None:
        """Ask which officer (from the server's list), then give the case to them."""
        if not self.on_server or not self.may_give():
            return
        try:
            officers = ownership.officers(self.ctx.services.db)
        except CmeError as exc:
            prompts.error(self, "Give the case", exc)
            return
        GiveToDialog(self, self.ctx, owner=self.owner, officers=officers).exec()
