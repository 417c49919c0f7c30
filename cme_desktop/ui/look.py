"""How the application looks: Qt's Fusion style, a restrained palette, and a few roles.

Why no application style sheet: with one, Qt styles every widget through
its style-sheet engine, and opening a case (a few hundred widgets) took two
to three times as long (measured with ``benchmarks``). Colours therefore
come from the palette, emphasis from fonts, and the few labels that need
more are given a role here: ``role(label, "heading")``.

Colour carries meaning and is never the only signal: red is overdue or
invalid (always with words or an icon beside it), amber means the CME duty
does not apply, blue is action and focus.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFrame,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

NAVY = QColor("#123a63")
BLUE = QColor("#1f5fa8")
RED = QColor("#b00020")
GREY = QColor("#4f5660")
AMBER_FILL = QColor("#fff4d6")
AMBER_TEXT = QColor("#5a3d00")
BURGUNDY = QColor("#8a1538")
GREEN = QColor("#2e7d32")

_INVALID = "border: 2px solid #b00020; background: #fff5f6;"
# The two looks a palette cannot give, each set on its few widgets only (a style sheet on
# a widget costs that widget alone; on the application it costs every widget).
_LINK = (
    "QPushButton { border: none; background: transparent; color: #1f5fa8; text-align: left;"
    " text-decoration: underline; padding: 3px 4px; }"
    " QPushButton:focus { border: 1px dotted #1f5fa8; }"
    " QPushButton:disabled { color: #8a9099; }"
)
_FILTER = (
    "QPushButton { border: 1px solid #8d97a2; border-radius: 11px; padding: 3px 10px;"
    " background: #ffffff; }"
    " QPushButton:hover { background: #eef3f9; }"
    " QPushButton:focus { border: 2px solid #1f5fa8; }"
    " QPushButton:checked { background: #123a63; color: #ffffff; border-color: #123a63; }"
)


def palette() -> QPalette:
    """The application's colours: light, high contrast, blue selection."""
    p = QPalette()
    window, base, text = QColor("#f4f6f8"), QColor("#ffffff"), QColor("#1b1f24")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor("#eef2f6"))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, QColor("#fbfcfd"))
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, BLUE)
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        p.setColor(group, QPalette.ColorRole.Link, BLUE)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor("#ffffe8"))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor("#6b7280"))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8a9099"))
    return p


def apply(app: QApplication) -> None:
    """Fusion, the palette, and a readable base font (at least 10 pt)."""
    app.setStyle("Fusion")
    app.setPalette(palette())
    font = app.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)


def _font(widget: QWidget, *, scale: float = 1.0, bold: bool = False) -> None:
    font = QFont(widget.font())
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    widget.setFont(font)


def _colour(widget: QWidget, colour: QColor, role: QPalette.ColorRole) -> None:
    p = widget.palette()
    p.setColor(role, colour)
    widget.setPalette(p)


def add_heading(layout: QBoxLayout, heading: str, intro: str = "") -> None:
    """A page's heading and, under it, its introduction (wrapped), added to ``layout``."""
    label = QLabel(heading)
    role(label, "heading")
    layout.addWidget(label)
    if intro:
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)


def role(widget: QWidget, name: str) -> None:
    """Give a widget one of the looks: heading, subheading, hint, problem, count, figure,
    case_name, badge, card, link, filter, recovery_key."""
    if name in ("heading", "case_name"):
        _font(widget, scale=1.5 if name == "heading" else 1.4, bold=True)
        _colour(widget, NAVY, QPalette.ColorRole.WindowText)
    elif name == "subheading":
        _font(widget, bold=True)
    elif name == "hint":
        _colour(widget, GREY, QPalette.ColorRole.WindowText)
    elif name == "problem":
        _font(widget, bold=True)
        _colour(widget, RED, QPalette.ColorRole.WindowText)
    elif name == "count":
        _font(widget, bold=True)
    elif name == "figure":
        _font(widget, scale=1.35, bold=True)
        _colour(widget, NAVY, QPalette.ColorRole.WindowText)
    elif name == "badge":
        _font(widget, bold=True)
        widget.setAutoFillBackground(True)
        _colour(widget, BURGUNDY, QPalette.ColorRole.Window)
        _colour(widget, QColor("#ffffff"), QPalette.ColorRole.WindowText)
        if isinstance(widget, QLabel):
            widget.setMargin(3)
    elif name == "card" and isinstance(widget, QFrame):
        widget.setFrameShape(QFrame.Shape.StyledPanel)
        widget.setAutoFillBackground(True)
        _colour(widget, QColor("#ffffff"), QPalette.ColorRole.Window)
    elif name == "link" and isinstance(widget, QPushButton):
        widget.setStyleSheet(_LINK)
    elif name == "filter" and isinstance(widget, QPushButton):
        widget.setStyleSheet(_FILTER)
    elif name == "recovery_key" and isinstance(widget, QLabel):
        widget.setFrameShape(QFrame.Shape.Box)
        widget.setMargin(14)
        widget.setAutoFillBackground(True)
        _colour(widget, QColor("#ffffff"), QPalette.ColorRole.Window)


def warning(label: QLabel, on: bool) -> None:
    """An amber, framed notice (the CME duty does not apply), or a plain label."""
    label.setAutoFillBackground(on)
    label.setFrameShape(QFrame.Shape.Box if on else QFrame.Shape.NoFrame)
    label.setMargin(6 if on else 0)
    p = label.palette()
    p.setColor(QPalette.ColorRole.Window, AMBER_FILL if on else palette().window().color())
    p.setColor(QPalette.ColorRole.WindowText, AMBER_TEXT if on else palette().text().color())
    label.setPalette(p)
    _font(label, bold=on)


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red border on a field that cannot be saved as typed (only while it is wrong)."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.setStyleSheet(_INVALID if invalid else "")


def strength(bar: QProgressBar, level: int) -> None:
    """The passphrase meter's colour: red, amber, green."""
    colour = RED if level <= 1 else QColor("#c98a00") if level == 2 else GREEN
    _colour(bar, colour, QPalette.ColorRole.Highlight)


def emphasise(widget: QWidget, on: bool) -> None:
    """Bold and navy (the current tracking step), or back to normal."""
    _font(widget, bold=on)
    _colour(widget, NAVY if on else palette().text().color(), QPalette.ColorRole.WindowText)
