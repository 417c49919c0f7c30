"""A letter's text as a document to post: an A4 PDF (reportlab) or a Word document.

The text is the officer's, edited freely after ``letters.letter_text`` filled it
in, so its layout is read from the text itself: blocks are separated by blank
lines; the blocks up to the one with "Our reference" are the sender's address
and the reference and date, set to the right as a letter's heading is; the line
after "Dear …" is the subject, in bold; several blank lines in a row (the room
left for a signature) stay as room. Every page carries the protective marking
(OFFICIAL-SENSITIVE) like the program's other documents, and the PDF the
authority's contact and "Page x of y" at its foot (``documents.styles``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.styles import (
    PROTECTIVE_MARKING,
    BodyStyles,
    document_fonts,
    draw_page_furniture,
    markup,
    numbered_canvas,
    one_frame_document,
)

__all__ = ["Block", "blocks_of", "render_docx", "render_pdf"]

MARGIN = 22 * mm
TOP_MARGIN = 20 * mm
BOTTOM_MARGIN = 27 * mm
_RULE = colors.Color(0.3, 0.3, 0.3)
#: The room one blank line leaves, in points, beyond the first between two blocks.
_LINE = 13


@dataclass(frozen=True)
class Block:
    """Lines of a letter between blank lines, and how to set them."""

    lines: tuple[str, ...]
    blank_before: int  # blank lines before it (room for a signature when several)
    right: bool = False  # the heading: sender, reference, date
    bold: bool = False  # the subject line after "Dear …"


def blocks_of(text: str) -> list[Block]:
    """The letter's blocks, each marked as heading, subject or body (see the module's doc)."""
    raw: list[tuple[tuple[str, ...], int]] = []  # each block's lines, blank lines before it
    blanks = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            blanks += 1
        elif raw and blanks == 0:
            raw[-1] = ((*raw[-1][0], line.rstrip()), raw[-1][1])
        else:
            raw.append(((line.rstrip(),), blanks))
            blanks = 0
    heading_end = next(
        (i for i, (ls, _) in enumerate(raw) if any("our reference" in x.lower() for x in ls)), -1
    )
    out: list[Block] = []
    after_dear = False
    for i, (ls, before) in enumerate(raw):
        bold = after_dear and len(ls) == 1
        after_dear = ls[0].lstrip().lower().startswith("dear ")
        out.append(Block(ls, 0 if i == 0 else before, right=i <= heading_end, bold=bold))
    return out


class _Styles(BodyStyles):
    def __init__(self) -> None:
        super().__init__(document_fonts())
        regular, bold = self.fonts.regular, self.fonts.bold
        self.body = ParagraphStyle("body", fontName=regular, fontSize=11, leading=14.5)
        self.heading = ParagraphStyle("heading", parent=self.body, alignment=TA_RIGHT)
        self.subject = ParagraphStyle("subject", parent=self.body, fontName=bold)


def _story(text: str, s: _Styles) -> Iterator[Flowable]:
    for block in blocks_of(text):
        if block.blank_before:
            yield Spacer(1, 8 + _LINE * (block.blank_before - 1))
        style = s.heading if block.right else s.subject if block.bold else s.body
        yield Paragraph("<br/>".join(markup(line) for line in block.lines), style)


def render_pdf(text: str, *, authority: AuthorityDetails, title: str) -> bytes:
    """The letter ``text`` as an unencrypted A4 PDF, in memory."""
    styles = _Styles()
    out = io.BytesIO()
    doc = one_frame_document(
        out,
        title=title,
        author=authority.name,
        subject=PROTECTIVE_MARKING,
        margin=MARGIN,
        top_margin=TOP_MARGIN,
        bottom_margin=BOTTOM_MARGIN,
    )
    canvasmaker = numbered_canvas(
        lambda c, number, total: draw_page_furniture(
            c, authority, styles, margin=MARGIN, rule=_RULE, number=number, total=total
        )
    )
    doc.build(list(_story(text, styles)), canvasmaker=canvasmaker)
    return out.getvalue()


def render_docx(text: str, *, authority: AuthorityDetails, title: str) -> bytes:
    """The letter ``text`` as an unencrypted Word document, in memory, for the officer to
    change further in Word."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    for part in (section.header, section.footer):
        marking = part.paragraphs[0]
        marking.text = PROTECTIVE_MARKING
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        marking.runs[0].bold = True
    for block in blocks_of(text):
        for _ in range(max(0, block.blank_before - 1)):
            document.add_paragraph()
        paragraph = document.add_paragraph()
        for n, line in enumerate(block.lines):
            run = paragraph.add_run(line)
            run.bold = block.bold
            if n < len(block.lines) - 1:
                run.add_break()
        if block.right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    props = document.core_properties
    props.title, props.author, props.subject = title, authority.name, PROTECTIVE_MARKING
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
