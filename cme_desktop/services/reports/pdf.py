"""The reports as PDF documents: the quarterly report, the DfE return and pupils without a place.

The quarterly report and the DfE return hold aggregate figures only; the
pupils-without-a-place report names children and is marked for the named
officer. The styles and page furniture are in ``layout``, the charts in ``charts``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

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
                    f"{len(ret.blockers)} counted case(s) lack a sex, a date of birth or a current "
                    "DfE reason, and are not in the figures below"
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
    ehe_note = (
        "Elective home education: the EHE tables above are counted from the register of "
        "children not in school (children on it at the end of the census day who are not "
        "registered pupils at any school)."
        if ret.ehe is not None
        else "Elective home education: not kept by this authority in this application (the "
        "register of children not in school has no entry yet). The EHE figures of the "
        "collection are marked “x” (not collected) in the CSV."
    )
    story.append(Paragraph(ehe_note, styles.note))
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
    rows: Iterable[WithoutPlace],
    *,
    today: date,
    authority: AuthorityDetails | str | None = None,
    total: int | None = None,
) -> bytes:
    """Open cases of children of compulsory school age with no school place, longest first.

    ``rows`` may be a stream from SQL (``without_place.iter_without_place``, with its
    ``total``): the table is laid out a page at a time as the rows come, so a list
    of 38,000 children holds one page's cells, not the whole table's.
    """
    if total is None:
        rows = list(rows)
        total = len(rows)
    who = authority_details(authority)
    styles = ReportStyles()
    pagesize = landscape(A4)
    width = pagesize[0] - 32 * mm
    story: list[Any] = heading(
        styles,
        "Children of compulsory school age without a school place",
        f"Open cases on {format_date(today)}: {total:,} children, longest missing first "
        "(policy 8.3)",
        who,
    )
    numeric = {"Age", "Days missing", "Step"}
    header = [
        Paragraph(escape(c), styles.head if c in numeric else styles.head_left)
        for c in WITHOUT_PLACE_COLUMNS
    ]
    widths = [width * f for f in _WITHOUT_PLACE_FRACTIONS]
    if total:
        story.append(_PagedRows(header, iter(rows), widths))
    else:
        empty = Paragraph(
            "No open case of a child of compulsory school age without a school place.",
            styles.cell,
        )
        grid = Table([header, [empty] + [""] * 10], colWidths=widths, repeatRows=1)
        grid.setStyle(TableStyle([*_WITHOUT_PLACE_STYLE, ("SPAN", (0, 1), (-1, 1))]))
        story.append(grid)
    return build_pdf(
        story,
        title="CME pupils without a school place",
        authority=who,
        generated=today,
        pagesize=pagesize,
        marking_note="personal data: for the CME named officer; do not forward",
    )


_WITHOUT_PLACE_FRACTIONS = (0.085, 0.15, 0.09, 0.04, 0.07, 0.175, 0.09, 0.065, 0.09, 0.045, 0.1)
#: The numeric columns (right-aligned), and the name's (bold).
_NUMERIC_COLUMNS, _NAME_COLUMN = (3, 7, 9), 1
#: A cell's padding, left and right, top and bottom (reportlab's default sides; ours).
_SIDE_PAD, _END_PAD = 6, 2
_WITHOUT_PLACE_STYLE: list[tuple[Any, ...]] = [
    ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, SOFT]),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ("TOPPADDING", (0, 0), (-1, -1), _END_PAD),
    ("BOTTOMPADDING", (0, 0), (-1, -1), _END_PAD),
]


#: The most of a name or a school shown in a cell: a row must fit on a page.
_LONGEST = 300


def _shortened(text: str) -> str:
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _pupil_texts(r: WithoutPlace) -> list[str]:
    return [
        r.reference,
        _shortened(r.full_name),
        format_date(r.date_of_birth),
        str(r.age),
        r.year_group,
        _shortened(r.last_school),
        format_date(r.missing_since),
        f"{r.days_missing:,}",
        format_date(r.notified_on),
        str(r.current_step),
        "Unknown" if r.whereabouts_unknown else "",
    ]


def _column_style(styles: ReportStyles, column: int) -> Any:
    if column == _NAME_COLUMN:
        return styles.cell_bold
    return styles.number if column in _NUMERIC_COLUMNS else styles.cell


class _PagedRows(Flowable):  # type: ignore[misc]
    """A long table laid out one page at a time, its heading row on every page.

    One table of every row is split again at each page (reportlab copies the rows
    left each time: minutes and gigabytes for 38,000 children); this takes from
    ``rows`` only what a page holds, as a table of its own, and comes back for the
    rest on the next page. Each row's height is measured once, when it is taken:
    a text that fits its column on one line is drawn as it is, and only a longer
    one is wrapped as a paragraph (wrapping every cell took most of the time).
    """

    def __init__(
        self, header: list[Any], rows: Iterator[WithoutPlace], widths: list[float]
    ) -> None:
        super().__init__()
        self.header = header
        self.rows = rows
        self.widths = widths
        self.styles = ReportStyles()
        self.pending: deque[tuple[list[Any], float]] = deque()
        inner = [w - 2 * _SIDE_PAD for w in widths]
        self.header_height = max(c.wrap(w, 10_000)[1] for c, w in zip(header, inner, strict=True))
        self.header_height += 2 * _END_PAD
        self.style = TableStyle(
            [
                *_WITHOUT_PLACE_STYLE,
                ("FONTNAME", (0, 1), (-1, -1), self.styles.cell.fontName),
                ("FONTNAME", (_NAME_COLUMN, 1), (_NAME_COLUMN, -1), self.styles.cell_bold.fontName),
                ("FONTSIZE", (0, 1), (-1, -1), self.styles.cell.fontSize),
                ("LEADING", (0, 1), (-1, -1), self.styles.cell.leading),
                ("TEXTCOLOR", (0, 1), (-1, -1), self.styles.cell.textColor),
                *[("ALIGN", (c, 1), (c, -1), "RIGHT") for c in _NUMERIC_COLUMNS],
            ]
        )

    def _row(self, r: WithoutPlace) -> tuple[list[Any], float]:
        cells: list[Any] = []
        height = float(self.styles.cell.leading)
        for column, (text, width) in enumerate(zip(_pupil_texts(r), self.widths, strict=True)):
            style = _column_style(self.styles, column)
            inner = width - 2 * _SIDE_PAD
            if stringWidth(text, style.fontName, style.fontSize) <= inner:
                cells.append(text)
                continue
            paragraph = Paragraph(escape(text), style)
            height = max(height, paragraph.wrap(inner, 10_000)[1])
            cells.append(paragraph)
        return cells, height + 2 * _END_PAD

    def _take(self) -> bool:
        if self.pending:
            return True
        r = next(self.rows, None)
        if r is None:
            return False
        self.pending.append(self._row(r))
        return True

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        # Taller than the space whenever rows remain, so that the frame asks for a split.
        return (avail_width, avail_height + 1) if self._take() else (avail_width, 0)

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        used = self.header_height
        page: list[list[Any]] = []
        heights: list[float] = []
        while self._take() and used + self.pending[0][1] <= avail_height:
            cells, height = self.pending.popleft()
            page.append(cells)
            heights.append(height)
            used += height
        if not page:
            return []  # not even one row fits here: the next frame
        grid = Table(
            [self.header, *page],
            colWidths=self.widths,
            rowHeights=[self.header_height, *heights],
            repeatRows=1,
        )
        grid.setStyle(self.style)
        if not self._take():
            return [grid]
        # The rest as a new flowable: reportlab marks one that found no room on a page
        # (``_postponed``) and would take this one, come back, for too large.
        rest = _PagedRows.__new__(_PagedRows)
        rest.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_postponed"})
        return [grid, rest]

    def draw(self) -> None:
        """Nothing of its own: the pages' tables are drawn."""
