"""Accessibility of every screen (WCAG 2.2 / EN 301 549): every control has a name a screen
reader can say, Tab goes through each screen in reading order and reaches its buttons, and
text stays readable (4.5:1) in the system's dark and high-contrast schemes.

The screens are built by ``screens.py``; what a screen reader hears is asked of Qt's own
accessibility layer (``QAccessible``), not guessed from the widgets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cmp_to_key
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSlider,
    QSplitter,
    QTabBar,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from cme_desktop.ui import look, scheme
from cme_desktop.ui.main_window import MainWindow
from tests.support.main_window import Prompts
from tests.ui.screens import every_screen, gate_screens, settle, unlock_screens

Role = QPalette.ColorRole
INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
    QComboBox,
    QAbstractSpinBox,
    QAbstractItemView,
    QSlider,
    QTabBar,
)
UI = Path(__file__).resolve().parents[2] / "cme_desktop" / "ui"


def describe(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    shown = text() if callable(text) else ""
    return (
        f"{type(widget).__name__}(objectName={widget.objectName()!r}, text={str(shown)[:30]!r}, "
        f"in {type(widget.parentWidget()).__name__})"
    )


def shown_controls(root: QWidget) -> Iterator[QWidget]:
    """The interactive widgets of ``root`` that are on screen now."""
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, INTERACTIVE) or not widget.isVisible():
            continue
        if widget.window() is not root.window():
            continue
        # A header is the column names of its table, read out through the table; the line
        # edit inside a spin box or combo box is that control's own text.
        if isinstance(widget, QHeaderView):
            continue
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), (QComboBox, QAbstractSpinBox)
        ):
            continue
        yield widget


def accessible_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def all_screens(qtbot: Any, window: MainWindow, tmp_path: Path) -> Iterator[tuple[str, QWidget]]:
    """The first run, every screen of the unlocked window, then its unlock screen."""
    yield from gate_screens(qtbot, tmp_path)
    yield from every_screen(window, tmp_path)
    assert window.lock()
    qtbot.waitUntil(window.is_locked)
    yield from unlock_screens(window)


# -- names ---------------------------------------------------------------------------------


def test_every_control_on_every_screen_has_a_name(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path
) -> None:
    unnamed: list[str] = []
    seen = 0
    for screen, root in all_screens(qtbot, window, tmp_path):
        for widget in shown_controls(root):
            seen += 1
            if not accessible_name(widget):
                unnamed.append(f"{screen}: {describe(widget)}")
    assert seen > 500  # every screen was really walked
    assert not unnamed, "unnamed:\n" + "\n".join(unnamed)


def test_a_field_takes_its_name_from_its_label() -> None:
    from cme_desktop.ui.fields import label_for, plain_label
    from cme_desktop.ui.referral.widgets import ChoiceButtons

    field = QLineEdit()
    label = label_for(field, "Child's &name:")
    assert label.buddy() is field
    assert accessible_name(field) == "Child's name"
    answers = ChoiceButtons((("Yes", True), ("No", False)))
    label_for(answers, "<b>Is the child known to social care?</b>")
    assert answers.accessibleName() == "Is the child known to social care?"
    assert [b.accessibleDescription() for b in answers.buttons] == [answers.accessibleName()] * 2
    assert plain_label("Rock && roll:") == "Rock & roll"


# -- Tab order -----------------------------------------------------------------------------

#: How far (pixels) a control may sit left of the one before it on the same line.
TOLERANCE = 6
#: Presses of Tab a control may keep (a date or time edit moves through its day, month
#: and year first) before focus counts as stuck in it.
SECTIONS = 4


def _tab_stops(root: QWidget) -> list[QWidget]:
    stops = []
    for widget in root.findChildren(QWidget):
        if widget.window() is not root or not widget.isVisible() or not widget.isEnabled():
            continue
        if widget.focusProxy() is not None:
            continue
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus != Qt.FocusPolicy.TabFocus:
            continue
        stops.append(widget)
    return stops


def _owner(widget: QWidget) -> QWidget:
    """The control a focused widget belongs to (a spin box's or combo box's own line edit)."""
    parent = widget.parentWidget()
    if isinstance(parent, (QAbstractSpinBox, QComboBox)):
        return parent
    return widget


def _frame(widget: QWidget) -> QWidget | None:
    """The region ``widget`` is read within, if it is one: a scroll area's content is read
    where the scroll area stands, a splitter's pane and a group box as a block of their own
    (two group boxes side by side are read one, then the other)."""
    parent = widget.parentWidget()
    if isinstance(parent, QSplitter) or isinstance(widget, QGroupBox):
        return widget
    viewport = parent
    area = viewport.parentWidget() if viewport is not None else None
    if isinstance(area, QScrollArea) and area.widget() is widget:
        return area
    return None


Place = list[tuple[QWidget, QRect]]


def place(widget: QWidget, root: QWidget) -> Place:
    """Where ``widget`` stands, region by region from the window in: each region's frame
    (or the widget) with its rectangle in the region around it (unscrolled)."""
    regions: list[tuple[QWidget, QWidget]] = []  # (content, frame), innermost first
    current: QWidget | None = widget
    while current is not None and current is not root:
        frame = _frame(current)
        if frame is not None:
            regions.append((current, frame))
        current = current.parentWidget()
    path: Place = []
    container = root
    for content, frame in reversed(regions):
        path.append((frame, QRect(frame.mapTo(container, QPoint(0, 0)), frame.size())))
        container = content
    path.append((widget, QRect(widget.mapTo(container, QPoint(0, 0)), widget.size())))
    return path


def reads_after(before: QRect, after: QRect) -> bool:
    """True when ``after`` comes after ``before`` in reading order: on a later line, or on
    the same line (their heights overlap) and to its right."""
    if after.top() > before.bottom() - 2:
        return True
    if after.bottom() < before.top() + 2:
        return False
    return after.left() >= before.left() - TOLERANCE


def place_reads_after(before: Place, after: Place) -> bool:
    for (first, first_rect), (second, second_rect) in zip(before, after, strict=False):
        if first is not second:
            return reads_after(first_rect, second_rect)
    return len(before) <= len(after)  # a scroll area itself comes before what it holds


Step = tuple[object, tuple[int, ...]]


def _key(layout: QLayout, index: int) -> tuple[int, ...]:
    """Where item ``index`` stands in ``layout``, in the order it is read."""
    if isinstance(layout, QGridLayout):
        row, column, _rows, _columns = layout.getItemPosition(index)
        return (row, column)
    if isinstance(layout, QFormLayout):
        row, role = layout.getItemPosition(index)
        return (row, int(role.value))
    if isinstance(layout, QBoxLayout):
        backwards = layout.direction() in (
            QBoxLayout.Direction.RightToLeft,
            QBoxLayout.Direction.BottomToTop,
        )
        return (-index,) if backwards else (index,)
    return (index,)


def _search(layout: QLayout, targets: set[QWidget]) -> tuple[list[Step], QWidget] | None:
    # Each target and inner layout asked for its place, rather than every item of the
    # layout read: reading them would make a Python object of each spacer too, which Qt
    # deletes with its layout while that object may still stand for its memory.
    held = [(layout.indexOf(w), w) for w in targets if layout.indexOf(w) >= 0]
    inner = [
        (layout.indexOf(child), child)
        for child in layout.findChildren(QLayout, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if layout.indexOf(child) >= 0
    ]
    for index, found_in in sorted(held + inner, key=lambda pair: pair[0]):
        if isinstance(found_in, QWidget):
            return [(layout, _key(layout, index))], found_in
        found = _search(found_in, targets)
        if found is not None:
            return [(layout, _key(layout, index)), *found[0]], found[1]
    return None


def layout_path(widget: QWidget, root: QWidget) -> list[Step]:
    """Where ``widget`` stands in the layouts from ``root`` in: each layout (or splitter) on
    the way with the widget's place in it. Two controls are read in the order of their
    places in the first layout that holds them apart: a row of a form or grid, then its
    column; a box left to right or top to bottom (so two columns side by side are read
    one, then the other)."""
    chain: list[QWidget] = []
    current: QWidget | None = widget
    while current is not None and current is not root:
        chain.append(current)
        current = current.parentWidget()
    chain.reverse()
    path: list[Step] = []
    holder = root
    while holder is not widget:
        below = chain[chain.index(holder) + 1 :] if holder in chain else chain
        layout = holder.layout()
        found = _search(layout, set(below)) if layout is not None else None
        if found is not None:
            path += found[0]
            holder = found[1]
            continue
        child = below[0]  # not laid out by a layout: a splitter's pane, a scroll area's page
        if isinstance(holder, QSplitter):
            path.append((holder, (holder.indexOf(child),)))
        holder = child
    return path


def reads_before(
    first: QWidget, second: QWidget, root: QWidget, places: dict[QWidget, Place]
) -> bool:
    """True when ``first`` is read before ``second``: by the layouts that place them, else
    (controls placed by hand) by where they stand on the screen."""
    for (here, key), (there, other) in zip(
        layout_path(first, root), layout_path(second, root), strict=False
    ):
        if here is not there:
            break
        if key != other:
            return key < other
    return place_reads_after(places[first], places[second])


def _reading_key(root: QWidget, places: dict[QWidget, Place]) -> Any:
    def compare(a: QWidget, b: QWidget) -> int:
        if a is b:
            return 0
        return -1 if reads_before(a, b, root, places) else 1

    return cmp_to_key(compare)


def _one_of_a_group(widget: QWidget, visited: list[QWidget]) -> bool:
    """An option of a radio group is reached with the arrow keys once Tab is on the group."""
    if not isinstance(widget, QRadioButton) or not widget.autoExclusive():
        return False
    parent = widget.parentWidget()
    return any(isinstance(v, QRadioButton) and v.parentWidget() is parent for v in visited)


def tab_through(root: QWidget, places: dict[QWidget, Place]) -> tuple[list[QWidget], str]:
    """Press Tab from the first control in reading order until focus comes back to it.

    Returns the controls focused, in order, and a problem if focus got stuck.
    """
    assert places, "nothing on the screen takes the keyboard focus"
    first = min(places, key=_reading_key(root, places))
    if len(places) == 1:
        return [first], ""  # one control: Tab has nowhere else to go
    first.setFocus(Qt.FocusReason.TabFocusReason)
    settle()
    visited: list[QWidget] = []
    kept = 0
    current = QApplication.focusWidget()
    for _ in range(SECTIONS * len(places) + 10):
        if current is None:
            return visited, "no widget has the focus"
        owner = _owner(current)
        if visited and owner is visited[-1]:
            kept += 1
            if kept >= SECTIONS:
                return visited, f"Tab does not leave {describe(owner)}"
        elif visited and owner is visited[0]:
            return visited, ""
        else:
            kept = 0
            visited.append(owner)
        QTest.keyClick(current, Qt.Key.Key_Tab)
        settle()
        current = QApplication.focusWidget()
    return visited, "Tab never came back to where it started"


def _tab_problems(screen: str, root: QWidget) -> list[str]:
    root.activateWindow()
    settle()
    places = {w: place(w, root) for w in _tab_stops(root)}  # before tabbing scrolls anything
    visited, stuck = tab_through(root, places)
    problems = [f"{screen}: {stuck}"] if stuck else []
    for before, after in pairwise(visited):
        known = before in places and after in places
        if known and not reads_before(before, after, root, places):
            problems.append(
                f"{screen}: Tab goes from {describe(before)} {places[before][-1][1]} back to "
                f"{describe(after)} {places[after][-1][1]}"
            )
    missed = [
        w for w in places if w not in visited and _owner(w) is w and not _one_of_a_group(w, visited)
    ]
    problems += [f"{screen}: Tab never reaches {describe(w)}" for w in missed]
    return problems


def test_tab_goes_through_every_screen_in_reading_order_and_reaches_its_buttons(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path
) -> None:
    problems: list[str] = []
    checked = 0
    for screen, root in all_screens(qtbot, window, tmp_path):
        checked += 1
        problems += _tab_problems(screen, root.window())
    assert checked > 40
    assert not problems, "\n".join(problems)


def test_the_tab_check_finds_fields_and_buttons_out_of_order(qtbot: Any) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    column = QVBoxLayout(dialog)
    first, second, third = QLineEdit(), QLineEdit(), QLineEdit()
    for field in (first, second, third):
        column.addWidget(field)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole).setDefault(True)
    column.addWidget(buttons)
    dialog.show()
    settle()
    QWidget.setTabOrder(first, third)
    QWidget.setTabOrder(third, second)

    problems = _tab_problems("made up", dialog)

    assert len(problems) == 2
    assert "from QLineEdit" in problems[0] and "back to QLineEdit" in problems[0]
    assert (
        "text='Cancel'" in problems[1]
        and "back to QPushButton(objectName='', text='Save'" in (problems[1])
    )


def test_reading_order_allows_rows_and_refuses_going_back() -> None:
    name, address = QRect(100, 17, 200, 25), QRect(500, 0, 200, 60)
    aka = QRect(100, 70, 200, 25)
    assert reads_after(name, address)  # the next box on the same line
    assert reads_after(address, aka)  # the next line
    assert not reads_after(aka, name)  # back up
    assert not reads_after(address, name)  # back left on the same line


# -- colours -------------------------------------------------------------------------------


def dark_palette() -> QPalette:
    """A dark scheme as Windows 11 gives Qt (the colours of its dark theme)."""
    p = QPalette()
    colours = {
        Role.Window: "#202020",
        Role.WindowText: "#ffffff",
        Role.Base: "#1c1c1c",
        Role.AlternateBase: "#2b2b2b",
        Role.Text: "#ffffff",
        Role.Button: "#2d2d2d",
        Role.ButtonText: "#ffffff",
        Role.Highlight: "#0078d4",
        Role.HighlightedText: "#ffffff",
        Role.Link: "#4cc2ff",
        Role.ToolTipBase: "#2b2b2b",
        Role.ToolTipText: "#ffffff",
        Role.PlaceholderText: "#a0a0a0",
        Role.Light: "#3c3c3c",
        Role.Midlight: "#333333",
        Role.Mid: "#5a5a5a",
        Role.Dark: "#101010",
        Role.Shadow: "#000000",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    return p


def high_contrast_palette() -> QPalette:
    """Windows' "Night sky" contrast theme: black, white, yellow and cyan."""
    p = dark_palette()
    for role, colour in {
        Role.Window: "#000000",
        Role.Base: "#000000",
        Role.AlternateBase: "#000000",
        Role.Button: "#000000",
        Role.WindowText: "#ffffff",
        Role.Text: "#ffffff",
        Role.ButtonText: "#ffffff",
        Role.Highlight: "#8ee3f0",
        Role.HighlightedText: "#263b50",
        Role.Link: "#75e9fc",
        Role.Mid: "#ffffff",
    }.items():
        p.setColor(role, QColor(colour))
    return p


@pytest.fixture(params=["dark", "high_contrast"])
def system_scheme(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The application in the system's dark or high-contrast scheme, as ``look`` follows it."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    high = request.param == "high_contrast"
    monkeypatch.setattr(scheme, "_high_contrast", lambda: high)
    # What ``look`` does when the system changes scheme: the palette, then every look again
    # (the window exists already; the dialogs are built afterwards, as at start-up).
    app.setPalette(high_contrast_palette() if high else dark_palette())
    look.restyle_all()
    assert look.scheme() == request.param
    yield request.param
    app.setPalette(before)
    look.restyle_all()


def _solid(widget: QWidget, colour: QColor) -> QColor:
    if colour.alpha() == 255:
        return colour
    parent = widget.parentWidget()
    under = _background(parent) if parent is not None else QColor("#ffffff")
    alpha = colour.alphaF()
    return QColor.fromRgbF(
        colour.redF() * alpha + under.redF() * (1 - alpha),
        colour.greenF() * alpha + under.greenF() * (1 - alpha),
        colour.blueF() * alpha + under.blueF() * (1 - alpha),
    )


def _background(widget: QWidget) -> QColor:
    """The colour painted behind ``widget``: its own or the nearest filled ancestor's."""
    current: QWidget | None = widget
    while current is not None:
        parent = current.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and current is parent.viewport():
            return _solid(current, current.palette().color(current.backgroundRole()))
        filled = current.autoFillBackground() or "background" in current.styleSheet()
        if filled or current.isWindow():
            return _solid(current, current.palette().color(current.backgroundRole()))
        current = parent
    return QApplication.palette().color(Role.Window)


def _pairs(widget: QWidget) -> Iterator[tuple[str, QColor, QColor]]:
    """What text ``widget`` draws, in which colour, on which background."""
    p = widget.palette()
    if isinstance(widget, QLabel):
        if widget.text().strip() and widget.pixmap().isNull():
            fg = p.color(Role.WindowText)
            bg = p.color(Role.Window) if widget.autoFillBackground() else _background(widget)
            yield widget.text(), fg, _solid(widget, bg)
    elif isinstance(widget, (QCheckBox, QRadioButton, QGroupBox)):
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        if text:
            yield text, p.color(Role.WindowText), _background(widget)
    elif isinstance(widget, QAbstractButton):
        if widget.text():
            checked = widget.isCheckable() and widget.isChecked()
            if isinstance(widget, QPushButton) and widget.isFlat():
                yield widget.text(), p.color(Role.ButtonText), _background(widget)
            elif checked and widget.styleSheet():
                yield widget.text(), p.color(Role.HighlightedText), p.color(Role.Highlight)
            else:
                yield widget.text(), p.color(Role.ButtonText), _solid(widget, p.color(Role.Button))
    elif isinstance(widget, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)):
        yield type(widget).__name__, p.color(Role.Text), _solid(widget, p.color(Role.Base))
    elif isinstance(widget, QComboBox):
        role = (Role.Text, Role.Base) if widget.isEditable() else (Role.ButtonText, Role.Button)
        yield widget.currentText(), p.color(role[0]), _solid(widget, p.color(role[1]))
    elif isinstance(widget, QTabBar):
        for index in range(widget.count()):
            yield widget.tabText(index), p.color(Role.WindowText), _background(widget)
    elif isinstance(widget, QAbstractItemView) and not isinstance(widget, QHeaderView):
        yield from _cells(widget)


def _cells(view: QAbstractItemView) -> Iterator[tuple[str, QColor, QColor]]:
    model = view.model()
    if model is None:
        return
    p = view.palette()
    alternate = view.alternatingRowColors()
    root = view.rootIndex()
    columns = 1 if isinstance(view, QListView) else model.columnCount(root)
    for row in range(min(model.rowCount(root), 40)):
        for column in range(columns):
            index = model.index(row, column, root)
            text = index.data(Qt.ItemDataRole.DisplayRole)
            if not text:
                continue
            foreground = index.data(Qt.ItemDataRole.ForegroundRole)
            background = index.data(Qt.ItemDataRole.BackgroundRole)
            base = p.color(Role.AlternateBase if alternate and row % 2 else Role.Base)
            fg = foreground.color() if foreground is not None else p.color(Role.Text)
            bg = background.color() if background is not None else base
            yield str(text), fg, bg


def test_text_reads_at_4_5_to_1_in_the_dark_and_high_contrast_schemes(
    qtbot: Any, window: MainWindow, asked: Prompts, tmp_path: Path, system_scheme: str
) -> None:
    faint: list[str] = []
    checked = 0
    for screen, root in all_screens(qtbot, window, tmp_path):
        for widget in root.findChildren(QWidget):
            if not widget.isVisible() or not widget.isEnabled():
                continue
            for text, fg, bg in _pairs(widget):
                checked += 1
                ratio = look.contrast(fg, bg)
                if ratio < 4.5:
                    faint.append(
                        f"{screen}: {describe(widget)} {text[:30]!r}: {fg.name()} on "
                        f"{bg.name()} is {ratio:.1f}:1"
                    )
    assert checked > 1000
    assert not faint, "\n".join(sorted(set(faint)))


def test_the_usual_light_look_is_kept() -> None:
    # In the light scheme the meaning colours are the application's own, unchanged.
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    app.setPalette(look.palette())
    try:
        assert look.scheme() == "light"
        assert look.tone("problem") == scheme.RED
        assert look.tone("heading") == scheme.NAVY
        assert look.fill("difference")[0] == QColor("#fde2c4")
    finally:
        app.setPalette(before)


def test_a_dark_system_keeps_its_own_palette(monkeypatch: pytest.MonkeyPatch) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = QPalette(app.palette())
    try:
        app.setPalette(dark_palette())
        scheme.follow_system(app)
        assert app.palette().color(Role.Window) == QColor("#202020")  # not ours
        app.setPalette(QPalette(before))
        monkeypatch.setattr(scheme, "_high_contrast", lambda: True)
        scheme.follow_system(app)
        assert app.palette().color(Role.Window) != look.palette().color(Role.Window)
    finally:
        app.setPalette(before)


#: A colour written into the code: #rgb / #rrggbb, or a colour named in a style sheet.
COLOUR_LITERAL = re.compile(
    r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|\b(?:color|background)\s*:\s*(?:white|black|red)\b"
)


def test_no_module_of_the_window_holds_a_colour_of_its_own() -> None:
    # Every colour comes from ``scheme`` (through ``look``), which follows the system's
    # scheme; a colour written anywhere else would ignore a dark or high-contrast theme.
    found = [
        f"{path.relative_to(UI)}:{number}: {line.strip()}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "scheme.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if COLOUR_LITERAL.search(line) or "QColor(" in line
    ]
    assert found == []
