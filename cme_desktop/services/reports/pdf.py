"""The reports as PDF documents: the quarterly report, the DfE return and pupils without a place.

The quarterly report and the DfE return hold aggregate figures only; the
pupils-without-a-place report names children and is marked for the named
officer. The styles and page furniture are in ``layout``, the charts in ``charts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, Spacer, Table, TableStyle

from cme_desktop.services.documents.styles import AuthorityDetails
from cme_desktop.services.reports.charts import bar_chart, notifications_trend
from cme_desktop.services.reports.dfe_return import DfeReturn
from cme_desktop.services.reports.layout import (
    ACCENT,
    RULE,
    SERIES,
    SOFT,
    ReportStyles,
    authority_details,
    build_pdf,
    escape,
    figure_section,
    figure_text,
    heading,
)
from cme_desktop.services.reports.quarterly import QuarterlyReport
from cme_desktop.services.reports.without_place import WITHOUT_PLACE_COLUMNS, WithoutPlace
from cme_desktop.services.rules.dates import format_date


def _key_figures(report: QuarterlyReport) -> list[tuple[str, str, str]]:
    def pair(table: str, row: str) -> tuple[str, str]:
        now = report.figure(table, row)
        if len(report.quarters) < 2:
            return figure_text(now), ""
        before = report.figure(table, row, report.quarters[-2])
        if isinstance(now, int) and isinstance(before, int):
            change = now - before
            sign = "+" if change > 0 else ""
            return figure_text(now), f"{sign}{change:,} on {report.quarters[-2].label}"
        return figure_text(now), ""

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
    who = authority_details(authority)
    styles = ReportStyles()
    width = A4[0] - 32 * mm
    q = report.quarter
    story: list[Any] = heading(
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
    story.append(notifications_trend(report, width, styles))
    story.append(
        KeepTogether(
            [
                Paragraph(f"Why children went missing, {q.label}", styles.h2),
                bar_chart(report.table("reasons").rows, width, styles, color=SERIES[0]),
            ]
        )
    )
    story.append(
        KeepTogether(
            [
                Paragraph(f"Cases closed by outcome, {q.label}", styles.h2),
                bar_chart(report.table("closed_outcome").rows, width, styles, color=SERIES[3]),
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
        story.append(figure_section(styles, table, width))
    return build_pdf(
        story,
        title=f"CME quarterly report {q}",
        authority=who,
        generated=report.generated_on,
        marking_note="aggregate figures, no personal data",
    )


# --- the DfE return ------------------------------------------------------------------------


def dfe_pdf(ret: DfeReturn, *, authority: AuthorityDetails | str | None = None) -> bytes:
    """The DfE termly return for sign-off: the figures as submitted, the EHE half's state,
    and lines for the officer who checked it and the manager who signs it off."""
    who = authority_details(authority)
    styles = ReportStyles()
    width = A4[0] - 32 * mm
    la = f"LA {ret.la_number}" if ret.la_number else "LA number not set"
    story: list[Any] = heading(
        styles,
        "Children missing education — DfE termly return",
        f"{la} · census date {format_date(ret.census_date)} · {ret.missing_total:,} children "
        f"missing education on the day · {ret.previous_year_total:,} at any point in "
        f"{ret.previous_year.label}",
        who,
    )
    if not ret.ready:
        story.append(
            Paragraph(
                "<b>Not ready to submit.</b> "
                + escape(
                    f"{len(ret.blockers)} counted case(s) lack a sex, a date of birth or a DfE "
                    "reason, and are not in the figures below"
                    if ret.blockers
                    else "The authority's LA number is not set (Settings)"
                )
                + ".",
                styles.body,
            )
        )
    for table in ret.tables:
        # A long table (the reasons) comes back as its parts, to run over a page.
        section = figure_section(styles, table, width, highlight_last=False)
        story.extend(section if isinstance(section, list) else [section])
    story.append(
        Paragraph(
            "Elective home education: not kept by this authority in this application. The "
            "EHE figures of the collection are marked “x” (not collected) in the CSV; they "
            "will come from the EHE register.",
            styles.note,
        )
    )
    story.append(Spacer(1, 6 * mm))
    story.append(KeepTogether(_sign_off(styles, width)))
    return build_pdf(
        story,
        title=f"CME DfE return {ret.census_date.isoformat()}",
        authority=who,
        generated=ret.generated_on,
        marking_note="aggregate figures, no personal data",
    )


def _sign_off(styles: ReportStyles, width: float) -> list[Any]:
    rows = [
        [Paragraph(escape(t), styles.cell_bold) for t in ("", "Name", "Signature", "Date")],
        *[
            [Paragraph(escape(role), styles.cell), "", "", ""]
            for role in ("Checked by (named CME officer)", "Signed off by")
        ],
    ]
    table = Table(
        rows,
        colWidths=[width * 0.34, width * 0.26, width * 0.24, width * 0.16],
        rowHeights=[None, 11 * mm, 11 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SOFT),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return [Paragraph("Sign-off", styles.h2), table]


# --- pupils without a school place -------------------------------------------------------------


def without_place_pdf(
    rows: Sequence[WithoutPlace],
    *,
    today: date,
    authority: AuthorityDetails | str | None = None,
) -> bytes:
    """Open cases of children of compulsory school age with no school place, longest first."""
    who = authority_details(authority)
    styles = ReportStyles()
    pagesize = landscape(A4)
    width = pagesize[0] - 32 * mm
    story: list[Any] = heading(
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
            Paragraph(escape(c), styles.head if c in numeric else styles.head_left)
            for c in WITHOUT_PLACE_COLUMNS
        ]
    ]
    for r in rows:
        data.append(
            [
                Paragraph(r.reference, styles.cell),
                Paragraph(escape(r.full_name), styles.cell_bold),
                Paragraph(format_date(r.date_of_birth), styles.cell),
                Paragraph(str(r.age), styles.number),
                Paragraph(r.year_group, styles.cell),
                Paragraph(escape(r.last_school), styles.cell),
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
    return build_pdf(
        story,
        title="CME pupils without a school place",
        authority=who,
        generated=today,
        pagesize=pagesize,
        marking_note="personal data: for the CME named officer; do not forward",
    )
