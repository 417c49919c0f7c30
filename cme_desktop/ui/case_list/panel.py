"""The case list screen: search as you type, quick filters, a step filter, the count.

Typing waits ~150 ms after the last key before asking the vault, so a name
typed quickly costs one query, not one per letter. The panel keeps what the
officer asked for (``ListState``) so that, after a lock, the list comes back
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.case_list import (
    COHORT_FILTERS,
    QUICK_FILTERS,
    CaseList,
    CaseQuery,
)
from cme_desktop.services.errors import CmeError
from cme_desktop.services.server import ownership
from cme_desktop.ui import look
from cme_desktop.ui.case_list.table import SORT_KEYS, CaseTableModel, CaseTableView

SEARCH_DELAY_MS = 150
#: One letter matches half the county: the search starts at the second.
MIN_SEARCH = 2


@dataclass(frozen=True)
class ListState:
    """What the list was showing: the query and the selected case."""

    query: CaseQuery = CaseQuery()
    selected_id: int | None = None


class CaseListPanel(QWidget):
    """Search box, filters, count and the lazy case table."""

    open_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CaseTableModel(self)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        search_label = QLabel("&Search:")
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Name, date of birth, postcode, address, school or UPN  (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search cases")
        search_label.setBuddy(self.search)
        top.addWidget(search_label)
        top.addWidget(self.search, 3)
        step_label = QLabel("Tracking s&tep:")
        self.step = QComboBox()
        self.step.addItem("Any step", None)
        for number, term in enumerate(vocab.TRACKING_STEPS, start=1):
            self.step.addItem(f"{number}. {term.label}", number)
        self.step.setAccessibleName("Tracking step filter")
        self.step.setMinimumContentsLength(18)
        self.step.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        step_label.setBuddy(self.step)
        top.addWidget(step_label)
        top.addWidget(self.step, 2)
        # Which record (migration 0013): CME cases, children not in school, or both.
        cohort_label = QLabel("Rec&ords:")
        self.cohort = QComboBox()
        for key, label in COHORT_FILTERS.items():
            self.cohort.addItem(label, key)
        self.cohort.setAccessibleName("Records shown: CME, children not in school, or both")
        cohort_label.setBuddy(self.cohort)
        top.addWidget(cohort_label)
        top.addWidget(self.cohort, 1)
        layout.addLayout(top)

        filters = QHBoxLayout()
        filters.setSpacing(4)
        self.show_label = QLabel("Sho&w:")
        self.show_label.setToolTip("Alt+W, then the arrow keys: show another group of cases")
        filters.addWidget(self.show_label)
        self.quick = QButtonGroup(self)
        self.quick.setExclusive(True)
        self.quick_buttons: dict[str, QPushButton] = {}
        for key, label in QUICK_FILTERS.items():
            button = QPushButton(label)
            button.setCheckable(True)
            look.role(button, "filter")
            button.setAccessibleName(f"Show {label.lower()}")
            button.setProperty("quick", key)
            self.quick.addButton(button)
            self.quick_buttons[key] = button
            filters.addWidget(button)
        self.quick_buttons["open"].setChecked(True)
        self.quick.buttonToggled.connect(lambda _b, _on: self._quick_tab_stop())
        self._quick_tab_stop()
        # On a shared server only: the officer's own cases, with any quick filter.
        self.mine = QPushButton("&Mine only")
        self.mine.setCheckable(True)
        look.role(self.mine, "filter")
        self.mine.setAccessibleName("Show only the cases you own")
        self.mine.setToolTip("Alt+M: only the cases whose owner is your server login")
        self.mine.setVisible(False)
        self.mine.toggled.connect(lambda _on: self.apply_filters())
        filters.addSpacing(12)
        filters.addWidget(self.mine)
        self._login: str | None = None
        filters.addStretch(1)
        self.count = QLabel("Showing 0 cases")
        look.role(self.count, "count")
        self.count.setAccessibleName("Number of cases shown")
        filters.addWidget(self.count)
        # Shown when a search finds cases that the quick filter in use hides: one key press
        # shows them, so a match is never hidden without a word.
        self.show_hidden = QPushButton("Show all cases")
        self.show_hidden.setAccessibleName("Turn the quick filter off and show every match")
        self.show_hidden.setVisible(False)
        self.show_hidden.clicked.connect(self.show_all_matches)
        filters.addWidget(self.show_hidden)
        layout.addLayout(filters)
        self._source: CaseList | None = None

        self.table = CaseTableView(self.model)
        layout.addWidget(self.table, 1)
        self.table.open_requested.connect(self.open_requested)
        self.model.modelReset.connect(self._update_count)
        self.model.problem_found.connect(self._update_count)
        self.model.count_changed.connect(self._update_count)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._search_now)
        self.step.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.cohort.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.quick.buttonClicked.connect(lambda _b: self.apply_filters())
        self.setTabOrder(self.search, self.step)
        self.setTabOrder(self.step, self.cohort)
        self.setTabOrder(self.cohort, self.quick_buttons["all"])
        self.setTabOrder(self.quick_buttons["whereabouts_unknown"], self.mine)
        self.setTabOrder(self.mine, self.show_hidden)
        self.setTabOrder(self.show_hidden, self.table)

    # -- the vault ------------------------------------------------------------------------

    def attach(self, case_list: CaseList, state: ListState | None = None) -> None:
        """Show this vault's cases, the way ``state`` says (or open cases by name).

        On a shared server the list also shows each case's owner and offers "Mine only".
        """
        self._source = case_list
        self._login = None
        if getattr(case_list.db, "kind", "vault") == "server":
            try:
                self._login = ownership.login(case_list.db)
            except CmeError:
                self._login = None  # the list works without it; the count line says more
        on_server = self._login is not None
        self.mine.setVisible(on_server)
        self.table.show_owners(on_server)
        self.model.attach(case_list)
        self.restore(state or ListState())

    def clear(self) -> None:
        """Drop every case id, row and search text (the vault is being locked)."""
        self._debounce.stop()
        self._source = None
        self._login = None
        self.mine.setVisible(False)
        self.model.clear()
        self._set_quietly(ListState())
        self._update_count()

    # -- what the officer asked for -------------------------------------------------------

    def current_query(self) -> CaseQuery:
        button = self.quick.checkedButton()
        quick = str(button.property("quick")) if button is not None else "open"
        step = self.step.currentData()
        q = self.model.query
        search = self.search.text().strip()
        return CaseQuery(
            search=search if len(search) >= MIN_SEARCH else "",
            quick=quick,
            step=int(step) if step is not None else None,
            sort=q.sort,
            descending=q.descending,
            owner=self._login if self.mine.isChecked() and self._login is not None else None,
            cohort=str(self.cohort.currentData() or "all"),
        )

    def apply_filters(self) -> None:
        """Run the search and filters now (the debounce timer calls this)."""
        self._debounce.stop()
        selected, near = self.table.current_case_id(), self.table.current_row()
        query = self.current_query()
        self._explain_open(query.cohort)
        changed = query != self.model.query
        if changed or not self.model.rowCount():
            self.model.set_query(query)
        # Another list: the row the case held in the last one says nothing of where it is
        # in this one (reading that page of a search cost ~20 ms at 100,000 cases).
        self.table.select_case(selected, near=None if changed else near)
        self._update_count()

    def _search_now(self) -> None:
        """Enter in the search box: open the case if only one matches, else go to the list."""
        self.apply_filters()
        if not self.show_hidden.isHidden():
            # Nothing shown, but the quick filter hides matches: the way to them is next.
            self.show_hidden.setFocus()
            return
        if self.model.rowCount() == 1 and self.current_query().search:
            case_id = self.model.case_id(0)
            if case_id is not None:
                self.table.select_case(case_id)
                self.open_requested.emit(case_id)
                return
        self.table.setFocus()

    def _explain_open(self, cohort: str) -> None:
        """Say what "Open" and "Closed" mean for the records shown: for the children not in
        school, on the register now or taken off it (``case_list._conditions``)."""
        register = cohort == "cnis"
        for key, text in (
            (
                "open",
                "Children on the register of children not in school now"
                if register
                else "Cases open now",
            ),
            (
                "closed",
                "Children taken off the register of children not in school"
                if register
                else "Cases closed",
            ),
        ):
            self.quick_buttons[key].setToolTip(text)
            self.quick_buttons[key].setAccessibleDescription(text)

    def _quick_tab_stop(self) -> None:
        """Tab stops at the quick filter in use; the arrow keys choose another, as in a
        radio group (a button group lets Tab reach only one of its buttons)."""
        checked = self.quick.checkedButton()
        if checked is not None:
            self.show_label.setBuddy(checked)
        for button in self.quick_buttons.values():
            on = button is checked
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus if on else Qt.FocusPolicy.ClickFocus)

    def set_step_filter(self, step: int | None) -> None:
        """Show open cases at one tracking step (from the dashboard)."""
        self.quick_buttons["open"].setChecked(True)
        index = self.step.findData(step) if step is not None else 0
        self.step.blockSignals(True)
        self.step.setCurrentIndex(max(0, index))
        self.step.blockSignals(False)
        self.apply_filters()

    def state(self) -> ListState:
        return ListState(query=self.current_query(), selected_id=self.table.current_case_id())

    def restore(self, state: ListState) -> None:
        self._set_quietly(state)
        self.model.set_query(state.query)
        self.table.select_case(state.selected_id)

    def _set_quietly(self, state: ListState) -> None:
        q = state.query
        for widget in (self.search, self.step, self.cohort):
            widget.blockSignals(True)
        self.search.setText(q.search)
        self.step.setCurrentIndex(max(0, self.step.findData(q.step)) if q.step else 0)
        self.cohort.setCurrentIndex(max(0, self.cohort.findData(q.cohort)))
        for widget in (self.search, self.step, self.cohort):
            widget.blockSignals(False)
        self._explain_open(q.cohort)
        self.quick_buttons.get(q.quick, self.quick_buttons["open"]).setChecked(True)
        self.mine.blockSignals(True)
        self.mine.setChecked(q.owner is not None and q.owner == self._login)
        self.mine.blockSignals(False)
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        column = SORT_KEYS.index(q.sort) if q.sort in SORT_KEYS else 0
        order = Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
        header.setSortIndicator(column, order)
        header.blockSignals(False)

    def refresh(self) -> None:
        """Read the list again after a change, keeping the selected case."""
        selected, near = self.table.current_case_id(), self.table.current_row()
        self.model.refresh()
        self.table.select_case(selected, near=near)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_all_matches(self) -> None:
        """Turn the quick filter off ("All cases"), and "Mine only", keeping the search and
        the step."""
        self.quick_buttons["all"].setChecked(True)
        self.mine.blockSignals(True)
        self.mine.setChecked(False)
        self.mine.blockSignals(False)
        self.apply_filters()
        self.table.setFocus()

    def _hidden_matches(self) -> int:
        """How many cases the search finds that the quick filter in use hides, when it
        hides every one of them (one count, in SQL); else 0."""
        query = self.model.query
        if (
            self._source is None
            or self.model.rowCount()
            or (query.quick == "all" and query.owner is None)
            or not query.search
            or self.model.problem is not None
        ):
            return 0
        try:
            return self._source.count(
                replace(query, quick="all", owner=None), today=self.model.today
            )
        except CmeError:
            return 0  # the count line says already that the vault cannot be read

    def _update_count(self) -> None:
        n = self.model.rowCount()
        hidden = self._hidden_matches()
        if hidden:
            quick = self.model.query.quick
            label = QUICK_FILTERS.get(quick, "A quick filter")
            on = "is on"
            if self.model.query.owner is not None:
                label, on = (
                    ("Mine only", on) if quick == "all" else (f"{label} and Mine only", "are on")
                )
            text = f"0 of {hidden:,} shown — {label} {on}"
        elif self.model.capped:
            text = f"{n:,}+ cases found — type more to narrow the search"
        else:
            text = f"Showing {n:,} case{'' if n == 1 else 's'}"
        if 0 < len(self.search.text().strip()) < MIN_SEARCH:
            text += " (type a second letter to search)"
        if self.model.problem is not None:
            text = f"Some cases cannot be shown: {self.model.problem}"
        self.count.setText(text)
        more = (
            f"More than {n:,} cases match. Only the first {n:,} are counted, so the list "
            "stays quick: type more of the name to narrow the search, or scroll to the end "
            "of the list to count them all."
        )
        self.count.setToolTip(more if self.model.capped else "")
        self.count.setAccessibleDescription(more if self.model.capped else "")
        self.show_hidden.setVisible(bool(hidden))
