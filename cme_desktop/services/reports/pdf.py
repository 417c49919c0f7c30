"""The reports as documents: the quarterly report, the DfE return and pupils without a place.

PDFs are made in memory (reportlab platypus, charts with reportlab.graphics)
and returned as bytes; the caller writes them atomically or prints them.
The quarterly report and the DfE return hold aggregate figures only; the
pupils-without-a-place report names children and is marked for the named
officer. CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from cme_desktop.services.documents.styles import AuthorityDetails, document_fonts
from cme_desktop.services.reports.statistics import (
    DfeReturn,
    QuarterlyReport,
    Row,
    WithoutPlace,
)
from cme_desktop.services.reports.statistics import Table as FigureTable
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


class _Styles:
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


def _authority(authority: AuthorityDetails | str | None) -> AuthorityDetails:
    if isinstance(authority, AuthorityDetails):
        return authority
    return AuthorityDetails(name=authority or "Local Authority")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _build(
    story: list[Any],
    *,
    title: str,
    authority: AuthorityDetails,
    generated: date,
    pagesize: tuple[float, float] = A4,
    marking_note: str = "",
) -> bytes:
    styles = _Styles()
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


def _header(styles: _Styles, title: str, subtitle: str, authority: AuthorityDetails) -> list[Any]:
    lines = [Paragraph(_escape(title), styles.title), Paragraph(_escape(subtitle), styles.subtitle)]
    who = ", ".join(p for p in (authority.officer_name, authority.officer_title) if p)
    if who:
        lines.append(Paragraph(_escape(f"{authority.name} · {who}"), styles.body))
    lines.append(Spacer(1, 4 * mm))
    return lines


# --- tables -------------------------------------------------------------------------------


def _number(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def _figure_table(
    styles: _Styles, table: FigureTable, width: float, *, highlight_last: bool = True
) -> Table:
    label_width = width * (0.52 if len(table.columns) > 2 else 0.7)
    column_width = (width - label_width) / max(len(table.columns), 1)
    data: list[list[Any]] = [
        [Paragraph("", styles.cell)] + [Paragraph(_escape(c), styles.head) for c in table.columns]
    ]
    for row in table.rows:
        label_style = styles.cell_bold if row.total else styles.cell
        data.append(
            [Paragraph(_escape(row.label), label_style)]
            + [Paragraph(_number(v), styles.number) for v in row.values]
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


def _section(styles: _Styles, table: FigureTable, width: float, **kw: Any) -> Any:
    parts: list[Any] = [
        Paragraph(_escape(table.title), styles.h2),
        _figure_table(styles, table, width, **kw),
    ]
    if table.note:
        parts.append(Paragraph(_escape(table.note), styles.note))
    if len(table.rows) <= 18:
        return KeepTogether(parts)
    return parts


# --- charts -------------------------------------------------------------------------------


def _bar_trend(report: QuarterlyReport, width: float, styles: _Styles) -> Drawing:
    """Notifications per quarter, one bar per route, with the total above."""
    table = report.table("notifications_route")
    series = [r for r in table.rows if not r.total]
    drawing = Drawing(width, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 12 * mm
    chart.width, chart.height = width - 70 * mm, 44 * mm
    chart.data = [tuple(int(v or 0) for v in r.values) for r in series]
    chart.categoryAxis.categoryNames = list(table.columns)
    chart.categoryAxis.labels.fontName = styles.fonts.regular
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = styles.fonts.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.categoryAxis.style = "stacked"
    chart.barWidth = 7 * mm
    chart.groupSpacing = 8 * mm
    for i in range(len(series)):
        chart.bars[i].fillColor = SERIES[i % len(SERIES)]
        chart.bars[i].strokeColor = None
    totals = [int(v or 0) for v in table.values("total")]
    top_value = _nice(max(totals, default=0) * 1.15)
    chart.valueAxis.valueMax = top_value
    chart.valueAxis.valueStep = top_value / 4
    drawing.add(chart)
    step = chart.width / max(len(totals), 1)
    for i, total in enumerate(totals):
        top = chart.y + chart.height * total / top_value
        drawing.add(
            String(
                chart.x + step * (i + 0.5),
                top + 2,
                _number(total),
                fontName=styles.fonts.bold,
                fontSize=7.5,
                textAnchor="middle",
                fillColor=INK,
            )
        )
    legend = Legend()
    legend.x, legend.y = width - 54 * mm, 42 * mm
    legend.fontName = styles.fonts.regular
    legend.fontSize = 7
    legend.columnMaximum = 4
    legend.dx = legend.dy = 6
    legend.deltay = 10
    legend.alignment = "right"
    legend.colorNamePairs = [
        (SERIES[i % len(SERIES)], _CHART_LABELS.get(r.key, _short(r.label, 34)))
        for i, r in enumerate(series)
    ]
    drawing.add(legend)
    return drawing


#: Chart labels where the policy's wording is too long for a chart; tables keep the full text.
_CHART_LABELS = {
    "notification": "Notification (individual or agency)",
    "pupil_database": "Pupil database report",
    "never_entered": "Never entered the system",
    "ceased": "Ceased to attend (exclusion or withdrawal)",
    "failed_transition": "Failed a transition between providers",
    "moved_out": "Moved out of the authority",
    "not_cme": "Not missing education",
    "untraceable": "Untraceable after all enquiries",
    "alternative_provision": "In alternative provision",
}


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value`` (a few steps per power of ten)."""
    if value <= 4:
        return 4.0
    magnitude = float(10 ** math.floor(math.log10(value)))
    steps = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
    return next(m * magnitude for m in steps if m * magnitude >= value)


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _bars(
    rows: Sequence[Row], width: float, styles: _Styles, *, color: Any, label_width: float = 66 * mm
) -> Drawing:
    """A horizontal bar per row: the chosen quarter's figure."""
    rows = [r for r in rows if not r.total]
    height = max(len(rows) * 6.5 * mm + 8 * mm, 24 * mm)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = label_width, 5 * mm
    chart.width, chart.height = width - label_width - 12 * mm, height - 8 * mm
    chart.data = [tuple(int(r.values[-1] or 0) for r in reversed(rows))]
    chart.categoryAxis.categoryNames = [
        _CHART_LABELS.get(r.key, _short(r.label, 44)) for r in reversed(rows)
    ]
    chart.categoryAxis.labels.fontName = styles.fonts.regular
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -2
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = styles.fonts.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.bars[0].fillColor = color
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = styles.fonts.regular
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


# --- the quarterly report --------------------------------------------------------------------


def _key_figures(report: QuarterlyReport) -> list[tuple[str, str, str]]:
    def pair(table: str, row: str) -> tuple[str, str]:
        now = report.figure(table, row)
        if len(report.quarters) < 2:
            return _number(now), ""
        before = report.figure(table, row, report.quarters[-2])
        if isinstance(now, int) and isinstance(before, int):
            change = now - before
            sign = "+" if change > 0 else ""
            return _number(now), f"{sign}{change:,} on {report.quarters[-2].label}"
        return _number(now), ""

    figures = [
        ("Notifications received", *pair("notifications_route", "total")),
        ("Cases open at the end of the quarter", *pair("caseload", "open_end")),
        ("Cases closed", *pair("closed_outcome", "total")),
        ("Median days open (closed cases)", *pair("duration", "median")),
        ("Referred to the Police", *pair("escalations", "police")),
        ("Referred to Children's Social Care", *pair("escalations", "social_care")),
        ("Home visits made", *pair("visits", "total")),
    ]
    return figures


def quarterly_pdf(
    report: QuarterlyReport, *, authority: AuthorityDetails | str | None = None
) -> bytes:
    """The quarterly report for the Departmental Management Team (aggregate figures only)."""
    who = _authority(authority)
    styles = _Styles()
    width = A4[0] - 32 * mm
    q = report.quarter
    story: list[Any] = _header(
        styles,
        "Children Missing Education — quarterly report",
        f"{q.label} ({q}) · for the Departmental Management Team (policy 9.0)",
        who,
    )
    key = [
        [
            Paragraph("<b>Key figures</b>", styles.cell),
            Paragraph(f"<b>{q.label}</b>", styles.number),
            Paragraph("<b>Change</b>", styles.number),
        ]
    ]
    for label, now, change in _key_figures(report):
        key.append(
            [
                Paragraph(label, styles.cell),
                Paragraph(f"<b>{now}</b>", styles.number),
                Paragraph(change, styles.number),
            ]
        )
    box = Table(key, colWidths=[width * 0.5, width * 0.18, width * 0.32])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SOFT),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("RIGHTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [box, Spacer(1, 2 * mm)]
    story.append(Paragraph("Notifications received, by quarter and route", styles.h2))
    story.append(_bar_trend(report, width, styles))
    story.append(
        KeepTogether(
            [
                Paragraph(f"Why children went missing, {q.label}", styles.h2),
                _bars(report.table("reasons").rows, width, styles, color=SERIES[0]),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                Paragraph(f"Cases closed by outcome, {q.label}", styles.h2),
                _bars(report.table("closed_outcome").rows, width, styles, color=SERIES[3]),
            ]
        )
    )
    story.append(CondPageBreak(60 * mm))
    story.append(
        Paragraph(
            "Each figure beside the three quarters before it; the shaded column is the "
            "quarter reported. Figures only: no child is named in this report.",
            styles.body,
        )
    )
    for table in report.tables:
        story.append(_section(styles, table, width))
    return _build(
        story,
        title=f"CME quarterly report {q}",
        authority=who,
        generated=report.generated_on,
        marking_note="aggregate figures, no personal data",
    )


def quarterly_csv(report: QuarterlyReport) -> str:
    """The quarterly figures as CSV: section, measure, then one column per quarter."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "measure", *[str(q) for q in report.quarters]])
    for table in report.tables:
        for row in table.rows:
            writer.writerow(
                [_cell(table.title), _cell(row.label), *[_csv_number(v) for v in row.values]]
            )
    return out.getvalue()


def _cell(text: str) -> str:
    # A cell starting with = + - @ (or a tab/CR) runs as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv_number(value: Any) -> str:
    return "" if value is None else str(value)


# --- the DfE return ------------------------------------------------------------------------


def dfe_csv(ret: DfeReturn) -> str:
    """The DfE return as CSV, one block per table, laid out for copying into the return."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Children missing education: termly return"])
    writer.writerow(["Census date", ret.census_date.isoformat()])
    writer.writerow(
        ["Open cases with no date of birth (not counted)", str(ret.unknown_date_of_birth)]
    )
    for table in ret.tables:
        writer.writerow([])
        writer.writerow([_cell(table.title)])
        writer.writerow(["", *table.columns])
        for row in table.rows:
            writer.writerow([_cell(row.label), *[_csv_number(v) for v in row.values]])
        if table.note:
            writer.writerow([_cell(table.note)])
    return out.getvalue()


def dfe_pdf(ret: DfeReturn, *, authority: AuthorityDetails | str | None = None) -> bytes:
    """A printable summary of the DfE termly return (aggregate figures only)."""
    who = _authority(authority)
    styles = _Styles()
    width = A4[0] - 32 * mm
    story: list[Any] = _header(
        styles,
        "Children missing education — DfE termly return",
        f"Census date {format_date(ret.census_date)} · {ret.missing_total:,} children missing "
        f"education on the day · {ret.previous_year_total:,} at any point in "
        f"{ret.previous_year.label}",
        who,
    )
    for table in ret.tables:
        story.append(_section(styles, table, width, highlight_last=False))
    if ret.unknown_date_of_birth:
        story.append(Spacer(1, 3 * mm))
        story.append(
            Paragraph(
                f"{ret.unknown_date_of_birth:,} open case(s) have no date of birth recorded: "
                "whether the child is of compulsory school age cannot be worked out, so they "
                "are not counted above. Record the dates of birth to include them.",
                styles.body,
            )
        )
    return _build(
        story,
        title=f"CME DfE return {ret.census_date.isoformat()}",
        authority=who,
        generated=ret.generated_on,
        marking_note="aggregate figures, no personal data",
    )


# --- pupils without a school place -------------------------------------------------------------

_PLACE_COLUMNS = (
    "Reference",
    "Name",
    "Date of birth",
    "Age",
    "Year group",
    "Last school",
    "Missing since",
    "Days missing",
    "Notified",
    "Step",
    "Whereabouts",
)


def without_place_csv(rows: Sequence[WithoutPlace]) -> str:
    """Pupils without a school place as CSV (names: for the named officer only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_PLACE_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.reference,
                _cell(r.full_name),
                r.date_of_birth.isoformat(),
                r.age,
                r.year_group,
                _cell(r.last_school),
                r.missing_since.isoformat(),
                r.days_missing,
                r.notified_on.isoformat(),
                r.current_step,
                "unknown" if r.whereabouts_unknown else "",
            ]
        )
    return out.getvalue()


def without_place_pdf(
    rows: Sequence[WithoutPlace],
    *,
    today: date,
    authority: AuthorityDetails | str | None = None,
) -> bytes:
    """Open cases of children of compulsory school age with no school place, longest first."""
    who = _authority(authority)
    styles = _Styles()
    pagesize = landscape(A4)
    width = pagesize[0] - 32 * mm
    story: list[Any] = _header(
        styles,
        "Children of compulsory school age without a school place",
        f"Open cases on {format_date(today)}: {len(rows):,} children, longest missing first "
        "(policy 8.3)",
        who,
    )
    fractions = (0.085, 0.15, 0.09, 0.04, 0.07, 0.175, 0.09, 0.065, 0.09, 0.045, 0.1)
    numeric = {"Age", "Days missing", "Step"}
    data: list[list[Any]] = [
        [
            Paragraph(_escape(c), styles.head if c in numeric else styles.head_left)
            for c in _PLACE_COLUMNS
        ]
    ]
    for r in rows:
        data.append(
            [
                Paragraph(r.reference, styles.cell),
                Paragraph(_escape(r.full_name), styles.cell_bold),
                Paragraph(format_date(r.date_of_birth), styles.cell),
                Paragraph(str(r.age), styles.number),
                Paragraph(r.year_group, styles.cell),
                Paragraph(_escape(r.last_school), styles.cell),
                Paragraph(format_date(r.missing_since), styles.cell),
                Paragraph(f"{r.days_missing:,}", styles.number),
                Paragraph(format_date(r.notified_on), styles.cell),
                Paragraph(str(r.current_step), styles.number),
                Paragraph("Unknown" if r.whereabouts_unknown else "", styles.cell),
            ]
        )
    if not rows:
        data.append(
            [
                Paragraph(
                    "No open case of a child of compulsory school age without a school place.",
                    styles.cell,
                )
            ]
            + [""] * 10
        )
    grid = Table(data, colWidths=[width * f for f in fractions], repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, SOFT]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if not rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    grid.setStyle(TableStyle(commands))
    story.append(grid)
    return _build(
        story,
        title="CME pupils without a school place",
        authority=who,
        generated=today,
        pagesize=pagesize,
        marking_note="personal data: for the CME named officer; do not forward",
    )
