"""The nine tracking steps of policy 3.0 as a checklist: ticked with the date and who."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.cases.detail import CaseDetail, StepRow
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import look, prompts
from cme_desktop.ui.dialogs import FormDialog
from cme_desktop.ui.fields import DateField, plain
from cme_desktop.ui.workspace import register_only_note
from cme_desktop.ui.workspace.context import CaseContext


class StepDialog(FormDialog):
    """Set the date, who and a note for one step (or clear it by leaving the date blank)."""

    def __init__(self, parent: QWidget | None, ctx: CaseContext, step: StepRow) -> None:
        super().__init__(parent, f"Step {step.number}: {step.label}")
        self.ctx = ctx
        self.step = step
        self.set_intro(step.label)
        self.done_on = DateField("done_on", "Done on")
        self.done_on.set_value(step.done_on or date.today())
        self.add("Done &on:", self.done_on, "done_on")
        self.done_by = QLineEdit(step.done_by or ctx.services.db.actor)
        self.add("Done &by:", self.done_by, "done_by")
        self.note = QLineEdit(step.note)
        self.add("&Note:", self.note, "note")

    def submit(self) -> None:
        self.ctx.services.cases.set_step(
            self.ctx.case_id,
            step=self.step.step,
            done_on=self.done_on.value(),
            note=self.note.text(),
            done_by=self.done_by.text().strip(),
        )
        self.ctx.changed()


class StepsSection(QWidget):
    """One row per step: a tick (done today), when and by whom, a note, Edit…"""

    def __init__(self, ctx: CaseContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._steps: tuple[StepRow, ...] = ()
        self._loading = False
        layout = QVBoxLayout(self)
        intro = QLabel(
            "The key processes for tracking children missing education (policy 3.0). "
            "Tick a step when it is done; Edit… to change the date, who or a note."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # A child only on the register has no CME case: the steps are shown, not ticked.
        self.not_cme = QLabel(register_only_note.NOTE)
        self.not_cme.setWordWrap(True)
        self.not_cme.setAccessibleName("Tracking steps not offered")
        look.warning(self.not_cme, True)
        self.not_cme.hide()
        layout.addWidget(self.not_cme)
        grid = QGridLayout()
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(3, 2)
        for col, text in enumerate(("Step", "Done on", "By", "Note")):
            header = QLabel(text)
            look.role(header, "subheading")
            grid.addWidget(header, 0, col)
        self.checks: list[QCheckBox] = []
        self.dates: list[QLabel] = []
        self.who: list[QLabel] = []
        self.notes: list[QLabel] = []
        self.edits: list[QPushButton] = []
        for i in range(9):
            check = QCheckBox()
            check.toggled.connect(lambda on, n=i: self._toggled(n, on))
            done_on, by, note = QLabel(), QLabel(), QLabel()
            note.setWordWrap(True)
            edit = QPushButton("Edit…")
            edit.setAccessibleName(f"Edit step {i + 1}")
            edit.clicked.connect(lambda _c=False, n=i: self.edit(n))
            for col, widget in enumerate((check, done_on, by, note, edit)):
                grid.addWidget(widget, i + 1, col)
            self.checks.append(check)
            self.dates.append(done_on)
            self.who.append(by)
            self.notes.append(note)
            self.edits.append(edit)
        layout.addLayout(grid)
        layout.addStretch(1)

    def show_case(self, detail: CaseDetail) -> None:
        self._steps = detail.steps
        self._loading = True
        try:
            for i, step in enumerate(detail.steps):
                current = step.number == detail.current_step and step.done_on is None
                text = f"{step.number}. {step.label}" + ("   ◀ current step" if current else "")
                self.checks[i].setText(plain(text))
                self.checks[i].setAccessibleName(f"Step {step.number}: {step.label}")
                self.checks[i].setChecked(step.done_on is not None)
                look.emphasise(self.checks[i], current)
                self.dates[i].setText(format_date(step.done_on) if step.done_on else "")
                self.who[i].setText(step.done_by)
                self.notes[i].setText(step.note)
        finally:
            self._loading = False
        register_only = register_only_note.is_register_only(detail)
        self.not_cme.setVisible(register_only and detail.erased_on is None)
        # Never turned back on for an erased case (``erased_view`` made it read only).
        usable = not register_only and detail.erased_on is None
        why = register_only_note.NOTE if register_only else ""
        for control in (*self.checks, *self.edits):
            control.setEnabled(usable)
            control.setAccessibleDescription(why)

    def _toggled(self, index: int, on: bool) -> None:
        if self._loading or index >= len(self._steps):
            return
        step = self._steps[index]
        if not on and not prompts.confirm(
            self, "Tracking steps", f"Mark step {step.number} as not done?"
        ):
            self._restore(index)
            return
        ok = self.ctx.run(
            self,
            "Tracking steps",
            lambda: self.ctx.services.cases.set_step(
                self.ctx.case_id, step=step.step, done_on=date.today() if on else None
            ),
        )
        if not ok:
            self._restore(index)

    def _restore(self, index: int) -> None:
        self._loading = True
        self.checks[index].setChecked(self._steps[index].done_on is not None)
        self._loading = False

    def edit(self, index: int) -> None:
        if index < len(self._steps):
            StepDialog(self, self.ctx, self._steps[index]).exec()
