"""A referral as a printable PDF laid out like Appendix A of the policy.

The PDF carries the record itself as an embedded file, ``referral.json`` (the
``cme-referral/1`` JSON of spec/referral.md), so that importing the PDF gives back
exactly what was exported: the printed page is for people, the attachment for the
importer. The result is not yet protected: ``protection.pdf.encrypt_pdf`` does that.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

import pikepdf
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from cme_desktop.models.vocabularies import (
    ACTIONS_HEADING,
    ASSESSMENT_HEADING,
    ASSESSMENT_INTRO,
    ASSESSMENT_QUESTIONS,
    INDICATOR_COLUMNS,
    INDICATORS_INTRO,
    PARENTAL_CONSENT_QUESTION,
    REFERRER_ACTIONS,
    REFERRER_HEADING,
    RISK_INDICATORS,
    RISK_TIMINGS,
    SOCIAL_CARE_REFERRAL_QUESTION,
    label_of,
)
from cme_desktop.services.documents.privacy import HEADING as PRIVACY_HEADING
from cme_desktop.services.documents.styles import (
    FORM_GRID,
    FORM_SHADE,
    PAGE_HEIGHT,
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
    ruled,
    title_band,
)
from cme_desktop.services.referral.record import field_label, normalise, to_json
from cme_desktop.services.rules.dates import format_uk_date

#: The name of the embedded machine-readable record.
ATTACHMENT_NAME = "referral.json"

# The form's own field labels (Appendix A). The risk indicators, actions and questions
# come from the vocabularies; these are the labels of the boxes around them.
TITLE = "Referral Checklist for Children Missing out on Education (CME)"
CHILD_LABELS: dict[str, str] = {
    "full_name": "Name of Pupil(s)",
    "aka": "AKA",
    "date_of_birth": "Date of Birth",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "sen_disability": "SEN & Disability",
    "child_in_care": "Child in Care?",
    "upn": "UPN (if known)",
}
FAMILY_LABELS: dict[str, str] = {
    key: field_label(key)
    for key in (
        "last_known_address",
        "parents_carers",
        "telephone",
        "email",
        "school",
        "date_last_attended",
        "additional_information",
    )
}
ADDITIONAL_INFORMATION_HINT = "(E.G. additional addresses, information surrounding SEN/Care etc)"
REFERRER_LABELS: dict[str, str] = {
    "name": "Name",
    "position": "Position/Title",
    "contact_details": "Contact Details",
    "organisation": "School/College or Agency",
    "date_completed": "Date Completed",
}
FAMILY_HEADING = "Family and school"
ACTION_COLUMNS = ("Action", "Outcome", "Date completed")

MARGIN = 15 * mm
TOP_MARGIN = 16 * mm
BOTTOM_MARGIN = 25 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
_LIGHT = colors.Color(0.95, 0.95, 0.95)


class Styles(BodyStyles):
    """The referral form's styles: the shared body styles, and its title and headings."""

    def __init__(self, fonts: Fonts) -> None:
        super().__init__(fonts)
        self.title = ParagraphStyle("title", fontName=fonts.bold, fontSize=14, leading=17)
        self.authority = ParagraphStyle(
            "authority", fontName=fonts.bold, fontSize=11, leading=14, alignment=TA_RIGHT
        )
        self.heading = ParagraphStyle(
            "heading", fontName=fonts.bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3
        )


def yes_no_label(value: bool | None) -> str:
    """``"Yes"``, ``"No"`` or ``""`` (not answered)."""
    return "" if value is None else ("Yes" if value else "No")


def date_label(iso: str | None) -> str:
    """An ISO date as the form writes it (``02/04/2013``), ``""`` when blank."""
    return format_uk_date(date.fromisoformat(iso)) if iso else ""


def render(ref: dict[str, Any], *, authority: AuthorityDetails) -> bytes:
    """The referral as an A4 PDF in the layout of Appendix A, with ``referral.json`` inside.

    ``ref`` is normalised first (``NotAReferral`` if it is not a valid record); the
    embedded JSON is ``to_json`` of it. The PDF is not encrypted.
    """
    record = normalise(ref)
    styles = Styles(document_fonts())
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        title=TITLE,
        author=authority.name,
        subject="CME referral",
        creator="CME Desktop",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[content_frame()])])
    doc.build(list(_story(record, authority, styles)), canvasmaker=_canvas_class(authority, styles))
    return _attach_record(out.getvalue(), to_json(record))


def content_frame() -> Frame:
    """The area between the header and the footer, without padding so tables line up."""
    return Frame(
        MARGIN,
        BOTTOM_MARGIN,
        CONTENT_WIDTH,
        PAGE_HEIGHT - TOP_MARGIN - BOTTOM_MARGIN,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )


def _attach_record(pdf: bytes, record_json: str) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        spec = pikepdf.AttachedFileSpec(
            doc,
            record_json.encode("utf-8"),
            description="The referral as a cme-referral/1 record, for importing",
            filename=ATTACHMENT_NAME,
            mime_type="application/json",
            relationship=pikepdf.Name.Data,
        )
        doc.attachments[ATTACHMENT_NAME] = spec
        doc.Root.AF = pikepdf.Array([spec.obj])
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()


# --- the page furniture --------------------------------------------------------


def _canvas_class(authority: AuthorityDetails, styles: Styles) -> type[canvas.Canvas]:
    """A canvas that draws the marking and footer once it knows the number of pages."""
    return numbered_canvas(
        lambda c, number, total: draw_page_furniture(
            c, authority, styles, margin=MARGIN, rule=FORM_GRID, number=number, total=total
        )
    )


# --- the story ------------------------------------------------------------------


def _story(record: dict[str, Any], authority: AuthorityDetails, s: Styles) -> Iterator[Flowable]:
    yield _title_block(authority, s)
    yield Spacer(1, 4 * mm)
    children = record["children"]
    for number, child in enumerate(children, start=1):
        heading = f"Pupil {number} of {len(children)}" if len(children) > 1 else "Pupil"
        yield kept_heading(heading, s.heading)
        yield _child_table(child, s)
        yield Spacer(1, 2 * mm)
    yield kept_heading(FAMILY_HEADING, s.heading)
    yield from _family_table(record, s)
    yield kept_heading(ACTIONS_HEADING, s.heading)
    yield _actions_table(record, s)
    yield Spacer(1, 3 * mm)
    # The whole table on one page when it fits, so that no row is read out of context.
    yield KeepTogether(
        [
            Paragraph(markup(INDICATORS_INTRO), s.note),
            Spacer(1, 1.5 * mm),
            _indicators_table(record, s),
        ]
    )
    yield Spacer(1, 3 * mm)
    yield _questions_table(record, s)
    yield from _assessment(record, s)
    yield kept_section(REFERRER_HEADING, _referrer_table(record, s), s.heading)
    if authority.privacy_notice:
        yield Spacer(1, 3 * mm)
        yield KeepTogether(
            [
                Paragraph(markup(PRIVACY_HEADING), s.heading),
                Paragraph(markup(authority.privacy_notice), s.note),
            ]
        )


def _title_block(authority: AuthorityDetails, s: Styles) -> Table:
    return title_band(
        Paragraph(markup(TITLE), s.title),
        Paragraph(markup(authority.name), s.authority),
        left_share=0.64,
        width=CONTENT_WIDTH,
        padding=5,
    )


def _grid_style(label_cells: list[tuple[int, int]], extra: list[Any] | None = None) -> TableStyle:
    commands = ruled(FORM_GRID)
    commands += [("BACKGROUND", cell, cell, FORM_SHADE) for cell in label_cells]
    return TableStyle(commands + (extra or []))


def _pairs_table(rows: list[tuple[str, str, str | None, str]], s: Styles) -> Table:
    """Rows of two label/value pairs, the layout of the form's top half.

    A row whose second label is ``None`` has one pair, its value spanning the row.
    """
    widths = [0.19, 0.31, 0.19, 0.31]
    data = []
    labels: list[tuple[int, int]] = []
    spans: list[Any] = []
    for number, (l1, v1, l2, v2) in enumerate(rows):
        labels.append((0, number))
        cells = [Paragraph(markup(l1), s.label), Paragraph(markup(v1), s.value)]
        if l2 is None:
            spans.append(("SPAN", (1, number), (3, number)))
            cells += ["", ""]
        else:
            labels.append((2, number))
            cells += [Paragraph(markup(l2), s.label), Paragraph(markup(v2), s.value)]
        data.append(cells)
    table = Table(data, colWidths=[w * CONTENT_WIDTH for w in widths], splitInRow=1)
    table.setStyle(_grid_style(labels, spans))
    return table


def _child_table(child: dict[str, Any], s: Styles) -> Table:
    label = CHILD_LABELS
    return _pairs_table(
        [
            (label["full_name"], child["full_name"], label["aka"], child["aka"]),
            (
                label["date_of_birth"],
                date_label(child["date_of_birth"]),
                label["gender"],
                child["gender"],
            ),
            (
                label["ethnicity"],
                child["ethnicity"],
                label["child_in_care"],
                yes_no_label(child["child_in_care"]),
            ),
            (label["sen_disability"], child["sen_disability"], label["upn"], child["upn"] or ""),
        ],
        s,
    )


def _family_table(record: dict[str, Any], s: Styles) -> list[Flowable]:
    label = FAMILY_LABELS
    pairs = _pairs_table(
        [
            (
                label["last_known_address"],
                record["last_known_address"],
                label["parents_carers"],
                record["parents_carers"],
            ),
            (label["telephone"], record["telephone"], label["email"], record["email"]),
            (
                label["school"],
                record["school"],
                label["date_last_attended"],
                date_label(record["date_last_attended"]),
            ),
        ],
        s,
    )
    heading = Paragraph(
        f"{markup(label['additional_information'])} "
        f"<font name='{s.fonts.italic}'>{markup(ADDITIONAL_INFORMATION_HINT)}</font>",
        s.label,
    )
    extra = Table(
        [[heading], [Paragraph(markup(record["additional_information"]), s.value)]],
        colWidths=[CONTENT_WIDTH],
        splitInRow=1,
    )
    extra.setStyle(_grid_style([(0, 0)]))
    return [pairs, extra]


def _actions_table(record: dict[str, Any], s: Styles) -> Table:
    header = [Paragraph(markup(h), s.label) for h in ACTION_COLUMNS]
    rows: list[list[Any]] = [header]
    for term in REFERRER_ACTIONS:
        action = record["referrer_actions"][term.key]
        text = markup(term.label)
        if term.help:
            text += f"<br/><font name='{s.fonts.italic}' size='8'>{markup(term.help)}</font>"
        rows.append(
            [
                Paragraph(text, s.value),
                Paragraph(markup(action["outcome"]), s.value),
                Paragraph(markup(date_label(action["date"])), s.value),
            ]
        )
    table = Table(
        rows,
        colWidths=[CONTENT_WIDTH * w for w in (0.42, 0.42, 0.16)],
        splitInRow=1,
    )
    table.setStyle(_grid_style([(0, 0), (1, 0), (2, 0)]))
    return table


def _indicators_table(record: dict[str, Any], s: Styles) -> Table:
    rows: list[list[Any]] = [[Paragraph(markup(h), s.label) for h in INDICATOR_COLUMNS]]
    marked: list[Any] = []
    for number, term in enumerate(RISK_INDICATORS, start=1):
        answer = record["risk_indicators"][term.key]
        present = answer["present"]
        style = s.centre_strong if present else s.centre
        rows.append(
            [
                Paragraph(term.key, s.centre),
                Paragraph(markup(term.label), s.strong if present else s.value),
                Paragraph(yes_no_label(present), style),
                Paragraph(markup(label_of(RISK_TIMINGS, answer["timing"])), style),
            ]
        )
        if present:
            marked.append(("BACKGROUND", (0, number), (-1, number), _LIGHT))
    table = Table(
        rows,
        colWidths=[CONTENT_WIDTH * w for w in (0.06, 0.64, 0.13, 0.17)],
        repeatRows=1,
    )
    header = [(col, 0) for col in range(4)]
    table.setStyle(_grid_style(header, marked + [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return table


def _questions_table(record: dict[str, Any], s: Styles) -> Flowable:
    rows = [
        (SOCIAL_CARE_REFERRAL_QUESTION, record["social_care_referral_considered"]),
        (PARENTAL_CONSENT_QUESTION, record["parental_consent"]),
    ]
    data = [
        [
            Paragraph(markup(question), s.label),
            Paragraph(yes_no_label(answer) or "Not answered", s.centre_strong),
        ]
        for question, answer in rows
    ]
    table = Table(data, colWidths=[CONTENT_WIDTH * 0.83, CONTENT_WIDTH * 0.17])
    table.setStyle(_grid_style([(0, 0), (0, 1)], [("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return KeepTogether([table])


def _assessment(record: dict[str, Any], s: Styles) -> Iterator[Flowable]:
    yield kept_heading(ASSESSMENT_HEADING, s.heading)
    intro = Paragraph(markup(ASSESSMENT_INTRO), s.note)
    intro.keepWithNext = True
    yield intro
    for term in ASSESSMENT_QUESTIONS:
        question = (
            f"{markup(term.label)}<br/>"
            f"<font name='{s.fonts.italic}' size='8'>{markup(term.help)}</font>"
        )
        table = Table(
            [
                [Paragraph(question, s.label)],
                [Paragraph(markup(record["assessment"][term.key]), s.value)],
            ],
            colWidths=[CONTENT_WIDTH],
            splitInRow=1,
        )
        table.setStyle(_grid_style([(0, 0)]))
        yield Spacer(1, 2 * mm)
        yield table


def _referrer_table(record: dict[str, Any], s: Styles) -> Table:
    ref = record["referrer"]
    label = REFERRER_LABELS
    return _pairs_table(
        [
            (label["name"], ref["name"], label["position"], ref["position"]),
            (
                label["contact_details"],
                ref["contact_details"],
                label["organisation"],
                ref["organisation"],
            ),
            (label["date_completed"], date_label(ref["date_completed"]), None, ""),
        ],
        s,
    )
