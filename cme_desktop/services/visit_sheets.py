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
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services import audit
from cme_desktop.services.cases import CaseDetail, CaseService, case_reference
from cme_desktop.services.database import Database
from cme_desktop.services.documents import AuthorityDetails, document_fonts
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.school_age import age_on

MARKING = "OFFICIAL-SENSITIVE"
MAX_SHEETS = 200

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
    )


# --- rendering -----------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN = 12 * mm
WIDTH = PAGE_W - 2 * MARGIN


class _Styles:
    def __init__(self) -> None:
        f = document_fonts()
        self.fonts = f
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=10, leading=13)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8.5, leading=11)
        self.label = ParagraphStyle(
            "label",
            parent=self.body,
            fontName=f.bold,
            fontSize=9,
            leading=11,
            textColor=colors.HexColor("#333333"),
        )
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
            spaceBefore=5,
            spaceAfter=2,
        )
        self.marking = ParagraphStyle(
            "marking", parent=self.body, fontName=f.bold, fontSize=9, alignment=TA_CENTER
        )


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _grid(
    rows: list[list[Any]],
    widths: list[float],
    *,
    shade_first_col: bool = True,
    heights: list[float | None] | None = None,
) -> Table:
    table = Table(rows, colWidths=widths, rowHeights=heights)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if shade_first_col:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else "not known"


def _sheet_story(sheet: VisitSheet, st: _Styles) -> list[Any]:
    story: list[Any] = []
    story.append(
        _grid(
            [
                [
                    _p("Home visit", st.title),
                    _p(f"Case {sheet.reference}\nPrinted {date.today():%d/%m/%Y}", st.small),
                ]
            ],
            [WIDTH * 0.62, WIDTH * 0.38],
            shade_first_col=False,
        )
    )
    story.append(Spacer(1, 4))

    dob = _date(sheet.date_of_birth)
    if sheet.age is not None:
        dob += f" (age {sheet.age})"
    if sheet.gender:
        dob += f" · {sheet.gender}"
    rows = [
        [_p("Child", st.label), _p(sheet.full_name, st.name)],
        [_p("Also known as", st.label), _p(sheet.aka or "—", st.body)],
        [_p("Date of birth", st.label), _p(dob, st.body)],
        [
            _p("Last known address", st.label),
            _p(sheet.last_known_address or "not known", st.address),
        ],
    ]
    if sheet.other_addresses:
        rows.append(
            [
                _p("Other known addresses", st.label),
                _p("\n".join(a.replace("\n", ", ") for a in sheet.other_addresses), st.body),
            ]
        )
    rows.append(
        [
            _p("School last attended", st.label),
            _p(
                f"{sheet.school or 'not known'} — last attended {_date(sheet.date_last_attended)}",
                st.body,
            ),
        ]
    )
    story.append(_grid(rows, [WIDTH * 0.27, WIDTH * 0.73]))

    story.append(_p("Parents / carers", st.heading))
    carer_rows = [[_p("Name", st.label), _p("Relationship", st.label), _p("Telephone", st.label)]]
    carer_rows += [
        [_p(c.name, st.body), _p(c.detail, st.body), _p(c.telephone or "—", st.body)]
        for c in sheet.carers
    ] or [[_p("None recorded", st.body), "", ""]]
    carers = _grid(carer_rows, [WIDTH * 0.45, WIDTH * 0.25, WIDTH * 0.30], shade_first_col=False)
    carers.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
    story.append(carers)
    if sheet.siblings:
        story.append(Spacer(1, 3))
        story.append(
            _p(
                "Brothers and sisters on the record: "
                + "; ".join(
                    f"{s.name} ({s.detail})" if s.detail else s.name for s in sheet.siblings
                ),
                st.body,
            )
        )

    story.append(_p("Why the visit", st.heading))
    story.append(_grid([[_p(sheet.why, st.body)]], [WIDTH], shade_first_col=False))

    story.append(_p("Safety", st.heading))
    if sheet.safety:
        text = (
            "LONE-WORKING WARNING — do not visit alone; tell the office when you arrive "
            "and leave.\n" + "\n".join(f"• {s}" for s in sheet.safety)
        )
        box = _grid([[_p(text, st.body)]], [WIDTH], shade_first_col=False)
        box.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 2.2, colors.black),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#dddddd")),
                ]
            )
        )
    else:
        box = _grid(
            [
                [
                    _p(
                        "No safety concerns are recorded. Follow the lone-working procedure: "
                        "tell the office when you arrive and leave.",
                        st.body,
                    )
                ]
            ],
            [WIDTH],
            shade_first_col=False,
        )
    story.append(box)

    story.append(
        _p(
            "At the address (Appendix A: check visible signs of the property being "
            "occupied, checks with neighbours)",
            st.heading,
        )
    )
    check_rows = [["", _p(item, st.small), ""] for item in CHECKLIST]
    checks = Table(
        check_rows,
        colWidths=[7 * mm, WIDTH * 0.62, WIDTH - 7 * mm - WIDTH * 0.62],
        rowHeights=[11 * mm] * len(CHECKLIST),
    )
    checks.setStyle(
        TableStyle(
            [
                ("GRID", (1, 0), (-1, -1), 0.6, colors.black),
                ("BOX", (0, 0), (0, -1), 0.6, colors.black),
                ("INNERGRID", (0, 0), (0, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story.append(checks)

    story.append(
        KeepTogether(
            [
                _p("Outcome", st.heading),
                _grid(
                    [
                        [
                            _p("Visited by", st.label),
                            _p(
                                f"{sheet.officer}     Date: __________   "
                                "Arrived: ________   Left: ________",
                                st.body,
                            ),
                        ],
                        [
                            _p("Outcome", st.label),
                            _p(
                                "☐ Child seen   ☐ Family seen, child not seen   "
                                "☐ No reply – occupied   ☐ No reply – vacant   "
                                "☐ Moved away   ☐ Refused",
                                st.small,
                            ),
                        ],
                        [_p("What happened", st.label), ""],
                        [_p("Next steps", st.label), ""],
                    ],
                    [WIDTH * 0.22, WIDTH * 0.78],
                    heights=[None, None, 22 * mm, 13 * mm],
                ),
            ]
        )
    )
    return story


def render(sheets: Sequence[VisitSheet], *, authority: AuthorityDetails) -> bytes:
    """One PDF, one sheet (page) per visit, in the order given. Held in memory only."""
    if not sheets:
        raise InvalidInput("Choose at least one case to print a visit sheet for.")
    if len(sheets) > MAX_SHEETS:
        raise InvalidInput(f"Print at most {MAX_SHEETS} visit sheets at a time.")
    st = _Styles()
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 5 * mm,
        bottomMargin=MARGIN + 6 * mm,
        title="Home visit sheets",
        author=authority.name,
        subject=MARKING,
        creator="CME Desktop",
    )

    def decorate(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(st.fonts.bold, 9)
        canvas.drawCentredString(PAGE_W / 2, PAGE_H - MARGIN + 2, MARKING)
        canvas.drawCentredString(PAGE_W / 2, MARGIN - 2, MARKING)
        canvas.setFont(st.fonts.regular, 7.5)
        canvas.drawString(MARGIN, MARGIN + 8, authority.contact_line()[:150])
        canvas.drawRightString(PAGE_W - MARGIN, MARGIN + 8, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    story: list[Any] = []
    for i, sheet in enumerate(sheets):
        if i:
            story.append(PageBreak())
        story.extend(_sheet_story(sheet, st))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
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
    ) -> bytes:
        """The PDF for ``case_ids`` in that order (a day's visits in one print job)."""
        if not case_ids:
            raise InvalidInput("Choose at least one case to print a visit sheet for.")
        today = today or date.today()
        cases = CaseService(self.db)
        sheets = [
            sheet_for(
                cases.get(i),
                today=today,
                officer=authority.officer_name or self.db.actor,
                note=note,
            )
            for i in case_ids
        ]
        pdf = render(sheets, authority=authority)
        with self.db.write() as session:
            for i in case_ids:
                audit.record(
                    session,
                    self.db,
                    action="visit_sheet_printed",
                    entity="case",
                    entity_id=i,
                    detail=f"batch={len(case_ids)}",
                )
        return pdf
