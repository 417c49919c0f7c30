"""The reports as CSV, for spreadsheets and for copying into the DfE return.

Cells that a spreadsheet would run as a formula are neutralised. The
pupils-without-a-place file names children: it is for the named officer only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from cme_desktop.services.reports.dfe_return import DfeReturn
from cme_desktop.services.reports.quarterly import QuarterlyReport
from cme_desktop.services.reports.without_place import WITHOUT_PLACE_COLUMNS, WithoutPlace


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


def without_place_csv(rows: Sequence[WithoutPlace]) -> str:
    """Pupils without a school place as CSV (names: for the named officer only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WITHOUT_PLACE_COLUMNS)
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
