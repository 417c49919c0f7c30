"""A report table as an Excel workbook (.xlsx), written with the standard library only.

A workbook is a zip of a few XML parts (ECMA-376, SpreadsheetML). This writes the
smallest set Excel, LibreOffice and Numbers open without a repair prompt: one sheet,
a bold and frozen header row, column widths, text as inline strings and dates as real
dates (so that they sort). The plain workbook is only ever held in memory: the
officer's copy leaves the application encrypted (``protection.outputs``).

Text is stored as text: a spreadsheet never runs an inline string as a formula, so a
name starting with ``=`` is shown as typed. Characters XML cannot hold (control
characters) are dropped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from cme_desktop.services.reports.csv import without_place_table
from cme_desktop.services.reports.without_place import WITHOUT_PLACE_COLUMNS, WithoutPlace

Cell = str | int | float | date | None

#: Excel's limits: characters in a cell, in a sheet's name.
MAX_CELL_CHARS = 32_767
MAX_SHEET_NAME = 31
#: A package smaller than this is stored uncompressed (see ``workbook``).
SMALL_PACKAGE = 8192
#: Excel counts days from 30 December 1899 (its 1900 leap-year quirk included).
_EPOCH = date(1899, 12, 30)
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLE_HEADER, _STYLE_DATE = 1, 2

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>CME Desktop</Application><DocSecurity>0</DocSecurity>'
    "</Properties>"
)
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Fonts: regular, bold. Cell formats: 0 plain, 1 bold (the header), 2 a date (format 14,
# the reader's own short date: dd/mm/yyyy on a UK computer).
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letters(index: int) -> str:
    """The letters of the 0-based column ``index``: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _text(value: str) -> str:
    return _NOT_IN_XML.sub("", value)[:MAX_CELL_CHARS]


def _cell(ref: str, value: Cell, *, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):  # a bool is an int to Python, a word to the officer
        value = "yes" if value else "no"
    if isinstance(value, date):
        serial = (value - _EPOCH).days
        return f'<c r="{ref}" s="{_STYLE_DATE}"><v>{serial}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    text = _text(str(value))
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t{space}>{escape(text)}</t></is></c>'


def _width(values: Sequence[Cell]) -> float:
    longest = max((10 if isinstance(v, date) else len(str(v or "")) for v in values), default=8)
    return float(min(max(longest, 8), 60) + 2)


def _sheet(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    columns = len(header)
    widths = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{_width([header[i]] + [r[i] for r in rows])}"'
        ' customWidth="1"/>'
        for i in range(columns)
    )
    lines = [
        '<row r="1">'
        + "".join(
            _cell(f"{column_letters(i)}1", name, style=_STYLE_HEADER)
            for i, name in enumerate(header)
        )
        + "</row>"
    ]
    for n, values in enumerate(rows, start=2):
        cells = "".join(_cell(f"{column_letters(i)}{n}", v) for i, v in enumerate(values))
        lines.append(f'<row r="{n}">{cells}</row>')
    return (
        _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>'
        f"<cols>{widths}</cols>"
        f"<sheetData>{''.join(lines)}</sheetData>"
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    )


def workbook(sheet_name: str, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """One sheet named ``sheet_name``: ``header`` in bold (frozen), then ``rows``, as .xlsx."""
    if any(len(r) != len(header) for r in rows):
        raise ValueError("every row needs one value per column")
    name = _NOT_IN_SHEET_NAME.sub(" ", _text(sheet_name)).strip()[:MAX_SHEET_NAME] or "Sheet1"
    book = (
        _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheets><sheet name={quoteattr(name)} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )
    core = (
        _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(name)}</dc:title></cp:coreProperties>"
    )
    parts = (
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/app.xml", _APP),
        ("docProps/core.xml", core),
        ("xl/workbook.xml", book),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
        ("xl/styles.xml", _STYLES),
        ("xl/worksheets/sheet1.xml", _sheet(header, rows)),
    )
    package = _zip(parts, zipfile.ZIP_DEFLATED)
    if len(package) < SMALL_PACKAGE:
        # msoffcrypto writes a broken container when the encrypted package is under
        # 4 KiB (it lands in the OLE mini stream): a short list is stored uncompressed,
        # which keeps even an empty one above that size.
        package = _zip(parts, zipfile.ZIP_STORED)
    return package


def _zip(parts: Sequence[tuple[str, str]], method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as package:
        for part, xml in parts:
            # A fixed time stamp: the same report gives the same bytes.
            info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            package.writestr(info, xml.encode("utf-8"))
    return out.getvalue()


def without_place_workbook(rows: Sequence[WithoutPlace]) -> bytes:
    """Pupils without a school place as a workbook, the CSV's columns (names: protect it)."""
    return workbook("Without a school place", WITHOUT_PLACE_COLUMNS, without_place_table(rows))
