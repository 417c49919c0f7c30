"""The escalation summary: what the Police or Children's Social Care need about one child.

A short A4 document, marked OFFICIAL-SENSITIVE on every page: the child, the last
known address, the family (siblings, carers and their phones), what is known
(school, date last attended, the latest entries of the case's timeline), the
risk indicators marked *current* on the latest referral (historic ones are left
out), the escalation questions with their answers, and the officer's decision
and rationale, with the officer's and authority's contact details.

``render`` makes the PDF in memory; ``protect`` encrypts it with a generated
password (AES-256, PDF security handler revision 6, via ``protection.pdf``). The
plain PDF is never written to disk.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from cme_desktop.models.vocabularies import (
    ESCALATION_DECISIONS,
    RISK_INDICATORS,
    TIMELINE_KINDS,
    VISIT_OUTCOMES,
    label_of,
)
from cme_desktop.services.cases.detail import CaseDetail, EscalationRow, case_reference
from cme_desktop.services.documents.styles import (
    PAGE_WIDTH,
    AuthorityDetails,
    BodyStyles,
    Fonts,
    document_fonts,
    draw_page_furniture,
    kept_heading,
    kept_section,
    markup,
    numbered_canvas,
    one_frame_document,
    ruled,
    title_band,
)
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.escalation import flow
from cme_desktop.services.protection.passwords import (
    check_pdf_password_length,
    generate_short_password,
)
from cme_desktop.services.protection.pdf import encrypt_pdf
from cme_desktop.services.referral.record import normalise
from cme_desktop.services.referral.validation import current_indicators
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.local_time import local_date_of_utc
from cme_desktop.services.rules.school_age import age_on

__all__ = [
    "TITLE",
    "ProtectedPdf",
    "protect",
    "recipient_of",
    "render",
]

TITLE = "Child Missing Education: escalation summary"
#: How many of the latest timeline entries the summary shows.
TIMELINE_ENTRIES = 12
#: A timeline entry is cut to this many characters: a summary, not the file.
TIMELINE_CHARS = 400

MARGIN = 16 * mm
TOP_MARGIN = 17 * mm
BOTTOM_MARGIN = 25 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# Lighter rules and shading than the referral form's: the summary is read, not filled in.
_GRID = colors.Color(0.3, 0.3, 0.3)
_SHADE = colors.Color(0.9, 0.9, 0.9)
_ALERT = colors.Color(1.0, 0.93, 0.88)


@dataclass(frozen=True)
class ProtectedPdf:
    """An encrypted PDF and the password that opens it (to be shown once, sent separately)."""

    data: bytes
    password: str


def recipient_of(decision: str) -> str:
    """Who the summary is for, from the decision: the Police, social care, or both."""
    return {
        "refer_police": "the Police",
        "refer_social_care": "Children's Social Care (Access Team)",
        "refer_both": "the Police and Children's Social Care (Access Team)",
    }.get(decision, "")


def protect(pdf: bytes, *, password: str | None = None) -> ProtectedPdf:
    """``pdf`` encrypted (AES-256, R6) with ``password``, or with a newly generated one.

    The password is at most 32 characters, so that every PDF reader opens the file.
    """
    password = password or generate_short_password()
    check_pdf_password_length(password)
    return ProtectedPdf(encrypt_pdf(pdf, password), password)


# --- styles and page furniture ------------------------------------------------------


class _Styles(BodyStyles):
    """The shared body styles, with the summary's own title, headings and meta lines."""

    def __init__(self, fonts: Fonts) -> None:
        super().__init__(fonts)
        self.title = ParagraphStyle("title", fontName=fonts.bold, fontSize=15, leading=18)
        self.authority = ParagraphStyle(
            "authority", fontName=fonts.bold, fontSize=10.5, leading=13, alignment=TA_RIGHT
        )
        self.meta = ParagraphStyle("meta", fontName=fonts.regular, fontSize=9, leading=11.5)
        self.heading = ParagraphStyle(
            "heading", fontName=fonts.bold, fontSize=11.5, leading=14, spaceBefore=9, spaceAfter=3
        )


def _canvas_class(authority: AuthorityDetails, styles: _Styles) -> type[canvas.Canvas]:
    """A canvas that draws the marking and footer once it knows the number of pages."""
    return numbered_canvas(
        lambda c, number, total: draw_page_furniture(
            c, authority, styles, margin=MARGIN, rule=_GRID, number=number, total=total
        )
    )


# --- the document -------------------------------------------------------------------------


def render(
    case: CaseDetail,
    *,
    authority: AuthorityDetails,
    escalation: EscalationRow | None = None,
    today: date | None = None,
) -> bytes:
    """The escalation summary of ``case`` as an unencrypted A4 PDF, in memory.

    ``escalation`` defaults to the case's latest decision; ``InvalidInput`` when
    the case has none, since the summary exists to send a decision on.
    """
    if escalation is None:
        if not case.escalations:
            raise InvalidInput(
                "Record an escalation decision first: the summary sends that decision.",
                field="escalation",
            )
        escalation = case.escalations[0]
    today = today or date.today()
    styles = _Styles(document_fonts())
    out = io.BytesIO()
    doc = one_frame_document(
        out,
        title=f"{TITLE} ({case_reference(case.id)})",
        author=authority.name,
        subject="CME escalation summary",
        margin=MARGIN,
        top_margin=TOP_MARGIN,
        bottom_margin=BOTTOM_MARGIN,
    )
    story = list(_story(case, escalation, authority, styles, today))
    doc.build(story, canvasmaker=_canvas_class(authority, styles))
    return out.getvalue()


def _story(
    case: CaseDetail,
    escalation: EscalationRow,
    authority: AuthorityDetails,
    s: _Styles,
    today: date,
) -> Iterator[Flowable]:
    yield _title(case, escalation, authority, s, today)
    draft = case.draft
    dob = draft.date_of_birth
    born = f"{format_uk_date(dob)} (age {age_on(dob, today)})" if dob else "Not known"
    yield kept_heading("The child", s.heading)
    yield _pairs(
        [
            ("Name", draft.full_name, "Also known as", draft.aka),
            ("Date of birth", born, "Gender", draft.gender),
            ("Ethnicity", draft.ethnicity, "UPN", draft.upn),
            (
                "SEN & Disability",
                draft.sen_disability,
                "Child in care?",
                _yes_no(draft.child_in_care),
            ),
        ],
        s,
    )
    yield kept_section("Last known address", _address_block(case, s), s.heading)
    yield from _family(case, s)
    yield from _known(case, s)
    yield from _indicators(case, s)
    yield from _questions(escalation, s)
    yield from _decision(escalation, s)
    yield kept_section("Contact", _contact(authority, s), s.heading)


def _title(
    case: CaseDetail,
    escalation: EscalationRow,
    authority: AuthorityDetails,
    s: _Styles,
    today: date,
) -> Flowable:
    recipient = recipient_of(escalation.decision)
    meta = [f"Case {case_reference(case.id)} · prepared {format_uk_date(today)}"]
    if recipient:
        meta.insert(0, f"For {recipient}")
    return title_band(
        [Paragraph(markup(TITLE), s.title), Spacer(1, 1.5 * mm)]
        + [Paragraph(markup(line), s.meta) for line in meta],
        Paragraph(markup(authority.name), s.authority),
        left_share=0.66,
        width=CONTENT_WIDTH,
        padding=6,
    )


def _yes_no(value: bool | None) -> str:
    return "Not known" if value is None else ("Yes" if value else "No")


def _grid(data: list[list[Any]], widths: list[float], header: bool = False) -> Table:
    table = Table(data, colWidths=[w * CONTENT_WIDTH for w in widths], repeatRows=int(header))
    commands = ruled(_GRID)
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _SHADE))
    table.setStyle(TableStyle(commands))
    return table


def _pairs(rows: list[tuple[str, str, str, str]], s: _Styles) -> Table:
    """Label/value pairs two to a row, labels shaded."""
    data = [
        [
            Paragraph(markup(l1), s.label),
            Paragraph(markup(v1), s.value),
            Paragraph(markup(l2), s.label),
            Paragraph(markup(v2), s.value),
        ]
        for l1, v1, l2, v2 in rows
    ]
    table = _grid(data, [0.19, 0.31, 0.19, 0.31])
    table.setStyle(TableStyle([("BACKGROUND", (c, 0), (c, -1), _SHADE) for c in (0, 2)]))
    return table


def _address_block(case: CaseDetail, s: _Styles) -> Flowable:
    last = case.draft.last_known_address or "Not known"
    rows = [[Paragraph("Last known", s.label), Paragraph(markup(last), s.value)]]
    for address in case.addresses:
        if address.is_last_known or address.address == case.draft.last_known_address:
            continue
        until = f" (until {format_uk_date(address.moved_out)})" if address.moved_out else ""
        rows.append(
            [Paragraph("Previous", s.label), Paragraph(markup(address.address + until), s.value)]
        )
    table = _grid(rows, [0.17, 0.83])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    return table


def _family(case: CaseDetail, s: _Styles) -> Iterator[Flowable]:
    yield kept_heading("Family", s.heading)
    if case.carers:
        rows: list[list[Any]] = [
            [
                Paragraph(h, s.label)
                for h in ("Parent / carer", "Relationship", "Telephone", "Email")
            ]
        ]
        rows += [
            [
                Paragraph(markup(c.name), s.value),
                Paragraph(markup(c.relationship), s.value),
                Paragraph(markup(c.telephone), s.value),
                Paragraph(markup(c.email), s.value),
            ]
            for c in case.carers
        ]
        yield _grid(rows, [0.3, 0.18, 0.22, 0.3], header=True)
    else:
        yield Paragraph("No parent or carer is recorded.", s.note)
    yield Spacer(1, 2 * mm)
    if case.siblings:
        rows = [[Paragraph(h, s.label) for h in ("Brother / sister", "Date of birth", "Case")]]
        rows += [
            [
                Paragraph(markup(sib.full_name), s.value),
                Paragraph(format_uk_date(sib.date_of_birth) or "Not known", s.value),
                Paragraph(f"{case_reference(sib.id)} ({sib.status})", s.value),
            ]
            for sib in case.siblings
        ]
        yield _grid(rows, [0.48, 0.22, 0.3], header=True)
    else:
        yield Paragraph("No brothers or sisters are recorded as missing education.", s.note)


def _known(case: CaseDetail, s: _Styles) -> Iterator[Flowable]:
    draft = case.draft
    yield kept_heading("What is known", s.heading)
    yield _pairs(
        [
            (
                "School/College",
                draft.school or "Not known",
                "Date last attended",
                format_uk_date(draft.date_last_attended) or "Not known",
            ),
            (
                "Whereabouts",
                "Unknown" if draft.whereabouts_unknown else "Known",
                "Last home visit",
                format_uk_date(case.last_visit_on) or "None yet",
            ),
            (
                "Notified on",
                format_uk_date(draft.notified_on),
                "Notified by",
                draft.identified_by,
            ),
        ],
        s,
    )
    # Entries the officer deleted as recorded in error are not sent to a partner agency.
    standing = [e for e in case.timeline if e.deleted_at is None]
    entries = standing[:TIMELINE_ENTRIES]
    if not entries:
        return
    yield Spacer(1, 2 * mm)
    rows: list[list[Any]] = [[Paragraph(h, s.label) for h in ("Date", "What", "Summary")]]
    for entry in entries:
        text = entry.summary
        if entry.outcome:
            outcome = label_of(VISIT_OUTCOMES, entry.outcome)
            text = f"{outcome}. {text}" if text else outcome
        if len(text) > TIMELINE_CHARS:
            text = text[: TIMELINE_CHARS - 1].rstrip() + "…"
        rows.append(
            [
                Paragraph(format_uk_date(entry.occurred_at.date()), s.value),
                Paragraph(markup(label_of(TIMELINE_KINDS, entry.kind)), s.value),
                Paragraph(markup(text), s.value),
            ]
        )
    yield _grid(rows, [0.15, 0.14, 0.71], header=True)
    if len(standing) > TIMELINE_ENTRIES:
        more = len(standing) - TIMELINE_ENTRIES
        yield Paragraph(f"The {TIMELINE_ENTRIES} latest entries; {more} earlier ones.", s.note)


def _indicators(case: CaseDetail, s: _Styles) -> Iterator[Flowable]:
    heading = kept_heading("Risk indicators marked current", s.heading)
    if not case.referrals:
        yield KeepTogether([heading, Paragraph("No referral form is held for this child.", s.note)])
        return
    latest = case.referrals[0]
    keys = current_indicators(normalise(latest.data))
    parts: list[Flowable] = [
        heading,
        Paragraph(
            markup(f"From the referral received {format_uk_date(latest.received_on)}."), s.note
        ),
        Spacer(1, 1.5 * mm),
    ]
    if keys:
        rows = [
            [Paragraph(key, s.value), Paragraph(markup(label_of(RISK_INDICATORS, key)), s.value)]
            for key in keys
        ]
        parts.append(_grid(rows, [0.07, 0.93]))
    else:
        parts.append(Paragraph("No indicator is marked current on that referral.", s.value))
    # The list is short and read as a whole: it moves to the next page rather than split.
    yield KeepTogether(parts)


def _questions(escalation: EscalationRow, s: _Styles) -> Iterator[Flowable]:
    answers = escalation.answers
    for page_id in ("police", "social_care", "safeguarding"):
        page = flow.page(page_id)
        rows: list[list[Any]] = []
        alerts: list[Any] = []
        for question in flow.visible_questions(page_id, answers):
            value = answers.get(question.key)
            if value is True and page_id != "safeguarding":
                alerts.append(("BACKGROUND", (1, len(rows)), (1, len(rows)), _ALERT))
            rows.append(
                [
                    Paragraph(markup(question.text), s.value),
                    Paragraph(flow.answer_label(value), s.strong),
                ]
            )
        table = _grid(rows, [0.84, 0.16])
        table.setStyle(TableStyle(alerts))
        yield kept_section(page.title, table, s.heading)


def _decision(escalation: EscalationRow, s: _Styles) -> Iterator[Flowable]:
    rec = escalation.recommendation
    parts: list[Flowable] = [
        kept_heading("Recommendation and decision", s.heading),
        Paragraph(markup(flow.policy_text(rec)), s.note),
        Spacer(1, 2 * mm),
    ]
    rows = [
        ("Recommended by the policy", label_of(ESCALATION_DECISIONS, rec)),
        ("Decision", label_of(ESCALATION_DECISIONS, escalation.decision)),
        ("Rationale", escalation.rationale or "—"),
        (
            "Decided by",
            f"{escalation.decided_by or 'Not recorded'}, "
            f"{format_uk_date(local_date_of_utc(escalation.decided_at))}",
        ),
    ]
    data = [
        [Paragraph(markup(label), s.label), Paragraph(markup(value), s.value)]
        for label, value in rows
    ]
    table = _grid(data, [0.27, 0.73])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    parts.append(table)
    yield KeepTogether(parts)


def _contact(authority: AuthorityDetails, s: _Styles) -> Flowable:
    officer = ", ".join(p for p in (authority.officer_name, authority.officer_title) if p)
    address = ", ".join(p.strip() for p in authority.address.splitlines() if p.strip())
    table = _pairs(
        [
            ("Officer", officer, "Telephone", authority.phone),
            ("Authority", authority.name, "Email", authority.email),
            ("Address", address, "", ""),
        ],
        s,
    )
    table.setStyle(
        TableStyle([("SPAN", (1, 2), (3, 2)), ("BACKGROUND", (1, 2), (3, 2), colors.white)])
    )
    return table
