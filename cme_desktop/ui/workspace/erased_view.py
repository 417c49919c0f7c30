"""An erased case, shown read only: its figures can be read, nothing can be typed back.

Erasure under the retention rule (``services/cases/erasure.py``) leaves a shell
of the case. The workspace still opens it (the reports count it, and an officer
may look up a reference), with a banner saying when and why it was erased; every
control that would change it is made read only here, and the case service refuses
any change that reaches it anyway (``services/cases/erased.py``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)


def make_read_only(widget: QWidget) -> None:
    """Every control in ``widget`` that changes the case: text read only, buttons, ticks and
    drop-downs disabled; tables and lists stay readable and reachable by keyboard."""
    for edit in widget.findChildren(QLineEdit):
        edit.setReadOnly(True)
    for box in widget.findChildren(QPlainTextEdit):
        box.setReadOnly(True)
    for text in widget.findChildren(QTextEdit):
        text.setReadOnly(True)
    for spin in widget.findChildren(QAbstractSpinBox):
        spin.setReadOnly(True)
    for control in (*widget.findChildren(QAbstractButton), *widget.findChildren(QComboBox)):
        control.setEnabled(False)
