"""Reports from the pupil database: children known to the authority without a school place.

Policy 8.1 ii: besides referrals, children missing education are identified
by "reports from the pupil database, identifying children known to the Local
Authority without a school place". Those reports arrive as CSV files whose
columns differ between databases and between report versions, so columns are
found by their heading, not by their position:

====================  ===========================================================
field                 headings read (case, spaces and punctuation ignored)
====================  ===========================================================
``upn``               UPN, Unique Pupil Number
``surname``           Surname, Last Name, Family Name, Legal Surname
``forenames``         Forename(s), First Name(s), Given Name(s), Legal Forename(s)
(both, if no above)   Name, Full Name, Pupil Name, Child Name ("Smith, Jo" or "Jo Smith")
``date_of_birth``     DOB, Date of Birth, Birth Date (also "DOB (dd/mm/yyyy)")
``gender``            Gender, Sex
``address``           Address, Last Known Address, or Address 1..n / Address Line n,
                      Street, Locality, Town, City, County (joined in column order)
``postcode``          Postcode, Post Code, Postal Code
``last_school``       Last School, School, Previous School, Last School Attended
``date_left``         Date Left, Off Roll Date, Date Off Roll, Leaving Date
====================  ===========================================================

The heading row may follow a title line or two. Dates are read day first (the
lenient reader of ``rules.dates``). The file may start with a byte order
mark, be UTF-8 or Windows-1252 (as Excel saves "CSV") or UTF-16 (Excel's
"Unicode text"), separated by commas, semicolons or tabs.

A row with a problem (no name, an unreadable date, a UPN with a wrong check
letter) is still returned, with its problems in words, so that one bad line
never loses the rest of the report. Matching rows against existing cases is
``pupil_report``'s work, not this module's.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from cme_desktop.services.errors import CorruptFile, HostileFile, UnsupportedFile
from cme_desktop.services.reports.dfe_codes import sex_from_gender
from cme_desktop.services.rules.dates import parse_uk_date
from cme_desktop.services.rules.names import clean_name
from cme_desktop.services.rules.upn import normalise_upn, upn_problem

__all__ = ["MAX_CSV_BYTES", "MAX_ROWS", "PupilRecord", "read_pupil_csv"]

MAX_CSV_BYTES: Final = 20 * 1024 * 1024
MAX_ROWS: Final = 100_000
_HEADING_SEARCH_ROWS: Final = 10

_HEADINGS: Final[Mapping[str, frozenset[str]]] = {
    field: frozenset(words.split())
    for field, words in {
        "upn": "upn uniquepupilnumber pupilupn",
        "surname": "surname lastname familyname legalsurname pupilsurname",
        "forenames": (
            "forename forenames firstname firstnames givenname givennames legalforename "
            "legalforenames christianname pupilforename pupilforenames"
        ),
        "name": "name fullname pupilname childname childsname nameofpupil pupil child",
        "date_of_birth": "dob dateofbirth birthdate",
        "gender": "gender sex",
        "address": "address lastknownaddress homeaddress currentaddress fulladdress",
        "postcode": "postcode postalcode",
        "last_school": (
            "lastschool school schoolname previousschool lastschoolattended lastschoolname "
            "formerschool previousschoolname"
        ),
        "date_left": (
            "dateleft offrolldate dateoffroll leavingdate dateofleaving leftdate "
            "dateleftschool dateremovedfromroll"
        ),
    }.items()
}
# Headings that may carry a hint after them, e.g. "DOB (dd/mm/yyyy)".
_HEADING_PREFIXES: Final = (("dateofbirth", "date_of_birth"), ("dob", "date_of_birth"))
_ADDRESS_PART = re.compile(r"(?:address|addr)(?:line)?[0-9]|street|locality|town|city|county")
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})")
_GENDERS: Final = {"m": "Male", "male": "Male", "f": "Female", "female": "Female"}


@dataclass(frozen=True)
class PupilRecord:
    """One child from a pupil database report, as the report gives them.

    ``row`` is the row's line number in the file, as a spreadsheet shows it.
    ``upn`` is ``None`` when the report gives none or an invalid one (the
    problem says which). ``problems`` says in words what is missing or could
    not be read in this row; an empty tuple means none.
    """

    row: int
    upn: str | None
    surname: str
    forenames: str
    date_of_birth: date | None
    gender: str
    address: str
    postcode: str
    last_school: str
    date_left: date | None
    problems: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """Forenames then surname, as a name is written on a form."""
        return " ".join(part for part in (self.forenames, self.surname) if part)


def read_pupil_csv(data: bytes, *, today: date | None = None) -> list[PupilRecord]:
    """The children listed in a pupil database report (CSV), one record per row.

    ``today`` (default: today) places two-digit years and finds dates of birth
    in the future. Raises ``HostileFile`` past ``MAX_CSV_BYTES`` or
    ``MAX_ROWS``, ``CorruptFile`` for a file that is not text or not CSV, and
    ``UnsupportedFile`` when no heading row naming the child is found.
    """
    if len(data) > MAX_CSV_BYTES:
        raise HostileFile(
            f"The report is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB: far larger than a "
            "pupil database report, so it was not opened."
        )
    text = _decode(data)
    rows = _rows(text)
    heading_index, columns = _find_headings(rows)
    day = today if today is not None else date.today()
    records: list[PupilRecord] = []
    for index in range(heading_index + 1, len(rows)):
        cells = rows[index]
        if any(cell.strip() for cell in cells):
            records.append(_record(cells, columns, row=index + 1, today=day))
    return records


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: Sequence[str] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252", "latin-1")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise CorruptFile("The report is not a text (CSV) file.")


def _rows(text: str) -> list[list[str]]:
    """The file's rows, split by whichever of comma, semicolon or tab splits its start best."""
    sample = text.splitlines()[:_HEADING_SEARCH_ROWS]

    def widest(delimiter: str) -> int:
        try:
            return max((len(row) for row in csv.reader(sample, delimiter=delimiter)), default=0)
        except csv.Error:
            return 0

    delimiter = max((",", ";", "\t"), key=widest)  # max keeps the first of equals: comma
    rows: list[list[str]] = []
    # newline="" keeps a line break inside a quoted field (an address) in its field.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) > MAX_ROWS + _HEADING_SEARCH_ROWS:
                raise HostileFile(
                    f"The report has more than {MAX_ROWS:,} rows: too many to read at once. "
                    "Ask for the report in parts."
                )
    except csv.Error as error:
        raise CorruptFile(
            f"Line {reader.line_num} of the report cannot be read as CSV ({error})."
        ) from None
    return rows


def _heading_field(heading: str) -> str | None:
    key = re.sub(r"[^a-z0-9]", "", heading.lower())
    for field, words in _HEADINGS.items():
        if key in words:
            return field
    for prefix, field in _HEADING_PREFIXES:
        if key.startswith(prefix):
            return field
    if _ADDRESS_PART.fullmatch(key):
        return "address_part"
    return None


def _find_headings(rows: list[list[str]]) -> tuple[int, dict[str, list[int]]]:
    """The heading row's index and, for each field, the columns that hold it."""
    for index, row in enumerate(rows[:_HEADING_SEARCH_ROWS]):
        columns: dict[str, list[int]] = {}
        for column, heading in enumerate(row):
            field = _heading_field(heading)
            if field is not None:
                columns.setdefault(field, []).append(column)
        names = columns.keys() & {"surname", "forenames", "name"}
        if names and len(columns) >= 2:
            return index, columns
    raise UnsupportedFile(
        "This CSV file does not look like a pupil database report: none of its first "
        f"{_HEADING_SEARCH_ROWS} lines has column headings naming the child (Surname and "
        "Forename, or Name) and their details."
    )


def _record(
    cells: list[str], columns: dict[str, list[int]], *, row: int, today: date
) -> PupilRecord:
    def cell(field: str) -> str:
        found = columns.get(field)
        if not found or found[0] >= len(cells):
            return ""
        # On one line, without invisible format characters (a zero-width space in a name).
        return clean_name(cells[found[0]])

    problems: list[str] = []
    surname, forenames = cell("surname"), cell("forenames")
    if not surname and not forenames:
        surname, forenames = _split_name(cell("name"))
    if not surname and not forenames:
        problems.append("No name is given.")

    upn_text = cell("upn")
    upn: str | None = None
    if upn_text:
        problem = upn_problem(upn_text)
        if problem is None:
            upn = normalise_upn(upn_text)
        else:
            problems.append(f"UPN “{upn_text}”: {problem}")

    date_of_birth = _date(cell("date_of_birth"), "date of birth", problems, today=today)
    if not cell("date_of_birth"):
        problems.append("No date of birth is given.")
    if date_of_birth is not None and date_of_birth > today:
        problems.append(f"The date of birth {date_of_birth:%d/%m/%Y} is in the future.")

    postcode = cell("postcode").upper()
    match = _POSTCODE.fullmatch(postcode)
    if match:
        postcode = f"{match[1]} {match[2]}"
    elif postcode:
        problems.append(f"The postcode “{postcode}” does not look like a UK postcode.")

    gender = cell("gender")
    if sex_from_gender(gender).needs_review:
        problems.append(
            f"The sex “{gender}” is not clear: it is recorded as not known, for you to check."
        )
    address_columns = columns.get("address", [])[:1] + columns.get("address_part", [])
    # A line break inside an address cell separates its lines, as the commas between cells do.
    address_lines = [
        " ".join(line.split())
        for column in address_columns
        if column < len(cells)
        for line in cells[column].splitlines()
    ]
    return PupilRecord(
        row=row,
        upn=upn,
        surname=surname,
        forenames=forenames,
        date_of_birth=date_of_birth,
        gender=_GENDERS.get(gender.lower(), gender),
        address=", ".join(line for line in address_lines if line),
        postcode=postcode,
        last_school=cell("last_school"),
        date_left=_date(cell("date_left"), "date left", problems, today=today),
        problems=tuple(problems),
    )


def _date(text: str, what: str, problems: list[str], *, today: date) -> date | None:
    if not text:
        return None
    value = parse_uk_date(text, today=today)
    if value is None:
        problems.append(f"The {what} “{text}” cannot be read as a date.")
    return value


def _split_name(name: str) -> tuple[str, str]:
    """(surname, forenames) of a name written "Surname, Forenames" or "Forenames Surname"."""
    if "," in name:
        surname, _, forenames = name.partition(",")
        return surname.strip(), forenames.strip()
    words = name.split()
    return (words[-1], " ".join(words[:-1])) if words else ("", "")
