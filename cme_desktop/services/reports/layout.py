"""What the report PDFs share: the marking, colours, styles, page furniture and figure tables.

PDFs are made in memory (reportlab platypus) and returned as bytes; the caller
writes them atomically or prints them.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cme_desktop.services.documents.styles import AuthorityDetails, document_fonts
from cme_desktop.services.reports.tables import Table as FigureTable
from cme_desktop.services.rules.dates import format_date

MARKING = "OFFICIAL-SENSITIVE"
INK = colors.HexColor("#1f2a36")
ACCENT = colors.HexColor("#1d5c8c")
SOFT = colors.HexColor("#e8eef4")
RULE = colors.HexColor("#b8c4d0")
SERIES = (
    colors.HexColor("#1d5c8c"),
    colors.HexColor("#7fb0d6"),
    colors.HexColor("#d9822b"),
    colors.HexColor("#5a9e6f"),
)


# --- styles and page furniture ----------------------------------------------------------


class ReportStyles:
    """The paragraph styles of the report PDFs, in the documents' fonts."""

    def __init__(self) -> None:
        f = document_fonts()
        self.fonts = f
        self.title = ParagraphStyle(
            "title", fontName=f.bold, fontSize=17, leading=21, textColor=INK, spaceAfter=2
        )
        self.subtitle = ParagraphStyle(
            "subtitle", fontName=f.regular, fontSize=10.5, leading=14, textColor=ACCENT
        )
        self.h2 = ParagraphStyle(
            "h2",
            fontName=f.bold,
            fontSize=11.5,
            leading=15,
            textColor=ACCENT,
            spaceBefore=9,
            spaceAfter=4,
        )
        self.body = ParagraphStyle(
            "body", fontName=f.regular, fontSize=9, leading=12, textColor=INK
        )
        self.note = ParagraphStyle(
            "note",
            fontName=f.italic,
            fontSize=7.5,
            leading=9.5,
            textColor=colors.HexColor("#55606b"),
            spaceBefore=2,
        )
        self.cell = ParagraphStyle(
            "cell", fontName=f.regular, fontSize=8, leading=10, textColor=INK
        )
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=f.bold)
        self.number = ParagraphStyle("num", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle(
            "head", parent=self.cell, fontName=f.bold, textColor=colors.white, alignment=TA_RIGHT
        )
        self.head_left = ParagraphStyle("headl", parent=self.head, alignment=TA_LEFT)


def authority_details(authority: AuthorityDetails | str | None) -> AuthorityDetails:
    """The authority as given, or one named by ``authority`` (``Local Authority`` if none)."""
    if isinstance(authority, AuthorityDetails):
        return authority
    return AuthorityDetails(name=authority or "Local Authority")


def escape(text: str) -> str:
    """``text`` safe inside a reportlab paragraph, which reads its markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_pdf(
    story: list[Any],
    *,
    title: str,
    authority: AuthorityDetails,
    generated: date,
    pagesize: tuple[float, float] = A4,
    marking_note: str = "",
) -> bytes:
    """The PDF of ``story``, each page marked and headed with the authority and numbered."""
    styles = ReportStyles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=authority.name,
        subject=MARKING,
        creator="CME Desktop",
    )

    def furniture(canvas: Any, document: Any) -> None:
        width, height = pagesize
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, height - 9 * mm, width, 9 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(styles.fonts.bold, 9)
        canvas.drawString(16 * mm, height - 6 * mm, MARKING)
        canvas.setFont(styles.fonts.regular, 8.5)
        canvas.drawRightString(width - 16 * mm, height - 6 * mm, authority.name)
        canvas.setStrokeColor(RULE)
        canvas.line(16 * mm, 13 * mm, width - 16 * mm, 13 * mm)
        canvas.setFillColor(INK)
        canvas.setFont(styles.fonts.bold, 8)
        canvas.drawString(
            16 * mm, 8.5 * mm, MARKING + (f" — {marking_note}" if marking_note else "")
        )
        canvas.setFont(styles.fonts.regular, 8)
        canvas.drawCentredString(
            width / 2, 4.5 * mm, f"{title} · produced {format_date(generated)}"
        )
        canvas.drawRightString(width - 16 * mm, 8.5 * mm, f"Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()


def heading(
    styles: ReportStyles, title: str, subtitle: str, authority: AuthorityDetails
) -> list[Any]:
    """The title, subtitle and the officer's name and role, above a report."""
    lines = [Paragraph(escape(title), styles.title), Paragraph(escape(subtitle), styles.subtitle)]
    who = ", ".join(p for p in (authority.officer_name, authority.officer_title) if p)
    if who:
        lines.append(Paragraph(escape(f"{authority.name} · {who}"), styles.body))
    lines.append(Spacer(1, 4 * mm))
    return lines


# --- tables -------------------------------------------------------------------------------


def figure_text(value: Any) -> str:
    """A figure as printed: thousands separated, one decimal place, a dash for none."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def figure_table(
    styles: ReportStyles, table: FigureTable, width: float, *, highlight_last: bool = True
) -> Table:
    """A table of figures, one column per period; the last (the one reported) shaded."""
    label_width = width * (0.52 if len(table.columns) > 2 else 0.7)
    column_width = (width - label_width) / max(len(table.columns), 1)
    data: list[list[Any]] = [
        [Paragraph("", styles.cell)] + [Paragraph(escape(c), styles.head) for c in table.columns]
    ]
    for row in table.rows:
        label_style = styles.cell_bold if row.total else styles.cell
        data.append(
            [Paragraph(escape(row.label), label_style)]
            + [Paragraph(figure_text(v), styles.number) for v in row.values]
        )
    grid = Table(data, colWidths=[label_width] + [column_width] * len(table.columns), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
    ]
    if highlight_last and len(table.columns) > 1:
        commands.append(("BACKGROUND", (-1, 1), (-1, -1), SOFT))
    for i, row in enumerate(table.rows, start=1):
        if row.total:
            commands.append(("LINEABOVE", (0, i), (-1, i), 0.8, INK))
    grid.setStyle(TableStyle(commands))
    return grid


def figure_section(styles: ReportStyles, table: FigureTable, width: float, **kw: Any) -> Any:
    """A table's title, figures and note, kept on one page when it is short."""
    parts: list[Any] = [
        Paragraph(escape(table.title), styles.h2),
        figure_table(styles, table, width, **kw),
    ]
    if table.note:
        parts.append(Paragraph(escape(table.note), styles.note))
    if len(table.rows) <= 18:
        return KeepTogether(parts)
    return parts
