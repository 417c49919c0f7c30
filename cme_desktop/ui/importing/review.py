"""The import review: a parsed referral beside any existing case that may be the same child.

``ImportReview`` is one dialog per referral read from a file. On the left, the
referral in the form editor (editable), the fields the parser was unsure of
highlighted. On the right, for each child the form names, the existing cases that
may be that child (``ImportService.candidates``: same UPN, or the same date of
birth and a name alike), the chosen case's key fields beside the referral's with
the differences highlighted, and the choice: create a new case, add the referral
to the existing case (filling only its blank fields), or merge field by field (a
tick per differing field takes the referral's value). Siblings named on one form
are said to become linked cases.

Nothing is saved until "Import": then one service call (``ImportService.commit``)
runs in the background and ``imported`` announces the result. "Skip" saves nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.services.errors import CmeError
from cme_desktop.services.importing.candidates import CaseCandidate, ChildMatch
from cme_desktop.services.importing.commit import (
    ChildDecision,
    ImportResult,
    Take,
    suggested_decision,
)
from cme_desktop.services.importing.comparison import FieldComparison
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.parties import children_named
from cme_desktop.services.registry import AppServices
from cme_desktop.services.rules.dates import format_date, format_uk_date
from cme_desktop.ui import background, look, prompts
from cme_desktop.ui.referral.editor import ReferralEditor
from cme_desktop.ui.screen_fit import fit_window

TITLE = "Review the imported referral"
COL_FIELD, COL_CASE, COL_REFERRAL, COL_TAKE = range(4)
ACTIONS = ("add", "merge", "new")
ACTION_TEXTS = {
    "add": "&Add this referral to the existing case (fills only its blank fields)",
    "merge": "&Merge field by field: tick the referral's values to take",
    "new": "Create a &new case",
}


def candidate_text(candidate: CaseCandidate) -> str:
    """One line naming a candidate case: reference, name, date of birth, status."""
    born = f"born {format_uk_date(candidate.date_of_birth)}" if candidate.date_of_birth else ""
    parts = [candidate.reference, candidate.full_name, born]
    if candidate.status != "open":
        parts.append(candidate.status)
    return " · ".join(p for p in parts if p)


class ChildChoice(QGroupBox):
    """One child of the referral: the candidate cases, the choice, the fields side by side."""

    def __init__(
        self,
        services: AppServices,
        parsed: ParsedReferral,
        match: ChildMatch,
        *,
        count: int,
        parent: QWidget | None = None,
    ) -> None:
        name = match.full_name or "(no name on the form)"
        super().__init__(f"Child {match.index + 1} of {count}: {name}", parent)
        self.services = services
        self.parsed = parsed
        self.match = match
        self.comparison: tuple[FieldComparison, ...] = ()
        layout = QVBoxLayout(self)
        self.case_box = QComboBox()
        self.case_box.setAccessibleName(f"Existing case for child {match.index + 1}")
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for action in ACTIONS:
            button = QRadioButton(ACTION_TEXTS[action])
            self.buttons[action] = button
            self.group.addButton(button)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Field", "On the case", "On the referral", "Take"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_CASE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_REFERRAL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_TAKE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setAccessibleName(f"The case beside the referral, child {match.index + 1}")

        if not match.candidates:
            none = QLabel(
                "No existing case has the same UPN, or the same date of birth and a similar "
                "name. A new case will be created."
            )
            none.setWordWrap(True)
            layout.addWidget(none)
            self.buttons["new"].setChecked(True)
            return
        for candidate in match.candidates:
            self.case_box.addItem(candidate_text(candidate), candidate.case_id)
        several = len(match.candidates) > 1
        found = QLabel(
            f"{len(match.candidates)} existing cases may be this child:"
            if several
            else "An existing case may be this child:"
        )
        layout.addWidget(found)
        layout.addWidget(self.case_box)
        layout.addWidget(self.reason)
        for action in ACTIONS:
            layout.addWidget(self.buttons[action])
        layout.addWidget(self.table)
        suggested = suggested_decision(match)
        if suggested.case_id is not None:
            self.case_box.setCurrentIndex(self.case_box.findData(suggested.case_id))
        self.buttons[suggested.action].setChecked(True)
        self.case_box.currentIndexChanged.connect(lambda _i: self._show_case())
        self.group.buttonToggled.connect(lambda _b, _on: self._enable())
        self._show_case()

    # -- the chosen case beside the referral ------------------------------------------------

    def candidate(self) -> CaseCandidate | None:
        """The existing case chosen in the list, if there are any."""
        index = self.case_box.currentIndex()
        return self.match.candidates[index] if 0 <= index < len(self.match.candidates) else None

    def _show_case(self) -> None:
        candidate = self.candidate()
        if candidate is None:
            return
        self.reason.setText(f"Why: {candidate.reason} (match {round(candidate.score * 100)}%).")
        self.comparison = self.services.importing.compare(
            self.parsed, child_index=self.match.index, case_id=candidate.case_id
        )
        self.table.setHorizontalHeaderItem(COL_CASE, QTableWidgetItem(candidate.reference))
        self.table.setRowCount(len(self.comparison))
        background, colour = look.fill("difference")
        highlight, on_highlight = QBrush(background), QBrush(colour)
        for row, compared in enumerate(self.comparison):
            cells = (compared.label, compared.case_text, compared.referral_text)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if compared.differs and column != COL_FIELD:
                    item.setBackground(highlight)
                    item.setForeground(on_highlight)
                    item.setToolTip("The case and the referral differ here")
                if compared.differs and column == COL_FIELD:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
            take = QTableWidgetItem()
            if compared.can_take:
                take.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                blank = compared.case_text == ""
                take.setCheckState(Qt.CheckState.Checked if blank else Qt.CheckState.Unchecked)
                take.setToolTip("Tick to take the referral's value when merging")
            else:
                take.setFlags(Qt.ItemFlag.NoItemFlags)
            self.table.setItem(row, COL_TAKE, take)
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + 4
        height += sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(height)
        self._enable()

    def _enable(self) -> None:
        merging = self.buttons["merge"].isChecked()
        self.case_box.setEnabled(not self.buttons["new"].isChecked())
        self.table.setEnabled(not self.buttons["new"].isChecked())
        for row, compared in enumerate(self.comparison):
            item = self.table.item(row, COL_TAKE)
            if item is not None and compared.can_take:
                flags = Qt.ItemFlag.ItemIsUserCheckable
                if merging:
                    flags |= Qt.ItemFlag.ItemIsEnabled
                item.setFlags(flags)

    # -- the decision ------------------------------------------------------------------------

    def action(self) -> str:
        """The choice made: "new", "add" or "merge"."""
        return next(a for a, b in self.buttons.items() if b.isChecked())

    def choose(self, action: str, case_id: int | None = None) -> None:
        """Choose ``action`` ("new", "add", "merge"), and the existing case if given."""
        if case_id is not None:
            self.case_box.setCurrentIndex(self.case_box.findData(case_id))
        self.buttons[action].setChecked(True)

    def differing_fields(self) -> list[str]:
        """The fields where the chosen case and the referral differ."""
        return [c.field for c in self.comparison if c.differs]

    def set_take(self, field: str, take: bool) -> None:
        """Tick (take the referral's value) or untick one field of the comparison."""
        row = [c.field for c in self.comparison].index(field)
        item = self.table.item(row, COL_TAKE)
        if item is not None:
            item.setCheckState(Qt.CheckState.Checked if take else Qt.CheckState.Unchecked)

    def decision(self) -> ChildDecision:
        """The choice as ``ImportService.commit`` takes it (a tick per field when merging)."""
        action = self.action()
        candidate = self.candidate()
        if action == "new" or candidate is None:
            return ChildDecision(self.match.index, "new")
        if action == "add":
            return ChildDecision(self.match.index, "add", candidate.case_id)
        take: dict[str, Take] = {}
        for row, compared in enumerate(self.comparison):
            item = self.table.item(row, COL_TAKE)
            if compared.can_take and item is not None:
                ticked = item.checkState() == Qt.CheckState.Checked
                take[compared.field] = "referral" if ticked else "case"
        return ChildDecision(self.match.index, "merge", candidate.case_id, take=take)


class ImportReview(QDialog):
    """One referral read from a file, reviewed before anything is saved."""

    imported = Signal(object)  # the ImportResult

    def __init__(
        self,
        parent: QWidget | None,
        services: AppServices,
        parsed: ParsedReferral,
        *,
        number: int = 1,
        total: int = 1,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.parsed = parsed
        self.outcome: ImportResult | None = None
        self._today = today
        self.setWindowTitle(f"{TITLE} ({number} of {total})" if total > 1 else TITLE)
        self.setObjectName("importReview")
        fit_window(self, QSize(1440, 900))

        self.editor = ReferralEditor(today=today)
        self.editor.set_split_available(False)
        self.editor.set_referral(parsed.referral)
        self.editor.mark_uncertain(parsed.uncertain)
        header = QLabel(self._header_text())
        header.setWordWrap(True)
        header.setTextFormat(Qt.TextFormat.RichText)

        self.choices_box = QWidget()
        self.choices_layout = QVBoxLayout(self.choices_box)
        self.choices: list[ChildChoice] = []
        self.again_button = QPushButton("&Look for matching cases again")
        self.again_button.setToolTip("After correcting a name, date of birth or UPN on the form")
        self.again_button.clicked.connect(self.find_matches)
        panel = QWidget()
        column = QVBoxLayout(panel)
        column.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Existing cases</b>")
        column.addWidget(title)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(self.choices_box)
        column.addWidget(scroller, 1)
        column.addWidget(self.again_button)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.editor)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        # The form needs the room; the cases beside it read well in a narrower column.
        splitter.setSizes([1000, 440])

        buttons = QDialogButtonBox()
        self.import_button = buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = buttons.addButton(
            "S&kip this referral", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.import_referral)
        self.skip_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        self.already = self._already_imported_notice()
        if self.already is not None:
            layout.addWidget(self.already)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self.find_matches()
        # The cursor starts where checking starts: the first field read with doubt.
        doubtful = [path for path in self.editor.fields if self.editor.is_uncertain(path)]
        self.editor.focus_field(doubtful[0] if doubtful else "children.full_name")

    def _already_imported_notice(self) -> QLabel | None:
        """Where this very file went before, if it was imported before; Import is then off."""
        try:
            previous = self.services.importing.previous_import(self.parsed)
        except CmeError:
            return None  # the import itself will say what is wrong
        if previous is None:
            return None
        notice = QLabel(
            f"<b>This file was already imported on {format_date(previous.imported_on)} to "
            f"{previous.references}.</b> Importing it again would create nothing: skip it."
        )
        notice.setWordWrap(True)
        notice.setObjectName("alreadyImported")
        notice.setAccessibleName("Already imported")
        self.import_button.setEnabled(False)
        return notice

    def _header_text(self) -> str:
        source = self.parsed.source.replace("&", "&amp;").replace("<", "&lt;")
        text = f"Read from <b>{source}</b>. Nothing is saved until you press Import."
        doubts = len(self.parsed.uncertain)
        if doubts:
            background, colour = look.fill("uncertain", on=look.Role.Window)
            style = f"background-color: {background.name()}; color: {colour.name()};"
            text += (
                f' <span style="{style}">&nbsp;{doubts} field'
                f"{'s' if doubts != 1 else ''} highlighted&nbsp;</span> could not be read with "
                "confidence: check them against the form."
            )
        return text

    def current(self) -> ParsedReferral:
        """The parsed referral with the officer's corrections."""
        return replace(self.parsed, referral=self.editor.referral())

    # -- the children and their cases ---------------------------------------------------------

    def find_matches(self) -> None:
        """Look again for the existing cases of each child named on the form (as corrected)."""
        current = self.current()
        try:
            matches = self.services.importing.candidates(current)
        except CmeError as exc:
            prompts.error(self, TITLE, exc)
            return
        while self.choices_layout.count():
            item = self.choices_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.choices = []
        if len(matches) > 1:
            note = QLabel(
                f"The form names {len(matches)} children: their cases will be linked as one "
                "family (siblings)."
            )
            note.setWordWrap(True)
            note.setObjectName("siblingsNote")
            self.choices_layout.addWidget(note)
        for match in matches:
            choice = ChildChoice(self.services, current, match, count=len(matches))
            self.choices.append(choice)
            self.choices_layout.addWidget(choice)
        self.choices_layout.addStretch(1)

    def decisions(self) -> list[ChildDecision]:
        """One decision per child named on the form."""
        return [choice.decision() for choice in self.choices]

    # -- import or skip -------------------------------------------------------------------------

    def import_referral(self) -> None:
        """Check the form, then save it as decided (one service call, in the background)."""
        errors = self.editor.errors()
        if errors:
            prompts.error(self, TITLE, errors[0].message)
            self.editor.focus_field(errors[0].field)
            return
        current = self.current()
        if len(children_named(current.referral)) != len(self.choices):
            self.find_matches()
            prompts.info(
                self, TITLE, "The children on the form have changed: check their cases again."
            )
            return
        decisions = self.decisions()
        self._busy(True)
        background.run(
            self,
            lambda: self.services.importing.commit(current, decisions, today=self._today),
            on_done=self._imported,
            on_error=self._failed,
        )

    def _busy(self, busy: bool) -> None:
        for widget in (self.import_button, self.skip_button, self.again_button):
            widget.setEnabled(not busy)
        if self.already is not None:
            self.import_button.setEnabled(False)

    def _imported(self, result: ImportResult) -> None:
        self.outcome = result
        self._busy(False)
        self.imported.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self._busy(False)
        prompts.error(self, TITLE, error)
