"""How the application looks: Qt's Fusion style, the system's colours where it has its own,
and a few roles.

The colours, and which scheme (light, dark, high contrast) the system is in, are in
``scheme``; this module gives widgets their looks with them. ``apply(app)`` uses the
application's own palette only in the system's usual light scheme: a dark or
high-contrast system keeps its own colours. When the system changes scheme while the
application runs, the palette follows and every widget given a look here is given it
again.

Why no application style sheet: with one, Qt styles every widget through its
style-sheet engine, and opening a case (a few hundred widgets) took two to
three times as long (measured with ``benchmarks``). Colours therefore come from
the palette, emphasis from fonts, and the few labels that need more are given a
role here: ``role(label, "heading")``.

Colour carries meaning and is never the only signal: red is overdue or
invalid (always with words or an icon beside it), amber means the CME duty
does not apply or a value to check, blue is action and focus.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFrame,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from cme_desktop.ui.scheme import (
    AMBER,
    GREEN,
    RED,
    Role,
    border,
    boxed_style,
    choice_style,
    contrast,
    fill,
    filter_style,
    follow_system,
    link_style,
    palette,
    readable,
    scheme,
    tone,
    tone_brush,
)

__all__ = [
    "Role",
    "add_heading",
    "apply",
    "border",
    "boxed_style",
    "choice_style",
    "contrast",
    "emphasise",
    "fill",
    "mark_invalid",
    "palette",
    "readable",
    "restyle_all",
    "role",
    "scheme",
    "strength",
    "tone",
    "tone_brush",
    "warning",
]


def apply(app: QApplication) -> None:
    """Fusion, the colours of the system's scheme, and a readable base font (at least 10 pt).

    The choice of colours is made again whenever the system changes scheme.
    """
    app.setStyle("Fusion")
    follow_system(app)
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda _scheme: _changed(app))
    accessibility = getattr(hints, "accessibility", None)  # Qt 6.10 and later
    if accessibility is not None:
        accessibility().contrastPreferenceChanged.connect(lambda _preference: _changed(app))
    font = app.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)


def _changed(app: QApplication) -> None:
    follow_system(app, changed=True)
    restyle_all()


# -- widgets given a look ---------------------------------------------------------------------


def _font(widget: QWidget, *, scale: float = 1.0, bold: bool = False) -> None:
    font = QFont(widget.font())
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    widget.setFont(font)


def _colour(widget: QWidget, colour: QColor, role_: Role) -> None:
    p = widget.palette()
    p.setColor(role_, colour)
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
    """Give a widget one of the looks: heading, subheading, hint, error, caution, problem,
    count, figure, case_name, badge, card, link, filter, recovery_key."""
    widget.setProperty("look_role", name)
    if name in ("heading", "case_name"):
        if widget.property("look_scaled") is None:
            _font(widget, scale=1.5 if name == "heading" else 1.4, bold=True)
            widget.setProperty("look_scaled", True)
        _colour(widget, tone("heading"), Role.WindowText)
    elif name == "subheading":
        _font(widget, bold=True)
    elif name == "hint":
        _colour(widget, tone("hint"), Role.WindowText)
    elif name in ("error", "caution"):  # a field's message: red, or amber for a warning
        _colour(widget, tone("problem" if name == "error" else "warning"), Role.WindowText)
    elif name == "problem":
        _font(widget, bold=True)
        _colour(widget, tone("problem"), Role.WindowText)
    elif name == "count":
        _font(widget, bold=True)
    elif name == "figure":
        if widget.property("look_scaled") is None:
            _font(widget, scale=1.35, bold=True)
            widget.setProperty("look_scaled", True)
        _colour(widget, tone("heading"), Role.WindowText)
    elif name == "badge":
        _font(widget, bold=True)
        widget.setAutoFillBackground(True)
        background, text = fill("badge", on=Role.Window)
        _colour(widget, background, Role.Window)
        _colour(widget, text, Role.WindowText)
        if isinstance(widget, QLabel):
            widget.setMargin(3)
    elif name == "card" and isinstance(widget, QFrame):
        widget.setFrameShape(QFrame.Shape.StyledPanel)
        _card(widget)
    elif name == "link" and isinstance(widget, QPushButton):
        widget.setStyleSheet(link_style())
    elif name == "filter" and isinstance(widget, QPushButton):
        widget.setStyleSheet(filter_style())
    elif name == "recovery_key" and isinstance(widget, QLabel):
        widget.setFrameShape(QFrame.Shape.Box)
        widget.setMargin(14)
        _card(widget)


def _card(widget: QWidget) -> None:
    # A card stands out as the page's base colour (white in the light scheme) on the window.
    widget.setAutoFillBackground(True)
    p = QGuiApplication.palette()
    _colour(widget, p.color(Role.Base), Role.Window)
    _colour(widget, p.color(Role.Text), Role.WindowText)


def warning(label: QLabel, on: bool) -> None:
    """An amber, framed notice (the CME duty does not apply), or a plain label."""
    label.setProperty("look_warning", on)
    label.setAutoFillBackground(on)
    label.setFrameShape(QFrame.Shape.Box if on else QFrame.Shape.NoFrame)
    label.setMargin(6 if on else 0)
    p = label.palette()
    application = QGuiApplication.palette()
    background, text = (
        fill("notice", on=Role.Window)
        if on
        else (application.color(Role.Window), application.color(Role.WindowText))
    )
    p.setColor(Role.Window, background)
    p.setColor(Role.WindowText, text)
    label.setPalette(p)
    _font(label, bold=on)


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red border on a field that cannot be saved as typed (only while it is wrong)."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.setStyleSheet(boxed_style("invalid", width=2) if invalid else "")


def strength(bar: QProgressBar, level: int) -> None:
    """The passphrase meter's colour: red, amber, green (the words beside it say the same)."""
    bar.setProperty("look_strength", level)
    if scheme() == "high_contrast":
        _colour(bar, QGuiApplication.palette().color(Role.Highlight), Role.Highlight)
        return
    colour = RED if level <= 1 else AMBER if level == 2 else GREEN
    window = QGuiApplication.palette().color(Role.Window)
    _colour(bar, readable(colour, window, 3.0), Role.Highlight)


def emphasise(widget: QWidget, on: bool) -> None:
    """Bold and navy (the current tracking step), or back to normal."""
    widget.setProperty("look_emphasis", on)
    _font(widget, bold=on)
    colour = tone("heading") if on else QGuiApplication.palette().color(Role.WindowText)
    _colour(widget, colour, Role.WindowText)


def restyle_all() -> None:
    """Give every widget its look again, in the scheme now in use (the system changed)."""
    for widget in QApplication.allWidgets():
        name = widget.property("look_role")
        if isinstance(name, str):
            role(widget, name)
        if isinstance(widget, QLabel) and widget.property("look_warning") is not None:
            warning(widget, bool(widget.property("look_warning")))
        if widget.property("look_emphasis") is not None:
            emphasise(widget, bool(widget.property("look_emphasis")))
        if isinstance(widget, QProgressBar) and widget.property("look_strength") is not None:
            strength(widget, int(widget.property("look_strength")))
        if widget.property("invalid"):
            widget.setStyleSheet(boxed_style("invalid", width=2))
