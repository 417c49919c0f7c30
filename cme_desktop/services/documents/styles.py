"""What the documents we produce share: who they come from, the typeface, the marking, the styles.

The referral (printed and fillable) and the escalation summary share their body
styles, the page furniture (protective marking, the authority's contact and
"Page x of y") and the ruled tables; each document keeps only the sizes that
are its own. The visit sheet and the reports have their own, larger, styles.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

# Held in ``authority`` (no reportlab there), named here too for the documents.
from cme_desktop.services.documents.authority import DEFAULT as DEFAULT
from cme_desktop.services.documents.authority import AuthorityDetails as AuthorityDetails

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


# --- what a page of a referral or an escalation summary shares --------------------

#: The protective marking at the top and foot of every page that names a child.
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"

PAGE_WIDTH, PAGE_HEIGHT = A4

#: The rules and label shading of the referral form, printed and fillable.
FORM_GRID = colors.Color(0.25, 0.25, 0.25)
FORM_SHADE = colors.Color(0.88, 0.88, 0.88)


def one_frame_document(
    out: IO[bytes],
    *,
    title: str,
    author: str,
    subject: str,
    margin: float,
    top_margin: float,
    bottom_margin: float,
) -> BaseDocTemplate:
    """An A4 document whose every page is one frame inside the given margins."""
    doc = BaseDocTemplate(
        out, pagesize=A4, title=title, author=author, subject=subject, creator="CME Desktop"
    )
    frame = Frame(
        margin,
        bottom_margin,
        PAGE_WIDTH - 2 * margin,
        PAGE_HEIGHT - top_margin - bottom_margin,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    return doc


class BodyStyles:
    """The paragraph styles of a document's body: labels, values, notes and the footer."""

    def __init__(self, fonts: Fonts) -> None:
        self.fonts = fonts
        self.label = ParagraphStyle("label", fontName=fonts.bold, fontSize=8.5, leading=10.5)
        self.value = ParagraphStyle("value", fontName=fonts.regular, fontSize=9.5, leading=12)
        self.strong = ParagraphStyle("strong", parent=self.value, fontName=fonts.bold)
        self.note = ParagraphStyle("note", fontName=fonts.italic, fontSize=8.5, leading=10.5)
        self.centre = ParagraphStyle("centre", parent=self.value, alignment=TA_CENTER)
        self.centre_strong = ParagraphStyle("centre_strong", parent=self.strong, alignment=1)
        self.footer = ParagraphStyle("footer", fontName=fonts.regular, fontSize=7.5, leading=9)


def ruled(colour: colors.Color) -> list[Any]:
    """Table commands for a grid ruled in ``colour``, text at the top of each cell."""
    return [
        ("GRID", (0, 0), (-1, -1), 0.5, colour),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]


def draw_page_furniture(
    c: canvas.Canvas,
    authority: AuthorityDetails,
    styles: BodyStyles,
    *,
    margin: float,
    rule: colors.Color,
    number: int,
    total: int,
) -> None:
    """The protective marking at top and bottom, the authority's contact and "Page x of y".

    ``margin`` is the page's side margin; the contact sits above the marking at
    the foot, under a line in ``rule``.
    """
    fonts = styles.fonts
    content_width = PAGE_WIDTH - 2 * margin
    c.saveState()
    c.setFillColor(colors.black)
    c.setFont(fonts.bold, 9)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 10 * mm, PROTECTIVE_MARKING)
    c.drawCentredString(PAGE_WIDTH / 2, 6 * mm, PROTECTIVE_MARKING)
    c.setStrokeColor(rule)
    c.setLineWidth(0.5)
    c.line(margin, 21 * mm, PAGE_WIDTH - margin, 21 * mm)
    lines = [authority.contact_line()]
    if authority.address:
        lines.append(", ".join(p.strip() for p in authority.address.splitlines() if p.strip()))
    contact = Paragraph("<br/>".join(markup(line) for line in lines), styles.footer)
    _, height = contact.wrapOn(c, content_width - 30 * mm, 12 * mm)
    contact.drawOn(c, margin, 19.5 * mm - height)
    c.setFont(fonts.regular, 8)
    c.drawRightString(PAGE_WIDTH - margin, 19.5 * mm - 8, f"Page {number} of {total}")
    c.restoreState()
