"""The subject access pack laid out as an A4 PDF, with its JSON and files attached.

Each section of the record is printed as it is kept: one ruled table per row,
field and value, codes shown by their labels, dates as dd/mm/yyyy; the audit
rows as one table, their times in UK time. The authority's privacy notice ends
the document. Not encrypted here: ``subject_access`` encrypts it in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pikepdf
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

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.documents.privacy import HEADING as PRIVACY_HEADING
from cme_desktop.services.documents.styles import (
    FORM_GRID,
    FORM_SHADE,
    PAGE_WIDTH,
    AuthorityDetails,
    BodyStyles,
    document_fonts,
    draw_page_furniture,
    kept_heading,
    markup,
    numbered_canvas,
    one_frame_document,
    ruled,
    title_band,
)
from cme_desktop.services.documents.subject_record import RECORD_NAME, SubjectRecord
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.local_time import local_now

TITLE = "Subject access: the record of one child"
MARGIN = 16 * mm
TOP_MARGIN = 18 * mm
BOTTOM_MARGIN = 26 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
LABEL_WIDTH = 48 * mm

#: Each section's heading, in the order printed; a table not listed follows, by its name.
SECTION_TITLES = {
    "case_groups": "At-risk and vulnerable groups (policy 4.0 and 4.1)",
    "addresses": "Addresses",
    "carers": "Parents and carers",
    "referrals": "Referral forms received",
    "attachments": "Files kept (each attached to this PDF)",
    "step_progress": "Tracking steps (policy 3.0)",
    "timeline": "Timeline: notes, calls, contacts and home visits",
    "tasks": "Tasks",
    "agency_referrals": "Referrals to partner agencies (policy 2.1)",
    "meetings": "Multi-agency meetings",
    "escalations": "Police and social care decisions (policy 5.0 and 6.0)",
    "case_closures": "Closure details",
    "case_enquiries": "Enquiries recorded",
    "school_returns": "Schools' deletion and new pupil returns",
}
#: Columns whose values are codes of a vocabulary, shown by their labels.
_CODES = {
    "reason_missing": "reasons_missing",
    "group_key": "groups",
    "identification_route": "identification_routes",
    "referring_agency": "partner_agencies",
    "agency": "partner_agencies",
    "closing_outcome": "closing_outcomes",
    "kind": "timeline_kinds",
    "outcome": "visit_outcomes",
    "decision": "escalation_decisions",
    "recommendation": "escalation_decisions",
    "step": "tracking_steps",
}
#: Times the vault keeps in UTC (``models.base.utcnow``), printed in UK time like the rest.
_UTC_COLUMNS = frozenset({"created_at", "updated_at", "added_at", "decided_at", "recorded_at"})
_AUDIT_WIDTHS = (30 * mm, 38 * mm, 44 * mm)


class _Styles(BodyStyles):
    def __init__(self) -> None:
        super().__init__(document_fonts())
        f = self.fonts
        self.title = ParagraphStyle("title", fontName=f.bold, fontSize=14, leading=17)
        self.authority = ParagraphStyle("authority", fontName=f.bold, fontSize=11, leading=14)
        self.heading = ParagraphStyle(
            "heading", fontName=f.bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3
        )
        self.small = ParagraphStyle("small", fontName=f.regular, fontSize=8, leading=10)


def field_label(name: str) -> str:
    """``date_last_attended`` -> ``Date last attended``; ``upn`` -> ``UPN``."""
    words = name.split("_")
    special = {"upn": "UPN", "sen": "SEN", "utc": "(UTC)", "dfe": "DfE", "cme": "CME"}
    shown = [special.get(w, w) for w in words]
    text = " ".join(shown)
    return text[:1].upper() + text[1:]


def shown(name: str, value: Any) -> str:
    """A value as the officer reads it: labels for codes, UK dates, Yes/No."""
    if value is None or value == "" or value == {} or value == []:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return "\n".join(f"{k}: {v}" for k, v in _flatten(value) if v not in ("", None))
    text = str(value)
    if name == "status":
        return vocab.label_of(vocab.CASE_STATUSES, text)
    index = vocab.INDEX.get(_CODES.get(name, ""), {})
    if text in index:
        return index[text].label
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return format_uk_date(date.fromisoformat(text))
        except ValueError:
            return text
    if len(text) == 19 and text[10] == "T":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if name in _UTC_COLUMNS:
            moment = local_now(moment)
        return f"{moment:%d/%m/%Y %H:%M}"
    return text


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}{key}.")
    elif isinstance(value, list):
        for i, inner in enumerate(value, start=1):
            yield from _flatten(inner, f"{prefix}{i}.")
    else:
        yield prefix.rstrip("."), "Yes" if value is True else "No" if value is False else value


def _cell(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text).replace("\n", "<br/>"), style)


def _fields_table(row: dict[str, Any], s: _Styles) -> Table | None:
    cells = [
        [_cell(field_label(name), s.label), _cell(text, s.value)]
        for name, value in row.items()
        if (text := shown(name, value))
    ]
    if not cells:
        return None
    table = Table(cells, colWidths=[LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH], hAlign="LEFT")
    commands = ruled(FORM_GRID) + [("BACKGROUND", (0, 0), (0, -1), FORM_SHADE)]
    table.setStyle(TableStyle(commands))
    return table


def _audit_table(events: list[dict[str, Any]], s: _Styles) -> Table:
    header = [_cell(t, s.label) for t in ("When (UK time)", "By", "What", "Detail")]
    rows = [header]
    for e in events:
        at = local_now(datetime.fromisoformat(e["at_utc"]))
        rows.append(
            [
                _cell(f"{at:%d/%m/%Y %H:%M}", s.small),
                _cell(e["by"], s.small),
                _cell(e["action"].replace("_", " "), s.small),
                _cell(e["detail"], s.small),
            ]
        )
    widths = [*_AUDIT_WIDTHS, CONTENT_WIDTH - sum(_AUDIT_WIDTHS)]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(ruled(FORM_GRID) + [("BACKGROUND", (0, 0), (-1, 0), FORM_SHADE)]))
    return table


def _story(record: SubjectRecord, authority: AuthorityDetails, s: _Styles) -> Iterator[Flowable]:
    data = record.data
    yield title_band(
        Paragraph(markup(TITLE), s.title),
        Paragraph(markup(authority.name), s.authority),
        left_share=0.64,
        width=CONTENT_WIDTH,
        padding=5,
    )
    yield Spacer(1, 3 * mm)
    yield Paragraph(
        markup(
            f"Case {record.reference}, produced on {format_uk_date(record.produced_on)}: "
            "everything the Children Missing Education record holds about this child. The same "
            f"record is attached to this PDF as {RECORD_NAME} (machine-readable), with each "
            "file kept on the case."
        ),
        s.note,
    )
    if data["siblings_on_record"]:
        yield Spacer(1, 1.5 * mm)
        yield Paragraph(
            markup(
                f"Brothers or sisters on record: {data['siblings_on_record']} (their records are "
                "their own and are not part of this pack)."
            ),
            s.note,
        )
    yield kept_heading("The child and the case", s.heading)
    case_table = _fields_table(data["case"], s)
    if case_table is not None:
        yield case_table
    sections: dict[str, list[dict[str, Any]]] = data["sections"]
    names = [n for n in SECTION_TITLES if n in sections]
    names += sorted(n for n in sections if n not in SECTION_TITLES)
    for name in names:
        rows = sections[name]
        title = SECTION_TITLES.get(name, field_label(name))
        heading: list[Flowable] = [Paragraph(markup(f"{title} ({len(rows)})"), s.heading)]
        if not rows:
            yield KeepTogether([*heading, Paragraph("None recorded.", s.note)])
        for row in rows:
            table = _fields_table(row, s)
            if table is not None:
                # The heading goes with its first row, never alone at the foot of a page.
                yield KeepTogether([*heading, table, Spacer(1, 2 * mm)])
                heading = []
    yield kept_heading(f"Who read or changed this record ({len(data['audit'])})", s.heading)
    yield Paragraph(
        markup(
            "From the audit log, which records every read, change, export and print of the "
            "case, with who did it and when."
        ),
        s.note,
    )
    yield Spacer(1, 1.5 * mm)
    yield _audit_table(data["audit"], s)
    if authority.privacy_notice:
        yield Spacer(1, 4 * mm)
        yield KeepTogether(
            [
                Paragraph(markup(PRIVACY_HEADING), s.heading),
                Paragraph(markup(authority.privacy_notice), s.note),
            ]
        )


def _canvas_class(authority: AuthorityDetails, styles: _Styles) -> type[canvas.Canvas]:
    return numbered_canvas(
        lambda c, number, total: draw_page_furniture(
            c, authority, styles, margin=MARGIN, rule=FORM_GRID, number=number, total=total
        )
    )


def render(record: SubjectRecord, *, authority: AuthorityDetails) -> bytes:
    """The pack as an unencrypted PDF (in memory), the JSON and the kept files attached."""
    styles = _Styles()
    out = io.BytesIO()
    doc = one_frame_document(
        out,
        title=f"Subject access {record.reference}",
        author=authority.name,
        subject="Subject access pack",
        margin=MARGIN,
        top_margin=TOP_MARGIN,
        bottom_margin=BOTTOM_MARGIN,
    )
    doc.build(list(_story(record, authority, styles)), canvasmaker=_canvas_class(authority, styles))
    return _attach(out.getvalue(), record)


def attached_name(attachment_id: int, name: str) -> str:
    """The name a kept file has inside the pack: its id first, so two of a name differ."""
    return f"file-{attachment_id}-{name}"


def _attach(pdf: bytes, record: SubjectRecord) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        specs = []
        items = [(RECORD_NAME, record.to_json().encode("utf-8"), "application/json")]
        items += [
            (attached_name(f.attachment_id, f.name), f.content, f.media_type or "")
            for f in record.files
        ]
        for name, content, media_type in items:
            spec = pikepdf.AttachedFileSpec(
                doc,
                content,
                description="The record as JSON" if name == RECORD_NAME else "A file kept",
                filename=name,
                # A file kept without a known type is sent as bytes, as PDF readers expect.
                mime_type=media_type or "application/octet-stream",
                relationship=pikepdf.Name.Data,
            )
            doc.attachments[name] = spec
            specs.append(spec.obj)
        doc.Root.AF = pikepdf.Array(specs)
        out = io.BytesIO()
        doc.save(out)
    return out.getvalue()
