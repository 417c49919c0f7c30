"""Choosing a passphrase: typed twice, with a strength indication.

Used by the first run, by "unlock with the recovery key" and by "change
passphrase". The rule that refuses a passphrase is the vault's own
(``check_passphrase``); the meter only helps the officer choose a better one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QProgressBar, QWidget

from cme_desktop.services.errors import InvalidInput, WeakPassphrase
from cme_desktop.services.vault.unlock import MIN_PASSPHRASE, check_passphrase
from cme_desktop.ui import look
from cme_desktop.ui.fields import add_row

_LEVELS = ("Too short", "Weak", "Fair", "Good", "Strong")
_COMMON = re.compile(r"(password|passw0rd|qwerty|letmein|welcome|123456|abcdef|council)", re.I)


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (too short) .. 4 (strong)
    label: str
    bits: float


def strength(passphrase: str) -> Strength:
    """A rough estimate of how hard the passphrase is to guess.

    Length matters most: four or five ordinary words beat a short jumble of
    symbols. Repeated characters and well-known words count for little.
    """
    text = passphrase.strip()
    if len(text) < MIN_PASSPHRASE:
        return Strength(0, _LEVELS[0], 0.0)
    pool = 0
    pool += 26 if re.search(r"[a-z]", text) else 0
    pool += 26 if re.search(r"[A-Z]", text) else 0
    pool += 10 if re.search(r"[0-9]", text) else 0
    pool += 33 if re.search(r"[^a-zA-Z0-9]", text) else 0
    # Runs of one character ("aaaa") and common words add almost nothing.
    effective = len(re.sub(r"(.)\1+", r"\1", _COMMON.sub("x", text)))
    bits = effective * math.log2(max(pool, 2)) * min(1.0, len(set(text)) / 8)
    score = 1 if bits < 50 else 2 if bits < 70 else 3 if bits < 90 else 4
    return Strength(score, _LEVELS[score], bits)


class NewPassphraseFields(QWidget):
    """Two password fields, a strength meter and a line saying what is wrong."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, label: str = "New &passphrase:") -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        add_row(form, label, self.first, name="New passphrase")
        add_row(form, "T&ype it again:", self.second, name="New passphrase again")
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(True)
        self.meter.setFormat("Strength: %v of 4")
        self.meter.setAccessibleName("Passphrase strength")
        self.meter_label = QLabel()
        self.meter_label.setObjectName("strengthLabel")
        form.addRow("Strength:", self.meter)
        form.addRow("", self.meter_label)
        self.problem_label = QLabel()
        look.role(self.problem_label, "problem")
        self.problem_label.setWordWrap(True)
        form.addRow("", self.problem_label)
        hint = QLabel(
            f"At least {MIN_PASSPHRASE} characters. A few unrelated words are easy to remember "
            "and hard to guess."
        )
        hint.setWordWrap(True)
        look.role(hint, "hint")
        form.addRow("", hint)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        s = strength(self.first.text())
        self.meter.setValue(s.score)
        look.strength(self.meter, s.score)
        self.meter_label.setText(s.label)
        self.meter.setAccessibleDescription(s.label)
        self.problem_label.setText(self.problem() or "")
        self.changed.emit()

    def problem(self) -> str | None:
        """What stops the passphrase being accepted, or ``None``."""
        first, second = self.first.text(), self.second.text()
        if not first:
            return None
        try:
            check_passphrase(first)
        except WeakPassphrase as exc:
            return exc.message
        if second and second != first:
            return "The two passphrases are different."
        return None

    def is_acceptable(self) -> bool:
        return (
            bool(self.first.text())
            and self.problem() is None
            and self.second.text() == (self.first.text())
        )

    def passphrase(self) -> str:
        """The chosen passphrase; raises when it is too weak or the two differ."""
        problem = self.problem()
        if problem:
            raise InvalidInput(problem, field="passphrase")
        if not self.first.text():
            raise InvalidInput("Choose a passphrase.", field="passphrase")
        if self.second.text() != self.first.text():
            raise InvalidInput("Type the passphrase a second time to confirm it.")
        return self.first.text()

    def clear(self) -> None:
        self.first.clear()
        self.second.clear()
