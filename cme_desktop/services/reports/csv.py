"""The reports as CSV, for spreadsheets and for copying into the DfE return.

Cells that a spreadsheet would run as a formula are neutralised. The
pupils-without-a-place file names children: it is for the named officer only, and
leaves the application as CSV only when the officer has chosen an unprotected file
(``reports.workbook`` makes the protected copy).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any, TextIO

from cme_desktop.services.reports.dfe_csv import return_csv
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
    """The DfE return in the collection's layout, checked (``dfe_csv.return_csv``)."""
    return return_csv(ret)


def without_place_cells(r: WithoutPlace) -> list[str | int | date]:
    """One child's values, one per ``WITHOUT_PLACE_COLUMNS`` (the CSV's and the workbook's)."""
    return [
        r.reference,
        r.full_name,
        r.date_of_birth,
        r.age,
        r.year_group,
        r.last_school,
        r.missing_since,
        r.days_missing,
        r.notified_on,
        r.current_step,
        "unknown" if r.whereabouts_unknown else "",
    ]


def without_place_table(rows: Iterable[WithoutPlace]) -> list[list[str | int | date]]:
    """The rows of the pupils-without-a-place list, one value per ``WITHOUT_PLACE_COLUMNS``.

    Shared by the CSV and the workbook, so that both have the same columns.
    """
    return [without_place_cells(r) for r in rows]


def write_without_place_csv(rows: Iterable[WithoutPlace], out: TextIO) -> int:
    """Write pupils without a school place as CSV to ``out``, a row at a time; the count.

    ``rows`` may be a stream from SQL (``without_place.iter_without_place``): nothing
    but the row being written is held.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WITHOUT_PLACE_COLUMNS)
    written = 0
    for r in rows:
        writer.writerow(
            [
                v.isoformat() if isinstance(v, date) else _cell(v) if isinstance(v, str) else v
                for v in without_place_cells(r)
            ]
        )
        written += 1
    return written


def without_place_csv(rows: Iterable[WithoutPlace]) -> str:
    """Pupils without a school place as CSV (names: for the named officer only).

    CSV cannot be encrypted: the window and the ``cme`` command write it only when
    the officer has chosen an unprotected file; the protected copy is a workbook.
    """
    out = io.StringIO()
    write_without_place_csv(rows, out)
    return out.getvalue()
