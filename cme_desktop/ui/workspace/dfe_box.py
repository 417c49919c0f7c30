"""The DfE return's part of the details form: sex, the day CME was confirmed, the DfE reason.

The DfE counts a child from the day CME is confirmed (checks done, no school
place, no suitable education), by a controlled sex and by the DfE's primary
reason. The reason is proposed from what the case holds (``dfe_codes.propose_reason``)
and the officer confirms it by choosing it; the gender as typed stays visible
beside the sex, with a note when it needs checking. The reasons offered are the
authority's current ones (Settings > DfE return codes, ``set_codebook``); a reason
the case holds that has since been retired is shown, marked, so that it is seen and
changed rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QWidget,
)

from cme_desktop.services.reports import dfe_codes
from cme_desktop.services.reports.dfe_codebook import DEFAULT, Codebook
from cme_desktop.ui import look
from cme_desktop.ui.dialogs import set_combo_key, term_combo
from cme_desktop.ui.fields import DateField, add_row

#: What the proposal reads from the form: reason missing, groups, whereabouts unknown.
CaseFacts = Callable[[], tuple[str, list[str], bool]]


def sex_hint(gender: str, sex: str) -> str:
    """A note when the sex needs the officer's eye, from the gender as typed."""
    typed = gender.strip()
    if not typed:
        return "" if sex else "Not recorded yet: the DfE return needs it."
    if not sex:
        return f"Gender typed as “{typed}”: choose the sex for the DfE return."
    reading = dfe_codes.sex_from_gender(typed)
    if reading.needs_review and sex == "not_known":
        return f"Gender typed as “{typed}” was read as not known: check it."
    return ""


class DfeReturnBox(QGroupBox):
    """Sex, the day CME was confirmed and the DfE primary reason, registered in ``widgets``."""

    def __init__(
        self,
        widgets: dict[str, QWidget],
        facts: CaseFacts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("For the DfE return", parent)
        self._widgets = widgets
        self._facts = facts
        form = QFormLayout(self)
        self.sex = term_combo(dfe_codes.SEXES, blank="— not recorded —")
        add_row(form, "Se&x:", self.sex, name="Sex")
        widgets["sex"] = self.sex
        self.sex_note = QLabel()
        self.sex_note.setWordWrap(True)
        self.sex_note.setAccessibleName("Sex check")
        look.role(self.sex_note, "problem")
        form.addRow("", self.sex_note)
        self.confirmed = DateField("cme_confirmed_on", "Confirmed as CME on")
        self.confirmed.setToolTip(
            "The day checks were done and the child was found to have no school place and "
            "no suitable education. Left blank while the referral is still being checked: "
            "the DfE return does not count the child until then."
        )
        add_row(form, "Confirmed as CM&E on:", self.confirmed, name="Confirmed as CME on")
        widgets["cme_confirmed_on"] = self.confirmed
        self.reason = term_combo((), blank="—")
        self.set_codebook(DEFAULT)
        add_row(form, "DfE p&rimary reason:", self.reason, name="DfE primary reason")
        widgets["dfe_reason"] = self.reason
        self.propose_button = QPushButton("Pro&pose from the case")
        self.propose_button.setAccessibleName("Propose the DfE reason from the case")
        self.propose_button.setToolTip(
            "Choose the DfE reason that the policy's reason missing, the groups and the "
            "whereabouts suggest; check it before saving."
        )
        self.propose_button.clicked.connect(self.propose)
        form.addRow("", self.propose_button)
        self.sex.currentIndexChanged.connect(lambda _i: self.refresh_note())

    def set_codebook(self, book: Codebook, held: str = "") -> None:
        """Offer ``book``'s current reasons, and ``held`` (the case's) even if retired; the
        reason chosen stays chosen."""
        chosen = str(self.reason.currentData() or "")
        blocked = self.reason.blockSignals(True)
        self.reason.clear()
        self.reason.addItem("—", "")
        for entry in book.reason:
            if not entry.retired or entry.key in (held, chosen):
                self.reason.addItem(book.reason_label(entry.key), entry.key)
        for key in (held, chosen):
            if key and self.reason.findData(key) < 0:
                # Held but gone from Settings: shown as it is kept, to be changed.
                self.reason.addItem(book.reason_label(key), key)
        set_combo_key(self.reason, chosen)
        self.reason.blockSignals(blocked)

    def watch_gender(self, gender: QComboBox) -> None:
        """Update the sex note when the typed gender changes."""
        gender.currentTextChanged.connect(lambda _t: self.refresh_note())

    def refresh_note(self) -> None:
        gender = self._widgets.get("gender")
        typed = gender.currentText() if isinstance(gender, QComboBox) else ""
        note = sex_hint(typed, str(self.sex.currentData() or ""))
        self.sex_note.setText(note)
        self.sex_note.setVisible(bool(note))

    def propose(self) -> str:
        """Choose the proposed DfE reason (the officer saves it with the case)."""
        reason, groups, unknown = self._facts()
        key = dfe_codes.propose_reason(reason, groups, whereabouts_unknown=unknown)
        set_combo_key(self.reason, key)
        return key
