"""The case list as a lazy table model, and the view that shows it.

The model knows how many cases match (``CaseList.start`` counts them and
reads the first page; filtering, sorting and search all run in SQL) and reads
the other rows it is asked to paint a page at a time (``CaseList.page``),
keeping a bounded number of pages. It never holds
the list's ids: at 100,000 cases, showing the list costs a count and one page,
as at 1,000.

A search that finds more than ``COUNT_CAP`` cases is not counted further: the
list holds that many rows and says "1,000+". Scrolled to its end, the list
counts every match and grows to show them (Qt's ``fetchMore``): the exact
number is there for whoever goes looking, and costs nothing to whoever narrows
the search, as an officer looking for one child does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView, QWidget

from cme_desktop.services.cases.case_list import COUNT_CAP, CaseList, CaseQuery, CaseRow
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import CmeError
from cme_desktop.services.rules.dates import format_date
from cme_desktop.ui import look

COL_NAME = 0
COL_DOB = 1
COL_ADDRESS = 2
COL_SCHOOL = 3
COL_STEP = 4
COL_DAYS_OPEN = 5
COL_NEXT_TASK = 6
COL_FLAGS = 7
#: On a shared server only (hidden in a vault): whose case it is.
COL_OWNER = 8

HEADERS = (
    "Name",
    "Date of birth (age)",
    "Last known address",
    "School",
    "Tracking step",
    "Days open",
    "Next task due",
    "Escalated",
    "Owner",
)
#: The SQL sort key of each column (``CaseQuery.sort``).
SORT_KEYS = (
    "name",
    "date_of_birth",
    "address",
    "school",
    "step",
    "days_open",
    "next_task",
    "escalation",
    "owner",
)
#: Column widths in "average characters", scaled by the font, so 150 % scaling still fits.
WIDTHS = (20, 16, 26, 20, 22, 4, 25, 4, 12)

CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 2

#: Rows read at a time: about two screens of the list at 1366x768 (it shows some 25), so
#: the first page of a search that finds thousands costs what one finding a few does.
PAGE_SIZE = 64
#: Pages kept at hand (8,000 rows), the least recently painted dropped first.
MAX_PAGES = 125

_Index = QModelIndex | QPersistentModelIndex

# Plain ints: ``data`` runs for every painted cell and role, and enum lookups add up.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_CASE_ID = int(CASE_ID_ROLE)
_OVERDUE_FLAG = int(OVERDUE_ROLE)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ROLES = frozenset(
    {_DISPLAY, _DECORATION, _TOOLTIP, _FONT, _ALIGNMENT, _FOREGROUND, _ACCESSIBLE, _OVERDUE_FLAG}
)


class _Line:
    """One fetched row; its cells' text is worked out once, the first time it is painted."""

    __slots__ = ("row", "cells", "overdue", "closed")

    def __init__(self, row: CaseRow, overdue: bool) -> None:
        self.row = row
        self.cells: tuple[str, ...] | None = None
        self.overdue = overdue
        self.closed = row.status == "closed"


class CaseTableModel(QAbstractTableModel):
    """How many cases match; their rows read by page, in display order, as they are painted."""

    #: A page could not be read while painting (``problem`` says why).
    problem_found = Signal()
    #: A capped search was counted in full (``count_all``).
    count_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self._source: CaseList | None = None
        self._query = CaseQuery()
        self._count = 0
        #: A search's matches were counted only up to ``COUNT_CAP`` (``count_all``).
        self._capped = False
        self._pages: OrderedDict[int, list[_Line]] = OrderedDict()
        self._today = today
        self.pages_fetched = 0  # for tests and the benchmark
        self._day = today or date.today()
        self._last_page = -1
        self._last_row = -1
        self._last_line: _Line | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        self._overdue_icon: Any = None
        #: Why the vault could not give the list (a damaged page), for the count line;
        #: ``None`` when it could. Reads happen while Qt paints, where an error cannot
        #: be raised: the list shows what it has and says why the rest is missing.
        self.problem: str | None = None

    # -- what is shown --------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self._today or date.today()

    @property
    def query(self) -> CaseQuery:
        return self._query

    def attach(self, source: CaseList) -> None:
        """Show cases from this (unlocked) vault."""
        self._source = source

    def clear(self) -> None:
        """Forget every row (the vault is being locked)."""
        self.beginResetModel()
        self._source = None
        self._count = 0
        self._capped = False
        self._pages.clear()
        self._last_row = -1
        self.problem = None
        self.endResetModel()

    def set_query(self, query: CaseQuery) -> None:
        """Count the query's cases in SQL and show as many rows (read later, by page)."""
        self._query = query
        self.refresh()

    def refresh(self) -> None:
        """Ask the vault again (after a change): how many, and the first page."""
        self._day = self._today or date.today()
        count, first, capped = 0, list[CaseRow](), False
        self.problem = None
        if self._source is not None:
            try:
                start = self._source.start(
                    self._query, limit=PAGE_SIZE, cap=COUNT_CAP, today=self._day
                )
                count, first, capped = start.count, start.rows, start.capped
            except CmeError as exc:
                self.problem = exc.message
        self.beginResetModel()
        self._count = count
        self._capped = capped
        self._pages.clear()
        if first:
            self._pages[0] = [_Line(row, self._overdue(row)) for row in first]
            self.pages_fetched += 1
        self._last_row = -1
        self.endResetModel()

    @property
    def capped(self) -> bool:
        """True while a search's matches are counted only up to the cap: more match than the
        rows the list holds, and scrolling to its end counts them all (``count_all``)."""
        return self._capped

    def count_all(self) -> None:
        """Count every match of a capped search, and hold a row for each (read as painted)."""
        if not self._capped or self._source is None:
            return
        try:
            total = self._source.count(self._query, today=self._day)
        except CmeError as exc:
            self._capped = False  # not asked again cell by cell; the count line says why
            self.problem = exc.message
            self.problem_found.emit()
            return
        self._capped = False
        if total > self._count:
            self.beginInsertRows(QModelIndex(), self._count, total - 1)
            self._count = total
            self.endInsertRows()
        self.count_changed.emit()

    def canFetchMore(self, parent: _Index) -> bool:
        """Qt asks this when the list's last row comes into view."""
        return self._capped and not parent.isValid()

    def fetchMore(self, parent: _Index) -> None:
        if not parent.isValid():
            self.count_all()

    def forget_rows(self, case_ids: Sequence[int] = ()) -> None:
        """Drop cached rows (all, or the pages holding ``case_ids``) so they are read again."""
        self._last_row = -1
        if not case_ids:
            self._pages.clear()
        else:
            wanted = set(case_ids)
            for page in [
                p for p, lines in self._pages.items() if any(x.row.id in wanted for x in lines)
            ]:
                del self._pages[page]
        if self._count:
            self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(HEADERS) - 1))

    def ids(self) -> list[int]:
        """Every id in the list, in order, asked of the vault (for tools and tests; the list
        itself never needs them)."""
        if self._source is None:
            return []
        return self._source.matching_ids(self._query, today=self._day)

    def case_id(self, row: int) -> int | None:
        """The id of the case at ``row`` (its page is read if it is not at hand)."""
        line = self._line(row)
        return line.row.id if line is not None else None

    def row_of(self, case_id: int, *, near: int | None = None) -> int | None:
        """The row of ``case_id``, or ``None`` if the list leaves it out.

        The pages at hand are looked through first, then the page about row ``near``
        (where the case was before a refresh); only then is the vault asked.
        """
        found = self._row_in_pages(case_id)
        if found is None and near is not None and 0 <= near < self._count:
            self._line(near)
            found = self._row_in_pages(case_id)
        if found is None and self._source is not None and self._count:
            try:
                found = self._source.position(self._query, case_id, today=self._day)
            except CmeError as exc:
                self.problem = exc.message
        if found is not None and found >= self._count:
            self.count_all()  # past the rows of a capped search: hold them all
            if found >= self._count:
                return None
        return found

    def _row_in_pages(self, case_id: int) -> int | None:
        for page, lines in self._pages.items():
            for i, line in enumerate(lines):
                if line.row.id == case_id:
                    return page * PAGE_SIZE + i
        return None

    def row_data(self, row: int) -> CaseRow | None:
        """The list row at ``row``, fetching its page if needed."""
        line = self._line(row)
        return line.row if line is not None else None

    def _line(self, row: int) -> _Line | None:
        # Qt asks for every role of a cell, then the next cell of the row: remember the last.
        if row == self._last_row:
            return self._last_line
        if not 0 <= row < self._count:
            return None
        page, at = divmod(row, PAGE_SIZE)
        lines = self._pages.get(page)
        if lines is None:
            lines = self._fetch(page)
        elif page != self._last_page:
            self._pages.move_to_end(page)
        self._last_page = page
        # A case removed since the count leaves the page short: that row shows empty until
        # the refresh the change announces.
        self._last_row, self._last_line = row, lines[at] if at < len(lines) else None
        return self._last_line

    def _fetch(self, page: int) -> list[_Line]:
        if self._source is None:
            return []
        try:
            rows = self._source.page(
                self._query,
                offset=page * PAGE_SIZE,
                limit=PAGE_SIZE,
                today=self._day,
                # How many match, when known: a page near the end is read from there.
                total=None if self._capped else self._count,
            )
        except CmeError as exc:
            # Kept empty until the next refresh, so painting does not ask again cell by
            # cell; the count line says why these rows are blank.
            self._pages[page] = []
            if self.problem is None:
                self.problem = exc.message
                self.problem_found.emit()
            return []
        lines = [_Line(row, self._overdue(row)) for row in rows]
        self._pages[page] = lines
        self.pages_fetched += 1
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
            self._last_row = -1
        return lines

    def _cells(self, line: _Line) -> tuple[str, ...]:
        if line.cells is None:
            line.cells = tuple(
                self._display(line.row, col, line.overdue) for col in range(len(HEADERS))
            )
        return line.cells

    def cached_pages(self) -> int:
        return len(self._pages)

    # -- Qt's model interface -------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in SQL by the column's key (a header click)."""
        if not 0 <= column < len(SORT_KEYS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        q = self._query
        if (q.sort, q.descending) == (SORT_KEYS[column], descending) and self._count:
            return
        self.set_query(
            CaseQuery(
                search=q.search,
                quick=q.quick,
                step=q.step,
                sort=SORT_KEYS[column],
                descending=descending,
                owner=q.owner,
            )
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role == _CASE_ID:
            return self.case_id(index.row()) if index.isValid() else None
        if role not in _ROLES or not index.isValid():
            return None
        line = self._line(index.row())
        if line is None:
            return None
        col = index.column()
        if role == _DISPLAY:
            return (line.cells or self._cells(line))[col]
        overdue = line.overdue and col == COL_NEXT_TASK
        if role == _FOREGROUND:
            if overdue:
                return look.tone_brush("problem")
            return look.tone_brush("muted") if line.closed else None
        if role == _FONT:
            return self._bold if overdue or col == COL_FLAGS else None
        if role == _DECORATION:
            return self._warning_icon() if overdue else None
        if role == _ALIGNMENT:
            return _RIGHT if col == COL_DAYS_OPEN else None
        if role == _OVERDUE_FLAG:
            return overdue
        if role == _TOOLTIP:
            return self._tooltip(line.row, col)
        if role == _ACCESSIBLE:
            return self._accessible(line, col)
        return None

    # -- cells ----------------------------------------------------------------------------

    def _overdue(self, row: CaseRow) -> bool:
        return (
            row.status == "open" and row.next_task_due is not None and row.next_task_due < self._day
        )

    def _display(self, row: CaseRow, col: int, overdue: bool) -> str:
        if col == COL_NAME:
            return row.full_name + (" (closed)" if row.status == "closed" else "")
        if col == COL_DOB:
            if row.date_of_birth is None:
                return "Not known"
            age = row.age_on(self._day)
            return f"{format_date(row.date_of_birth)} ({age})"
        if col == COL_ADDRESS:
            return ", ".join(p.strip() for p in row.last_known_address.splitlines() if p.strip())
        if col == COL_SCHOOL:
            return row.school
        if col == COL_STEP:
            return row.step_text()
        if col == COL_DAYS_OPEN:
            return str(row.days_open(self._day))
        if col == COL_NEXT_TASK:
            if row.next_task_due is None or row.status != "open":
                return ""
            due = format_date(row.next_task_due)
            if overdue:
                return f"{due} overdue"
            return f"{due} – today" if row.next_task_due == self._day else due
        if col == COL_FLAGS:
            flags = [
                f
                for f, on in (("P", row.escalated_police), ("SC", row.escalated_social_care))
                if on
            ]
            return "  ".join(flags)
        if col == COL_OWNER:
            return row.owner or "Not allocated"
        return ""

    def _tooltip(self, row: CaseRow, col: int) -> str:
        if col == COL_FLAGS:
            parts = []
            if row.escalated_police:
                parts.append("P: referred to the Police")
            if row.escalated_social_care:
                parts.append("SC: referred to Children's Social Care")
            return "\n".join(parts)
        if col == COL_ADDRESS:
            return row.last_known_address
        if col == COL_STEP:
            if row.register_only:
                return "On the register of children not in school, with no CME case: no steps"
            return f"Step {row.current_step} of 9: {row.step_label()}"
        details = [case_reference(row.id)]
        if row.aka:
            details.append(f"Also known as {row.aka}")
        if row.upn:
            details.append(f"UPN {row.upn}")
        if row.whereabouts_unknown:
            details.append("Whereabouts unknown")
        return "\n".join(details)

    def _accessible(self, line: _Line, col: int) -> str:
        if col == COL_FLAGS:
            return self._tooltip(line.row, col).replace("\n", "; ") or "Not escalated"
        return self._cells(line)[col]

    def _warning_icon(self) -> Any:
        if self._overdue_icon is None:
            from PySide6.QtWidgets import QApplication

            style = QApplication.style()
            self._overdue_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._overdue_icon


class CaseTableView(QTableView):
    """The table: one row per case, Enter or double-click opens it."""

    open_requested = Signal(int)

    def __init__(self, model: CaseTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setObjectName("caseTable")
        self.setAccessibleName("Cases")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().setVisible(False)
        # Fixed row heights and column widths: Qt never measures 100,000 rows.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        bold = QFont(header.font())
        bold.setBold(True)
        header.setFont(bold)
        header.setStretchLastSection(True)
        self.setSortingEnabled(False)
        header.setSortIndicator(COL_NAME, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(model.sort)
        self.doubleClicked.connect(self._open_index)
        self.apply_font_metrics()
        self.show_owners(False)

    def apply_font_metrics(self) -> None:
        """Row height and column widths from the font, so scaling keeps them readable."""
        metrics = self.fontMetrics()
        self.verticalHeader().setDefaultSectionSize(int(metrics.height() * 1.7))
        char = metrics.averageCharWidth()
        bold = QFont(self.horizontalHeader().font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for col, width in enumerate(WIDTHS):
            # Wide enough for the header (with the sort arrow) as well as for the text.
            header = header_metrics.horizontalAdvance(HEADERS[col]) + 34
            self.setColumnWidth(col, max(width * char + 16, header))

    def show_owners(self, shown: bool) -> None:
        """Show the Owner column (on a shared server) or hide it (a vault has no owners).

        Shown, it stands after the school, where it is in sight without scrolling."""
        self.setColumnHidden(COL_OWNER, not shown)
        header = self.horizontalHeader()
        if shown and header.visualIndex(COL_OWNER) != COL_STEP:
            header.moveSection(header.visualIndex(COL_OWNER), COL_STEP)

    def case_model(self) -> CaseTableModel:
        model = self.model()
        assert isinstance(model, CaseTableModel)
        return model

    def current_case_id(self) -> int | None:
        index = self.currentIndex()
        return self.case_model().case_id(index.row()) if index.isValid() else None

    def current_row(self) -> int | None:
        index = self.currentIndex()
        return index.row() if index.isValid() else None

    def select_case(self, case_id: int | None, *, near: int | None = None) -> None:
        """Select the case's row if it is in the list, else the first row.

        ``near``: the row the case was at before the list was read again, where it is
        looked for first.
        """
        model = self.case_model()
        row = model.row_of(case_id, near=near) if case_id is not None else None
        if row is None:
            row = 0 if model.rowCount() else None
        if row is None:
            return
        self.setCurrentIndex(model.index(row, COL_NAME))
        self.scrollTo(model.index(row, COL_NAME), QAbstractItemView.ScrollHint.EnsureVisible)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            case_id = self.current_case_id()
            if case_id is not None:
                self.open_requested.emit(case_id)
                return
        super().keyPressEvent(event)

    def _open_index(self, index: QModelIndex) -> None:
        case_id = self.case_model().case_id(index.row())
        if case_id is not None:
            self.open_requested.emit(case_id)
