"""Reading back the cells of a workbook the application wrote (plain or protected)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from xml.etree import ElementTree

import msoffcrypto

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
EPOCH = date(1899, 12, 30)
DATE_STYLE = "2"


def decrypt(data: bytes, password: str) -> bytes:
    """The plain workbook inside a protected one, decrypted with msoffcrypto-tool itself."""
    office = msoffcrypto.OfficeFile(io.BytesIO(data))
    office.load_key(password=password, verify_password=True)
    out = io.BytesIO()
    office.decrypt(out, verify_integrity=True)
    return out.getvalue()


def cells(xlsx: bytes) -> list[list[str | float | date | None]]:
    """The first sheet's rows: text, numbers, dates (cells in the date style), None if empty."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as package:
        sheet = ElementTree.fromstring(package.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str | float | date | None]] = []
    for row in sheet.iter(f"{MAIN}row"):
        values: dict[int, str | float | date | None] = {}
        for cell in row.iter(f"{MAIN}c"):
            column = _column(cell.get("r", ""))
            if cell.get("t") == "inlineStr":
                values[column] = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
                continue
            number = float(cell.findtext(f"{MAIN}v") or "nan")
            if cell.get("s") == DATE_STYLE:
                values[column] = EPOCH + timedelta(days=number)
            else:
                values[column] = number
        width = max(values, default=-1) + 1
        rows.append([values.get(i) for i in range(width)])
    return rows


def _column(ref: str) -> int:
    index = 0
    for letter in ref:
        if not letter.isalpha():
            break
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1
