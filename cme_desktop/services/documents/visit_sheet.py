"""Home-visit sheets: what a visitor needs at the door, and no more.

One sheet per case, one or many per print job. A sheet carries the child,
the addresses, the parents/carers with their phone numbers, the school, why
the visit, a safety box, the checklist of Appendix A's visit action and
boxes to write the outcome. The risk table itself stays in the vault: only
the indicators that call for care at the door are named in the safety box.
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
from cme_desktop.services.cases.service import CaseDetail, CaseService, case_reference
from cme_desktop.services.documents.styles import AuthorityDetails, document_fonts
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.school_age import age_on
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

MARKING = "OFFICIAL-SENSITIVE"
MAX_SHEETS = 200
#: Where a print job goes, as the audit log records it.
OUTPUTS = ("printer", "pdf")

CHECKLIST = (
    "Visible signs of the property being occupied (curtains, post, bins, lights, car)",
    "Checks with neighbours (who was asked, what they said)",
    "Who was spoken to at the address (name, relationship to the child)",
    "Calling card or letter left",
)


@dataclass(frozen=True)
class Person:
    name: str
    detail: str  # relationship, or age for a sibling
    telephone: str = ""


@dataclass(frozen=True)
class VisitSheet:
    """The data minimum for one visit (built from a case by ``sheet_for``)."""

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


def _latest_referral(detail: CaseDetail) -> dict[str, Any] | None:
    return detail.referrals[0].data if detail.referrals else None


def safety_concerns(detail: CaseDetail) -> tuple[str, ...]:
    """Why the visitor should not go alone: escalations and current door-step indicators."""
    concerns: list[str] = []
    if detail.escalated_police:
        concerns.append("The police are involved (escalation under policy 5.0).")
    if detail.escalated_social_care:
        concerns.append("Children's Social Care are involved (policy 6.0).")
    referral = _latest_referral(detail)
    if referral:
        indicators = referral.get("risk_indicators", {})
        for key in sorted(vocab.VISIT_SAFETY_INDICATORS, key=int):
            row = indicators.get(key) or {}
            if row.get("present") and row.get("timing") == "current":
                label = vocab.label_of(vocab.RISK_INDICATORS, key)
                concerns.append(f"Current: {label}.")
    return tuple(concerns)


def _why(detail: CaseDetail, note: str) -> str:
    d = detail.draft
    parts = [f"Notified {d.notified_on:%d/%m/%Y}" if d.notified_on else "Notified"]
    if d.identified_by:
        parts[0] += f" by {d.identified_by}"
    parts[0] += "."
    if d.reason_missing:
        parts.append(vocab.label_of(vocab.REASONS_MISSING, d.reason_missing) + ".")
    if d.whereabouts_unknown:
        parts.append("Whereabouts unknown.")
    step = vocab.TRACKING_STEPS[detail.current_step - 1].label
    parts.append(f"Current step: {step}.")
    visits = [t for t in detail.timeline if t.kind == "visit"]
    if visits:
        last = visits[0]
        outcome = vocab.label_of(vocab.VISIT_OUTCOMES, last.outcome) or "no outcome recorded"
        parts.append(f"Last visit {last.occurred_at:%d/%m/%Y}: {outcome}.")
    else:
        parts.append("No home visit yet.")
    if note.strip():
        parts.append(note.strip())
    return " ".join(parts)


def sheet_for(detail: CaseDetail, *, today: date, officer: str, note: str = "") -> VisitSheet:
    """The visit sheet of one case, holding only what the visit needs."""
    d = detail.draft
    return VisitSheet(
        reference=case_reference(detail.id),
        full_name=d.full_name,
        aka=d.aka,
        date_of_birth=d.date_of_birth,
        age=age_on(d.date_of_birth, today) if d.date_of_birth else None,
        gender=d.gender,
        last_known_address=d.last_known_address,
        other_addresses=tuple(
            a.address
            for a in detail.addresses
            if not a.is_last_known and a.address != d.last_known_address
        )[:4],
        carers=tuple(Person(c.name, c.relationship, c.telephone) for c in detail.carers),
        siblings=tuple(
            Person(s.full_name, f"age {age_on(s.date_of_birth, today)}" if s.date_of_birth else "")
            for s in detail.siblings
        ),
        school=d.school,
        date_last_attended=d.date_last_attended,
        why=_why(detail, note),
        safety=safety_concerns(detail),
        officer=officer,
        printed_on=today,
    )


# --- rendering -----------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN = 12 * mm
WIDTH = PAGE_W - 2 * MARGIN
TOP = MARGIN + 5 * mm  # room for the marking above the frame
BOTTOM = MARGIN + 10 * mm  # room for the contact line and the marking below it
FRAME_H = PAGE_H - TOP - BOTTOM

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
        canvas.drawCentredString(PAGE_W / 2, PAGE_H - MARGIN + 2, MARKING)
        canvas.drawCentredString(PAGE_W / 2, MARGIN - 2, MARKING)
        canvas.setFont(st.fonts.regular, 7.5)
        canvas.drawString(MARGIN, MARGIN + 10, authority.contact_line()[:150])
        canvas.drawRightString(
            PAGE_W - MARGIN, MARGIN + 10, f"Sheet {canvas.getPageNumber()} of {total}"
        )
        canvas.restoreState()

    out = BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        title="Home visit sheets",
        author=authority.name,
        subject=MARKING,
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
        story.append(KeepInFrame(WIDTH, FRAME_H, _sheet_story(sheet, st), mode="shrink"))
    doc.build(story)
    return out.getvalue()


class VisitSheetService:
    """Visit sheets for cases in the vault; each print is audited."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def render_for(
        self,
        case_ids: Sequence[int],
        *,
        authority: AuthorityDetails,
        today: date | None = None,
        note: str = "",
        record: bool = True,
    ) -> bytes:
        """The PDF for ``case_ids`` in that order (a day's visits in one print job).

        The print is audited here unless ``record`` is false: the print preview renders
        first and calls ``record_printed`` only once the officer has really printed.
        """
        if not case_ids:
            raise InvalidInput("Choose at least one case to print a visit sheet for.")
        if len(case_ids) > MAX_SHEETS:
            raise InvalidInput(f"Print at most {MAX_SHEETS} visit sheets at a time.")
        today = today or date.today()
        cases = CaseService(self.db)
        officer = authority.officer_name or self.db.actor
        sheets = [
            sheet_for(cases.get(i), today=today, officer=officer, note=note) for i in case_ids
        ]
        pdf = render(sheets, authority=authority)
        if record:
            self.record_printed(case_ids, output="pdf")
        return pdf

    def record_printed(self, case_ids: Sequence[int], *, output: str) -> None:
        """Audit one print job: each case's sheet, sent to ``output`` ("printer" or "pdf")."""
        if output not in OUTPUTS:
            raise InvalidInput("Unknown place to print to.", field="output")
        with self.db.write() as session:
            for i in case_ids:
                audit.record(
                    session,
                    self.db,
                    action="visit_sheet_printed",
                    entity="case",
                    entity_id=i,
                    detail=f"batch={len(case_ids)};output={output}",
                )
