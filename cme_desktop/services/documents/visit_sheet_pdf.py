"""A home-visit sheet as a PDF page: what a visitor needs at the door, and no more.

``VisitSheet`` is the data minimum for one visit (``visit_sheet.sheet_for``
builds it from a case); ``render`` lays out one A4 page per sheet: the child,
the addresses, the parents/carers with their phone numbers, the school, why
the visit, a safety box, the checklist of Appendix A's visit action and boxes
to write the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepInFrame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.documents.privacy import HEADING as PRIVACY_HEADING
from cme_desktop.services.documents.styles import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PROTECTIVE_MARKING,
    AuthorityDetails,
    document_fonts,
)
from cme_desktop.services.errors import InvalidInput

__all__ = ["CHECKLIST", "MAX_SHEETS", "Person", "VisitSheet", "render"]

MAX_SHEETS = 200

CHECKLIST = (
    "Visible signs of the property being occupied (curtains, post, bins, lights, car)",
    "Checks with neighbours (who was asked, what they said)",
    "Who was spoken to at the address (name, relationship to the child)",
    "Calling card or letter left",
)


@dataclass(frozen=True)
class Person:
    """A parent or carer, or a brother or sister, as the sheet names them."""

    name: str
    detail: str  # relationship, or age for a sibling
    telephone: str = ""


@dataclass(frozen=True)
class VisitSheet:
    """The data minimum for one visit (built from a case by ``visit_sheet.sheet_for``)."""

    reference: str
    full_name: str
    aka: str
    date_of_birth: date | None
    age: int | None
    gender: str
    last_known_address: str
    other_addresses: tuple[str, ...]
    carers: tuple[Person, ...]
    siblings: tuple[Person, ...]
    school: str
    date_last_attended: date | None
    why: str
    safety: tuple[str, ...]
    officer: str
    printed_on: date | None = None


# --- the page ------------------------------------------------------------------------

MARGIN = 12 * mm
WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP = MARGIN + 5 * mm  # room for the marking above the frame
BOTTOM = MARGIN + 10 * mm  # room for the contact line and the marking below it
FRAME_H = PAGE_HEIGHT - TOP - BOTTOM

_GREY = colors.HexColor("#eeeeee")
_LABEL_GREY = colors.HexColor("#333333")
_WARNING = "LONE-WORKING WARNING: do not visit alone. Tell the office when you arrive and leave."
_NO_CONCERNS = (
    "No safety concerns are recorded. Follow the lone-working procedure: "
    "tell the office when you arrive and leave."
)


class _Styles:
    def __init__(self) -> None:
        f = document_fonts()
        self.fonts = f
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=10, leading=13)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8.5, leading=11)
        self.notice = ParagraphStyle("notice", parent=self.body, fontSize=7, leading=8.5)
        self.title = ParagraphStyle(
            "title", parent=self.body, fontName=f.bold, fontSize=15, leading=19
        )
        self.name = ParagraphStyle(
            "name", parent=self.body, fontName=f.bold, fontSize=13, leading=16
        )
        self.address = ParagraphStyle(
            "address", parent=self.body, fontName=f.bold, fontSize=11.5, leading=14
        )
        self.heading = ParagraphStyle(
            "heading",
            parent=self.body,
            fontName=f.bold,
            fontSize=10.5,
            leading=13,
            spaceBefore=4,
            spaceAfter=2,
        )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(
    rows: list[list[Any]],
    widths: list[float],
    st: _Styles,
    *,
    label_col: bool = True,
    label_row: bool = False,
    heights: list[float | None] | None = None,
) -> Table:
    """A ruled table; labels are plain strings (set in the label font), values Paragraphs."""
    table = Table(rows, colWidths=widths, rowHeights=heights, hAlign="LEFT")
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("FONT", (0, 0), (-1, -1), st.fonts.regular, 10, 13),
    ]
    if label_col:
        style += [
            ("BACKGROUND", (0, 0), (0, -1), _GREY),
            ("FONT", (0, 0), (0, -1), st.fonts.bold, 9, 11),
            ("TEXTCOLOR", (0, 0), (0, -1), _LABEL_GREY),
        ]
    if label_row:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), _GREY),
            ("FONT", (0, 0), (-1, 0), st.fonts.bold, 9, 11),
            ("TEXTCOLOR", (0, 0), (-1, 0), _LABEL_GREY),
        ]
    table.setStyle(TableStyle(style))
    return table


def _date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "not known"


def _child_rows(sheet: VisitSheet, st: _Styles) -> list[list[Any]]:
    dob = _date(sheet.date_of_birth)
    if sheet.age is not None:
        dob += f" (age {sheet.age})"
    if sheet.gender:
        dob += f" · {sheet.gender}"
    rows: list[list[Any]] = [
        ["Child", _p(sheet.full_name, st.name)],
        ["Also known as", _p(sheet.aka or "—", st.body)],
        ["Date of birth", _p(dob, st.body)],
        ["Last known address", _p(sheet.last_known_address or "not known", st.address)],
    ]
    if sheet.other_addresses:
        others = "\n".join(a.replace("\n", ", ") for a in sheet.other_addresses)
        rows.append(["Other known addresses", _p(others, st.body)])
    school = f"{sheet.school or 'not known'} — last attended {_date(sheet.date_last_attended)}"
    rows.append(["School last attended", _p(school, st.body)])
    return rows


def _people(sheet: VisitSheet, st: _Styles) -> list[Any]:
    rows: list[list[Any]] = [["Name", "Relationship", "Telephone"]]
    rows += [
        [_p(c.name, st.body), _p(c.detail, st.body), _p(c.telephone or "—", st.body)]
        for c in sheet.carers
    ] or [["None recorded", "", ""]]
    story: list[Any] = [
        _p("Parents / carers", st.heading),
        _grid(
            rows,
            [WIDTH * 0.45, WIDTH * 0.25, WIDTH * 0.30],
            st,
            label_col=False,
            label_row=True,
        ),
    ]
    if sheet.siblings:
        named = "; ".join(f"{s.name} ({s.detail})" if s.detail else s.name for s in sheet.siblings)
        story += [Spacer(1, 3), _p(f"Brothers and sisters on the record: {named}", st.body)]
    return story


def _safety(sheet: VisitSheet, st: _Styles) -> Table:
    if not sheet.safety:
        return _grid([[_p(_NO_CONCERNS, st.body)]], [WIDTH], st, label_col=False)
    text = f"<b>{escape(_WARNING)}</b>" + "".join(f"<br/>• {escape(s)}" for s in sheet.safety)
    box = _grid([[Paragraph(text, st.body)]], [WIDTH], st, label_col=False)
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2.2, colors.black),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#dddddd")),
            ]
        )
    )
    return box


def _checklist(st: _Styles) -> list[Any]:
    heading = _p(
        "At the address (Appendix A: check visible signs of the property being occupied, "
        "checks with neighbours)",
        st.heading,
    )
    tick = 7 * mm
    item = WIDTH * 0.55
    checks = Table(
        [["", _p(text, st.small), ""] for text in CHECKLIST],
        colWidths=[tick, item, WIDTH - tick - item],
        rowHeights=[9 * mm] * len(CHECKLIST),
        hAlign="LEFT",
    )
    checks.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [heading, checks]


def _outcome(sheet: VisitSheet, st: _Styles) -> list[Any]:
    label_w = WIDTH * 0.22
    rest = WIDTH - label_w
    choices = [_p(f"☐ {t.label}", st.small) for t in vocab.VISIT_OUTCOMES]
    columns = 2
    outcomes = Table(
        [choices[i : i + columns] for i in range(0, len(choices), columns)],
        colWidths=[(rest - 8) / columns] * columns,  # inside the cell's padding
        hAlign="LEFT",
    )
    outcomes.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    visited = Table(
        [["Visited by", sheet.officer, "Date", "", "Arrived", "", "Left", ""]],
        colWidths=[label_w, rest * 0.34] + [rest * w for w in (0.09, 0.16, 0.11, 0.10, 0.08, 0.12)],
        hAlign="LEFT",
    )
    visited.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("FONT", (0, 0), (-1, -1), st.fonts.regular, 10, 13),
                ("FONT", (0, 0), (0, 0), st.fonts.bold, 9, 11),
                ("TEXTCOLOR", (0, 0), (0, 0), _LABEL_GREY),
                ("BACKGROUND", (0, 0), (0, 0), _GREY),
                *[("FONT", (c, 0), (c, 0), st.fonts.bold, 9, 11) for c in (2, 4, 6)],
                *[("TEXTCOLOR", (c, 0), (c, 0), _LABEL_GREY) for c in (2, 4, 6)],
                *[("BACKGROUND", (c, 0), (c, 0), _GREY) for c in (2, 4, 6)],
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    boxes = _grid(
        [
            ["Outcome", outcomes],
            ["Who was seen", ""],
            ["What happened", ""],
            ["Next steps", ""],
        ],
        [label_w, rest],
        st,
        heights=[None, 8 * mm, 20 * mm, 13 * mm],
    )
    return [_p("Outcome", st.heading), visited, boxes]


def _sheet_story(sheet: VisitSheet, st: _Styles) -> list[Any]:
    printed = sheet.printed_on or date.today()
    header = Table(
        [
            [
                _p("Home visit", st.title),
                _p(f"Case {sheet.reference}\nPrinted {printed:%d/%m/%Y}", st.small),
            ]
        ],
        colWidths=[WIDTH * 0.62, WIDTH * 0.38],
        hAlign="LEFT",
    )
    header.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                ("LINEAFTER", (0, 0), (0, 0), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return [
        header,
        Spacer(1, 2),
        _grid(_child_rows(sheet, st), [WIDTH * 0.25, WIDTH * 0.75], st),
        *_people(sheet, st),
        _p("Why the visit", st.heading),
        _grid([[_p(sheet.why, st.body)]], [WIDTH], st, label_col=False),
        _p("Safety", st.heading),
        _safety(sheet, st),
        *_checklist(st),
        *_outcome(sheet, st),
    ]


def render(sheets: Sequence[VisitSheet], *, authority: AuthorityDetails) -> bytes:
    """One PDF, one page per sheet, in the order given. Held in memory only.

    A sheet with unusually much on it (many carers, long addresses) is shrunk to fit its
    page rather than spilling onto a second one: the officer takes one page to each door.
    """
    if not sheets:
        raise InvalidInput("Choose at least one case to print a visit sheet for.")
    if len(sheets) > MAX_SHEETS:
        raise InvalidInput(f"Print at most {MAX_SHEETS} visit sheets at a time.")
    st = _Styles()
    total = len(sheets)

    def decorate(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(st.fonts.bold, 9)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - MARGIN + 2, PROTECTIVE_MARKING)
        canvas.drawCentredString(PAGE_WIDTH / 2, MARGIN - 2, PROTECTIVE_MARKING)
        canvas.setFont(st.fonts.regular, 7.5)
        canvas.drawString(MARGIN, MARGIN + 10, authority.contact_line()[:150])
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, MARGIN + 10, f"Sheet {canvas.getPageNumber()} of {total}"
        )
        canvas.restoreState()

    out = BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        title="Home visit sheets",
        author=authority.name,
        subject=PROTECTIVE_MARKING,
        creator="CME Desktop",
    )
    # No frame padding, so that headings and tables line up on the margin.
    frame = Frame(
        MARGIN,
        BOTTOM,
        WIDTH,
        FRAME_H,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="sheet", frames=[frame], onPage=decorate)])
    story: list[Any] = []
    for i, sheet in enumerate(sheets):
        if i:
            story.append(PageBreak())
        parts = _sheet_story(sheet, st)
        if authority.privacy_notice:
            parts += [
                Spacer(1, 6),
                _p(PRIVACY_HEADING, st.heading),
                _p(authority.privacy_notice, st.notice),
            ]
        story.append(KeepInFrame(WIDTH, FRAME_H, parts, mode="shrink"))
    doc.build(story)
    return out.getvalue()
