"""The colours of the application: which scheme the system is in, the light scheme's palette,
and colours by meaning that read in every scheme.

Three schemes, read from the system (``scheme()``):

- **light** (the usual Windows look): the application's restrained palette below,
  with navy headings, grey hints, red for what is wrong.
- **dark**: the system's own dark palette, untouched; the few colours that carry
  meaning (red, amber, green) are lightened until they read at 4.5:1 on it.
- **high contrast**: the system's palette and nothing else; meaning is carried by
  words, weight and frames, never by a colour of ours.

Every colour the rest of ``ui/`` uses comes from here (through ``look``): ``tone(name)``
for text, ``fill(name)`` for a background and the text on it, ``border(name)``, and
the style sheets below, which in the dark and high-contrast schemes refer to palette
roles only (``palette(highlight)``). No other module holds a colour.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

Scheme = Literal["light", "dark", "high_contrast"]
Role = QPalette.ColorRole

# The light scheme's colours (each at least 4.5:1 on the palette's window and base).
NAVY = QColor("#123a63")
BLUE = QColor("#1f5fa8")
RED = QColor("#b00020")
GREY = QColor("#4f5660")
AMBER_FILL = QColor("#fff4d6")
AMBER_TEXT = QColor("#5a3d00")
BURGUNDY = QColor("#8a1538")
GREEN = QColor("#2e7d32")
AMBER = QColor("#c98a00")

#: Text colours by meaning, in the light scheme.
_TONES = {
    "heading": NAVY,
    "hint": GREY,
    "problem": RED,
    "warning": QColor("#8a5a00"),
    "muted": QColor("#5f6368"),
    "ok": GREEN,
    "accent": BLUE,
}
#: Backgrounds by meaning, in the light scheme: (fill, text on it).
_FILLS = {
    "shade": (QColor("#e8eef4"), QColor("#1b1f24")),
    "summary": (QColor("#eef2f7"), QColor("#1b1f24")),
    "alert": (QColor("#fde4e1"), QColor("#1b1f24")),
    "difference": (QColor("#fde2c4"), QColor("#1b1f24")),
    "uncertain": (QColor("#fff1b8"), QColor("#1b1f24")),
    "notice": (AMBER_FILL, AMBER_TEXT),
    "invalid": (QColor("#fff5f6"), QColor("#1b1f24")),
    "badge": (BURGUNDY, QColor("#ffffff")),
}
#: The hue each fill takes in the dark scheme, blended into the system's base colour.
_DARK_HUES = {
    "shade": None,
    "summary": None,
    "alert": RED,
    "difference": QColor("#e08a1e"),
    "uncertain": QColor("#c99a00"),
    "notice": QColor("#c99a00"),
    "invalid": RED,
    "badge": BURGUNDY,
}
#: Borders that go with some fills (light scheme).
_BORDERS = {
    "summary": QColor("#b8c4d6"),
    "alert": QColor("#c0392b"),
    "uncertain": QColor("#c99a00"),
    "invalid": RED,
}

_LINK_LIGHT = (
    "QPushButton { border: none; background: transparent; color: #1f5fa8; text-align: left;"
    " text-decoration: underline; padding: 3px 4px; }"
    " QPushButton:focus { border: 1px dotted #1f5fa8; }"
    " QPushButton:disabled { color: #8a9099; }"
)
_LINK_SYSTEM = (
    "QPushButton { border: none; background: transparent; color: palette(link);"
    " text-align: left; text-decoration: underline; padding: 3px 4px; }"
    " QPushButton:focus { border: 1px dotted palette(link); }"
)
_FILTER_LIGHT = (
    "QPushButton { border: 1px solid #8d97a2; border-radius: 11px; padding: 3px 10px;"
    " background: #ffffff; }"
    " QPushButton:hover { background: #eef3f9; }"
    " QPushButton:focus { border: 2px solid #1f5fa8; }"
    " QPushButton:checked { background: #123a63; color: #ffffff; border-color: #123a63; }"
)
_FILTER_SYSTEM = (
    "QPushButton { border: 1px solid palette(mid); border-radius: 11px; padding: 3px 10px;"
    " background: palette(base); color: palette(text); }"
    " QPushButton:focus { border: 2px solid palette(highlight); }"
    " QPushButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border-color: palette(highlight); }"
)
_CHOICE_LIGHT = (
    "QPushButton { padding: 3px 12px; border: 1px solid #8c96a3; border-radius: 3px;"
    " background: #f7f8fa; color: #1b1b1b; }"
    " QPushButton:hover { background: #e8eef8; }"
    " QPushButton:checked { background: #1f5fbf; color: white; border-color: #174a94; }"
    " QPushButton:disabled { color: #b4b4b4; background: #f0f0f0; border-color: #d4d4d4; }"
    " QPushButton:focus { border: 2px dotted #1f5fbf; }"
)
_CHOICE_SYSTEM = (
    "QPushButton { padding: 3px 12px; border: 1px solid palette(mid); border-radius: 3px;"
    " background: palette(button); color: palette(button-text); }"
    " QPushButton:checked { background: palette(highlight); color: palette(highlighted-text);"
    " border-color: palette(highlight); }"
    " QPushButton:focus { border: 2px dotted palette(highlight); }"
)


def palette() -> QPalette:
    """The light scheme's colours: light, high contrast, blue selection."""
    p = QPalette()
    window, base, text = QColor("#f4f6f8"), QColor("#ffffff"), QColor("#1b1f24")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, Role.Window, window)
        p.setColor(group, Role.WindowText, text)
        p.setColor(group, Role.Base, base)
        p.setColor(group, Role.AlternateBase, QColor("#eef2f6"))
        p.setColor(group, Role.Text, text)
        p.setColor(group, Role.Button, QColor("#fbfcfd"))
        p.setColor(group, Role.ButtonText, text)
        p.setColor(group, Role.Highlight, BLUE)
        p.setColor(group, Role.HighlightedText, QColor("#ffffff"))
        p.setColor(group, Role.Link, BLUE)
        p.setColor(group, Role.ToolTipBase, QColor("#ffffe8"))
        p.setColor(group, Role.ToolTipText, text)
        p.setColor(group, Role.PlaceholderText, QColor("#6b7280"))
    for role_ in (Role.WindowText, Role.Text, Role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role_, QColor("#8a9099"))
    return p


# -- the scheme in use ----------------------------------------------------------------------


def _high_contrast() -> bool:
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    hints = app.styleHints()
    # QAccessibilityHints arrived in Qt 6.10; an older Qt cannot tell, and says no.
    accessibility = getattr(hints, "accessibility", None)
    if accessibility is None:
        return False
    return bool(accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast)


def _system_is_dark(app: QGuiApplication, system: QPalette) -> bool:
    if app.styleHints().colorScheme() == Qt.ColorScheme.Dark:
        return True
    return system.color(Role.Window).lightness() < 128


def scheme() -> Scheme:
    """The scheme the application palette is in now (see the module's docstring)."""
    if _high_contrast():
        return "high_contrast"
    window = QGuiApplication.palette().color(Role.Window)
    return "dark" if window.lightness() < 128 else "light"


def follow_system(app: QApplication, *, changed: bool = False) -> None:
    """Use the light scheme's palette if the system is in its usual light scheme, else
    the system's own palette (called at start, and with ``changed`` when it changes)."""
    if changed:
        app.setPalette(QPalette())  # a palette with nothing set: the system's own again
    system = app.palette()
    light = not _high_contrast() and not _system_is_dark(app, system)
    app.setPalette(palette() if light else system)


# -- colours by meaning ---------------------------------------------------------------------


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(first: QColor, second: QColor) -> float:
    """The WCAG 2 contrast ratio of two colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable(colour: QColor, background: QColor, minimum: float = 4.5) -> QColor:
    """``colour``, made lighter or darker (its hue kept) until it reads on ``background``."""
    if contrast(colour, background) >= minimum:
        return colour
    hue, saturation = colour.hslHueF(), colour.hslSaturationF()
    lightness, alpha = colour.lightnessF(), colour.alphaF()
    step = 0.04 if background.lightnessF() < 0.5 else -0.04
    while 0.0 <= lightness <= 1.0:
        lightness += step
        candidate = QColor.fromHslF(hue, saturation, min(1.0, max(0.0, lightness)), alpha)
        if contrast(candidate, background) >= minimum:
            return candidate
    return QColor("#ffffff") if step > 0 else QColor("#000000")


def _mix(base: QColor, hue: QColor, share: float) -> QColor:
    return QColor.fromRgbF(
        base.redF() * (1 - share) + hue.redF() * share,
        base.greenF() * (1 - share) + hue.greenF() * share,
        base.blueF() * (1 - share) + hue.blueF() * share,
    )


def _text_role(on: Role) -> Role:
    return {
        Role.Base: Role.Text,
        Role.AlternateBase: Role.Text,
        Role.Button: Role.ButtonText,
    }.get(on, Role.WindowText)


def tone(name: str, *, on: Role = Role.Window) -> QColor:
    """The text colour that means ``name`` (heading, hint, problem, warning, muted, ok,
    accent), readable on the palette colour ``on`` (the window, or ``Role.Base`` in a
    table or field, where it reads on the alternate rows' colour too)."""
    p = QGuiApplication.palette()
    if scheme() == "high_contrast":
        return p.color(_text_role(on))
    colour = _TONES[name]
    if on in (Role.Base, Role.AlternateBase):
        # A table's rows alternate between the two: read on the harder one.
        return readable(colour, _harder(colour, p.color(Role.Base), p.color(Role.AlternateBase)))
    return readable(colour, p.color(on))


def _harder(colour: QColor, *backgrounds: QColor) -> QColor:
    return min(backgrounds, key=lambda background: contrast(colour, background))


_brushes: dict[tuple[str, int, int], QBrush] = {}


def tone_brush(name: str, *, on: Role = Role.Base) -> QBrush:
    """``tone(name, on=on)`` as a brush, kept until the palette changes (for item models,
    whose ``data`` runs for every painted cell)."""
    key = (name, int(on.value), QGuiApplication.palette().cacheKey())
    brush = _brushes.get(key)
    if brush is None:
        if len(_brushes) > 64:
            _brushes.clear()
        brush = _brushes[key] = QBrush(tone(name, on=on))
    return brush


def fill(name: str, *, on: Role = Role.Base) -> tuple[QColor, QColor]:
    """A background that means ``name`` (shade, summary, alert, difference, uncertain,
    notice, invalid, badge) and the text colour that reads on it."""
    p = QGuiApplication.palette()
    current = scheme()
    if current == "light":
        return _FILLS[name]
    if current == "high_contrast":
        if name in ("shade", "summary"):
            return p.color(Role.AlternateBase), p.color(Role.Text)
        return p.color(Role.Highlight), p.color(Role.HighlightedText)
    base = p.color(on)
    hue = _DARK_HUES[name]
    background = p.color(Role.AlternateBase) if hue is None else _mix(base, hue, 0.35)
    return background, readable(p.color(_text_role(on)), background)


def border(name: str) -> QColor:
    """The border colour that goes with ``fill(name)`` (summary, alert, uncertain, invalid)."""
    current = scheme()
    p = QGuiApplication.palette()
    if current == "light":
        return _BORDERS[name]
    if current == "high_contrast":
        return p.color(Role.Highlight if name != "summary" else Role.WindowText)
    return readable(_BORDERS[name], p.color(Role.Base), 3.0)  # a border is a graphic: 3:1


def link_style() -> str:
    """The style sheet of a button that looks like a link."""
    return _LINK_LIGHT if scheme() == "light" else _LINK_SYSTEM


def filter_style() -> str:
    """The style sheet of a rounded filter button (the case list's quick filters)."""
    return _FILTER_LIGHT if scheme() == "light" else _FILTER_SYSTEM


def choice_style() -> str:
    """The style sheet of a row of answer buttons (the referral form, the wizard)."""
    return _CHOICE_LIGHT if scheme() == "light" else _CHOICE_SYSTEM


def boxed_style(name: str, *, width: int = 1, extra: str = "") -> str:
    """A style sheet giving a widget the background ``fill(name)`` and its border."""
    background, text = fill(name)
    line = border(name)
    return (
        f"background: {background.name()}; color: {text.name()};"
        f" border: {width}px solid {line.name()};{extra}"
    )
