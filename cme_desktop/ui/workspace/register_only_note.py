"""The note on a child only on the register: no CME case, so no CME actions.

A child of cohort ``cnis`` (``services/cases/register_only.py``) has no CME case: the
workspace leaves out Close case and Reopen case, the tracking steps are shown but
cannot be ticked, and this note says why where the buttons would be, with the way
into CME: the Register tab's "Education stopped…". The case service refuses the same
actions with the same words, should one reach it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from cme_desktop.services.cases.detail import CaseDetail
from cme_desktop.services.cases.register_only import REGISTER_ONLY, register_only_message

#: What the note and the tracking steps say.
NOTE = register_only_message("Closing the case and the tracking steps are")


def is_register_only(detail: CaseDetail) -> bool:
    """True for a child only on the register, never a CME case."""
    return detail.cohort == REGISTER_ONLY


class RegisterOnlyNote(QWidget):
    """Why the CME actions are not offered, and a button to the Register tab."""

    def __init__(self, show_register: Callable[[], object]) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel(NOTE)
        self.text.setWordWrap(True)
        self.text.setAccessibleName("No CME case")
        layout.addWidget(self.text, 1)
        # No Alt+letter is left free on the case's screens: reached by Tab.
        self.button = QPushButton("Register tab")
        self.button.setAutoDefault(False)
        self.button.setAccessibleName("Show the Register tab, to open a CME case from it")
        self.button.setToolTip("The Register tab: Education stopped… opens a CME case")
        self.button.clicked.connect(lambda _checked=False: show_register())
        layout.addWidget(self.button)
        self.hide()

    def show_case(self, detail: CaseDetail) -> None:
        """Shown for a child only on the register (an erased case has its own banner)."""
        self.setVisible(is_register_only(detail) and detail.erased_on is None)
