"""A case's chronology: everything on its timeline, oldest first, as a printable A4 PDF.

For a case review, a strategy meeting or a transfer to another authority, the
officer prints or saves the whole history of one case: the child's details at
the top, then each entry in date order (when, what kind, what happened, by
whom). Entries deleted as recorded in error stay in, struck through, with the
reason, so the chronology is the record as it stands. Every page carries the
protective marking (OFFICIAL-SENSITIVE), the authority's contact and "Page x of
y" (``documents.styles``). The PDF is made in memory; it leaves the program
only encrypted, or plain once the officer confirmed it (``protection.outputs``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    Table,
    TableStyle,
)

from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import CaseDetail, TimelineRow, case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.styles import (
    PAGE_WIDTH,
    PROTECTIVE_MARKING,
    BodyStyles,
    document_fonts,
    draw_page_furniture,
    markup,
    numbered_canvas,
    one_frame_document,
    ruled,
    title_band,
)
from cme_desktop.services.protection.outputs import ProtectedFiles, SavedFile, format_of
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = ["TITLE", "ChronologyService", "entry_text", "render"]

TITLE = "Child Missing Education: case chronology"

MARGIN = 16 * mm
TOP_MARGIN = 17 * mm
BOTTOM_MARGIN = 25 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
_GRID = colors.Color(0.3, 0.3, 0.3)
_SHADE = colors.Color(0.9, 0.9, 0.9)
_STRUCK = colors.Color(0.4, 0.4, 0.4)


class _Styles(BodyStyles):
    def __init__(self) -> None:
        super().__init__(document_fonts())
        fonts = self.fonts
        self.title = ParagraphStyle("title", fontName=fonts.bold, fontSize=15, leading=18)
        self.authority = ParagraphStyle(
            "authority", fontName=fonts.bold, fontSize=10.5, leading=13, alignment=TA_RIGHT
        )
        self.meta = ParagraphStyle(
            "meta", fontName=fonts.regular, fontSize=9, leading=11.5, spaceBefore=3, spaceAfter=4
        )
        self.heading = ParagraphStyle(
            "heading", fontName=fonts.bold, fontSize=11.5, leading=14, spaceBefore=9, spaceAfter=3
        )
        self.struck = ParagraphStyle("struck", parent=self.value, textColor=_STRUCK)


def entry_text(entry: TimelineRow) -> str:
    """What happened, in words: a visit's outcome, who was seen, the text, the next step."""
    parts = []
    if entry.kind == "visit" and entry.outcome:
        parts.append(vocab.label_of(vocab.VISIT_OUTCOMES, entry.outcome) + ".")
    if entry.who_seen:
        parts.append(f"Seen: {entry.who_seen}.")
    if entry.summary:
        parts.append(entry.summary)
    if entry.next_step:
        parts.append(f"Next step: {entry.next_step}")
    return " ".join(parts)


def render(case: CaseDetail, *, authority: AuthorityDetails, today: date | None = None) -> bytes:
    """The chronology of ``case`` as an unencrypted A4 PDF, in memory."""
    today = today or date.today()
    styles = _Styles()
    out = io.BytesIO()
    doc = one_frame_document(
        out,
        title=f"{TITLE} ({case_reference(case.id)})",
        author=authority.name,
        subject=PROTECTIVE_MARKING,
        margin=MARGIN,
        top_margin=TOP_MARGIN,
        bottom_margin=BOTTOM_MARGIN,
    )
    canvasmaker = numbered_canvas(
        lambda c, number, total: draw_page_furniture(
            c, authority, styles, margin=MARGIN, rule=_GRID, number=number, total=total
        )
    )
    doc.build(list(_story(case, authority, styles, today)), canvasmaker=canvasmaker)
    return out.getvalue()


def _story(
    case: CaseDetail, authority: AuthorityDetails, s: _Styles, today: date
) -> Iterator[Flowable]:
    d = case.draft
    yield title_band(
        Paragraph(markup(TITLE), s.title),
        Paragraph(markup(authority.name), s.authority),
        left_share=0.7,
        width=CONTENT_WIDTH,
        padding=4,
    )
    status = "Open" if case.status == "open" else "Closed"
    if case.closed_on is not None:
        outcome = vocab.label_of(vocab.CLOSING_OUTCOMES, case.closing_outcome)
        status += f" on {format_uk_date(case.closed_on)}" + (f": {outcome}" if outcome else "")
    facts = [
        ("Child", d.full_name + (f" (also known as {d.aka})" if d.aka else "")),
        ("Date of birth", format_uk_date(d.date_of_birth) if d.date_of_birth else "Not known"),
        ("Case", f"{case_reference(case.id)}, opened {format_uk_date(case.opened_on)}"),
        ("Status", status),
        ("Last known address", d.last_known_address or "Not known"),
        ("School", d.school or "Not known"),
    ]
    rows = [
        [Paragraph(markup(label), s.label), Paragraph(markup(value), s.value)]
        for label, value in facts
    ]
    yield Paragraph(f"Printed {format_uk_date(today)}", s.meta)
    table = Table(rows, colWidths=[CONTENT_WIDTH * 0.24, CONTENT_WIDTH * 0.76])
    table.setStyle(TableStyle([*ruled(_GRID), ("BACKGROUND", (0, 0), (0, -1), _SHADE)]))
    yield table
    yield Paragraph("Chronology", s.heading)
    entries = sorted(case.timeline, key=lambda t: (t.occurred_at, t.id))
    if not entries:
        yield Paragraph("Nothing has been recorded on this case's timeline yet.", s.note)
        return
    yield _entries_table(entries, s)
    deleted = sum(1 for e in entries if e.deleted_at is not None)
    if deleted:
        yield Paragraph(
            f"{deleted} of the {len(entries)} entries were deleted as recorded in error: they "
            "are struck through, with the reason given.",
            s.note,
        )


def _entries_table(entries: list[TimelineRow], s: _Styles) -> Table:
    header = [Paragraph(h, s.label) for h in ("Date", "What", "What happened", "By")]
    rows: list[list[Any]] = [header]
    for entry in entries:
        text = markup(entry_text(entry))
        style = s.value
        if entry.deleted_at is not None:
            text = f"<strike>{text}</strike><br/>" + markup(
                f"Deleted {format_uk_date(entry.deleted_at.date())}: {entry.deleted_reason}"
            )
            style = s.struck
        elif entry.edited_at is not None:
            text += "<br/>" + markup(f"(Edited {format_uk_date(entry.edited_at.date())})")
        rows.append(
            [
                Paragraph(
                    markup(f"{format_uk_date(entry.occurred_at.date())} {entry.occurred_at:%H:%M}"),
                    s.value,
                ),
                Paragraph(markup(vocab.label_of(vocab.TIMELINE_KINDS, entry.kind)), s.value),
                Paragraph(text, style),
                Paragraph(markup(entry.author), s.value),
            ]
        )
    widths = [0.15, 0.18, 0.51, 0.16]
    table = Table(rows, colWidths=[CONTENT_WIDTH * w for w in widths], repeatRows=1)
    table.setStyle(TableStyle([*ruled(_GRID), ("BACKGROUND", (0, 0), (-1, 0), _SHADE)]))
    return table


class ChronologyService:
    """Saves a case's chronology: encrypted, or plain once the officer confirmed it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(
        self,
        case_id: int,
        target: Path,
        *,
        authority: AuthorityDetails,
        password: str | None,
        today: date | None = None,
    ) -> SavedFile:
        """Write the chronology of ``case_id`` to ``target`` (a .pdf), audited and on the timeline.

        ``password=None`` means the officer confirmed an unprotected file
        (``ProtectedFiles.save`` audits that with the file); a password over 32
        characters is refused, as some PDF readers could not open the file.
        """
        format_of(target, allowed=("pdf",))
        detail = CaseService(self.db).get_for_document(case_id)
        pdf = render(detail, authority=authority, today=today)
        saved = ProtectedFiles(self.db).save(
            target, pdf, fmt="pdf", password=password, what="chronology", detail=f"case={case_id}"
        )
        how = "a password-protected PDF" if saved.protected else "an unprotected PDF"
        with self.db.write() as session:
            history.record(
                session,
                case_id=case_id,
                summary=f"Chronology saved as {how} ({saved.path.name}).",
                author=self.db.actor,
            )
            audit.record(
                session,
                self.db,
                action="chronology_saved",
                entity="case",
                entity_id=case_id,
                detail=f"protected={'yes' if saved.protected else 'no'}",
            )
        return saved
