"""The quarterly report's charts: notifications by quarter and route, and one-quarter bar charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.units import mm

from cme_desktop.services.reports.layout import INK, RULE, SERIES, ReportStyles, figure_text
from cme_desktop.services.reports.quarterly import QuarterlyReport
from cme_desktop.services.reports.tables import Row


def notifications_trend(report: QuarterlyReport, width: float, styles: ReportStyles) -> Drawing:
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
                figure_text(total),
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


def bar_chart(
    rows: Sequence[Row],
    width: float,
    styles: ReportStyles,
    *,
    color: Any,
    label_width: float = 66 * mm,
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
