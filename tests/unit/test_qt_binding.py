"""The Qt binding must not leak references: a regression seen in PySide6 6.12.0."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel


def test_calls_returning_nothing_keep_none_alive(qapp: QApplication) -> None:
    label = QLabel()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
    # A leaking binding takes one reference per call (then aborts the process later).
    assert abs(sys.getrefcount(None) - before) < 100
