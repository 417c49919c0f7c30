"""What every document we produce shares: who it comes from, and the typeface it is set in."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle


@dataclass(frozen=True)
class AuthorityDetails:
    """The local authority a document comes from, and its CME named officer (policy 8.2)."""

    name: str
    officer_name: str = ""
    officer_title: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""

    def contact_line(self) -> str:
        """One line for a page footer: the officer, then how to reach them."""
        who = ", ".join(p for p in (self.officer_name, self.officer_title) if p)
        parts = [self.name, who, self.phone, self.email]
        return " · ".join(p for p in parts if p)


#: Until the officer enters their authority's details in the settings.
DEFAULT = AuthorityDetails(
    name="Local Authority", officer_title="Children Missing Education Officer"
)

# Fonts with the accented letters of the names schools send (Polish, Romanian, Turkish,
# Czech ...); the standard PDF fonts only know Western European letters. Vera, which
# reportlab ships, is the last resort so that a document can always be produced.
_FONT_CANDIDATES: tuple[tuple[str, str, str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu",
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
    ),
    ("C:/Windows/Fonts", "arial.ttf", "arialbd.ttf", "ariali.ttf"),
    ("/System/Library/Fonts/Supplemental", "Arial.ttf", "Arial Bold.ttf", "Arial Italic.ttf"),
    (
        "/usr/share/fonts/truetype/liberation",
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSans-Italic.ttf",
    ),
    (str(Path(reportlab.__file__).parent / "fonts"), "Vera.ttf", "VeraBd.ttf", "VeraIt.ttf"),
)


@dataclass(frozen=True)
class Fonts:
    """Registered font names for running text."""

    regular: str
    bold: str
    italic: str


_REGISTERED = Fonts("CmeSans", "CmeSans-Bold", "CmeSans-Italic")
_STANDARD = Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique")


def document_fonts() -> Fonts:
    """The typeface for documents, registered with reportlab once per process."""
    known = pdfmetrics.getRegisteredFontNames()
    if all(n in known for n in (_REGISTERED.regular, _REGISTERED.bold, _REGISTERED.italic)):
        return _REGISTERED
    candidates = list(_FONT_CANDIDATES)
    windows = os.environ.get("WINDIR")
    if windows:
        candidates.insert(0, (f"{windows}/Fonts", "arial.ttf", "arialbd.ttf", "ariali.ttf"))
    for folder, *files in candidates:
        paths = [Path(folder) / f for f in files]
        if not all(p.is_file() for p in paths):
            continue
        names = (_REGISTERED.regular, _REGISTERED.bold, _REGISTERED.italic)
        try:
            for name, path in zip(names, paths, strict=True):
                pdfmetrics.registerFont(TTFont(name, str(path)))
        except TTFError:
            continue
        pdfmetrics.registerFontFamily(
            _REGISTERED.regular,
            normal=_REGISTERED.regular,
            bold=_REGISTERED.bold,
            italic=_REGISTERED.italic,
            boldItalic=_REGISTERED.bold,
        )
        return _REGISTERED
    return _STANDARD


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def markup(text: str) -> str:
    """``text`` as Paragraph markup: escaped, line breaks kept, unprintables dropped."""
    text = _UNPRINTABLE.sub(" ", text.replace("\r\n", "\n").replace("\t", "    "))
    return "<br/>".join(escape(line) for line in text.split("\n"))


#: Draws a page's marking, header and footer: (canvas, page number, number of pages).
PageDecoration = Callable[[canvas.Canvas, int, int], None]


def numbered_canvas(decorate: PageDecoration) -> type[canvas.Canvas]:
    """A canvas class that calls ``decorate`` on every page once the page count is known.

    reportlab draws the page decoration as each page ends, before it knows how
    many pages follow; "Page x of y" needs the pages held back until ``save``.
    """

    class _NumberedCanvas(canvas.Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                decorate(self, number, total)
                super().showPage()
            super().save()

    return _NumberedCanvas


def kept_heading(text: str, style: ParagraphStyle) -> Paragraph:
    """A section heading that never sits alone at the foot of a page."""
    para = Paragraph(markup(text), style)
    para.keepWithNext = True
    return para


def kept_section(heading: str, body: Flowable, style: ParagraphStyle) -> Flowable:
    """A heading and its body kept on one page."""
    return KeepTogether([kept_heading(heading, style), body])


def title_band(left: Any, right: Any, *, left_share: float, width: float, padding: float) -> Table:
    """A document's title (left) and the authority's name (right), ruled off below."""
    table = Table([[left, right]], colWidths=[width * left_share, width * (1 - left_share)])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (-1, 0), (-1, 0), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), padding),
            ]
        )
    )
    return table
