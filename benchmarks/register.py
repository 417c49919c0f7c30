"""The same register as a spreadsheet: every case of a demo vault, the list's columns, .xlsx.

What an officer without CME Desktop keeps instead: one workbook with a row per child.
``officer.py`` times LibreOffice opening it beside CME Desktop opening the vault. The
workbook is written here (shared strings, as Excel and LibreOffice write them), once per
vault, and cached beside it in ``benchmarks/out/``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from cme_desktop.services.cases.case_list import CaseList, CaseQuery, CaseRow
from cme_desktop.services.vault.unlock import Vault

HEADERS = (
    "Name",
    "Date of birth",
    "Last known address",
    "School",
    "Tracking step",
    "Opened",
    "Closed",
    "Next task due",
    "Escalated",
    "UPN",
)

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""  # noqa: E501 - the part names are what they are
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""  # noqa: E501
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Cases" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""  # noqa: E501
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""  # noqa: E501
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def register_path(vault: Path) -> Path:
    """Where the register of ``vault`` is cached."""
    return vault.with_name(vault.stem + "-register.xlsx")


def _cells(row: CaseRow) -> Sequence[str]:
    flags = " ".join(
        f for f, on in (("P", row.escalated_police), ("SC", row.escalated_social_care)) if on
    )

    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    return (
        row.full_name,
        day(row.date_of_birth),
        ", ".join(p.strip() for p in row.last_known_address.splitlines() if p.strip()),
        row.school,
        f"{row.current_step}. {row.step_label()}",
        day(row.opened_on),
        day(row.closed_on),
        day(row.next_task_due),
        flags,
        row.upn,
    )


def _rows(vault: Path, passphrase: str) -> Iterator[Sequence[str]]:
    db = Vault(vault).unlock(passphrase, actor="benchmark")
    try:
        listing = CaseList(db)
        ids = listing.matching_ids(CaseQuery(quick="all", sort="id"))
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            found = listing.rows(chunk)
            for case_id in chunk:
                yield _cells(found[case_id])
    finally:
        db.close()


def _column(n: int) -> str:
    name = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_register(vault: Path, passphrase: str) -> Path:
    """The register of every case in ``vault`` as a workbook (cached); returns its path."""
    target = register_path(vault)
    if target.exists() and target.stat().st_mtime >= vault.stat().st_mtime:
        return target
    strings: dict[str, int] = {}
    sheet = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_NS}">']
    sheet.append("<sheetData>")
    for number, cells in enumerate((HEADERS, *_rows(vault, passphrase)), start=1):
        out = [f'<row r="{number}">']
        for col, text in enumerate(cells):
            if not text:
                continue
            index = strings.setdefault(text, len(strings))
            out.append(f'<c r="{_column(col)}{number}" t="s"><v>{index}</v></c>')
        out.append("</row>")
        sheet.append("".join(out))
    sheet.append("</sheetData></worksheet>")
    shared = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_NS}">']
    shared += [f"<si><t>{escape(text)}</t></si>" for text in strings]
    shared.append("</sst>")
    partial = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", "".join(sheet))
        book.writestr("xl/sharedStrings.xml", "".join(shared))
    partial.replace(target)
    return target
