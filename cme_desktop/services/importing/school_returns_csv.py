"""Schools' deletion returns and new pupil returns (regulation 13, SI 2024/208) read from CSV.

A school tells the authority when it deletes a pupil from its admission register
(a *deletion return*: name, address, the parents the pupil lives with, the
ground of regulation 9 and the destination) and when it admits one (a *new pupil
return*). Schools send them as spreadsheets; the columns are found by their
heading (case, spaces and punctuation ignored), as ``docs/school-returns.md``
sets out:

=====================  ==========================================================
field                  headings read
=====================  ==========================================================
``kind``               Return Type, Return ("Deletion" / "New pupil")
``school``             School, School Name, Reporting School
``upn``                UPN, Unique Pupil Number
``surname``            Surname, Last Name, Legal Surname
``forenames``          Forename(s), First Name(s), Legal Forename(s)
(both, if none above)  Name, Full Name, Pupil Name
``date_of_birth``      DOB, Date of Birth
``sex``                Sex, Gender
``address``            Address, Home Address, Pupil Address
``postcode``           Postcode, Post Code
``parents``            Parents, Parent/Carer, Parent Name(s), Parents Lived With
``parent_phone``       Parent Telephone, Parent Phone, Emergency Telephone
``ground``             Ground, Deletion Ground, Ground for Deletion, Regulation
``on``                 Date of Deletion, Deletion Date, Date Off Roll; for a new
                       pupil: Start Date, Starting Day, Date of Admission
``destination``        Destination, Destination School, New School, Moving To
=====================  ==========================================================

A row's kind is its Return Type, else "deletion" when it gives a ground and
"new pupil" when it gives a start date. A ground is read as written on forms:
``9(1)(i)``, ``reg 9(1)(i)``, ``(i)`` or ``i``. A file is a school return only
when its headings have a Return Type, a ground or a start date column;
otherwise ``read_school_returns`` gives ``None`` and the file is read as a pupil
database report (``pupil_csv``). A row with a problem is still returned, with
its problems in words, so that one bad line never loses the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from cme_desktop.models.closure_terms import DELETION_GROUND_KEYS
from cme_desktop.services.errors import HostileFile
from cme_desktop.services.importing import pupil_csv
from cme_desktop.services.register.notice_words import ground_in_words
from cme_desktop.services.rules.dates import parse_uk_date
from cme_desktop.services.rules.names import clean_name
from cme_desktop.services.rules.upn import normalise_upn, upn_problem

__all__ = ["SchoolReturnRow", "parse_ground", "read_school_returns"]

_HEADING_ROWS: Final = 10
_HEADINGS: Final[dict[str, frozenset[str]]] = {
    field: frozenset(words.split())
    for field, words in {
        "kind": "returntype return typeofreturn",
        "school": "school schoolname reportingschool",
        "upn": "upn uniquepupilnumber",
        "surname": "surname lastname legalsurname familyname",
        "forenames": "forename forenames firstname firstnames legalforename legalforenames",
        "name": "name fullname pupilname childname",
        "date_of_birth": "dob dateofbirth birthdate",
        "sex": "sex gender",
        "address": "address homeaddress pupiladdress",
        "postcode": "postcode postalcode",
        "parents": "parents parent parentcarer parentcarers parentname parentnames "
        "parentslivedwith parentcarernames",
        "parent_phone": "parenttelephone parentphone emergencytelephone telephone",
        "ground": "ground deletionground groundfordeletion regulation groundofdeletion",
        "deleted_on": "dateofdeletion deletiondate dateoffroll dateremoved datedeleted",
        "started_on": "startdate startingday dateofadmission admissiondate",
        "destination": "destination destinationschool newschool movingto",
    }.items()
}
#: The headings that make a CSV file a school return rather than a pupil report.
_RETURN_FIELDS: Final = frozenset({"kind", "ground", "started_on"})
# A letter of regulation 9(1) (``closure_terms.DELETION_GROUNDS``: (a) to (o)).
_GROUND = re.compile(r"^(?:reg(?:ulation)?\.?\s*)?(?:9\s*\(\s*1\s*\)\s*)?\(?\s*([a-z])\s*\)?$")
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})")


@dataclass(frozen=True)
class SchoolReturnRow:
    """One pupil of a school's return, as the school gave them.

    ``kind`` is ``"deletion"`` or ``"new_pupil"`` (``""`` when it cannot be told);
    ``ground`` a key of ``closure_terms.DELETION_GROUNDS`` (a deletion's); ``on``
    the day of deletion or the starting day. ``row`` is the line in the file.
    """

    row: int
    kind: str
    school: str
    upn: str | None
    surname: str
    forenames: str
    date_of_birth: date | None
    sex: str
    address: str
    postcode: str
    parents: str
    parent_phone: str
    ground: str
    on: date | None
    destination: str
    problems: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        """Forenames then surname."""
        return " ".join(part for part in (self.forenames, self.surname) if part)


def parse_ground(text: str) -> str | None:
    """The regulation 9(1) letter in ``9(1)(i)``, ``reg 9(1)(i)``, ``(i)`` or ``i``; else None.

    A school's notice of removal for home education may give its ground in words
    ("Elective home education", "EHE"): that is 9(1)(f) (``register.notice_words``).
    """
    match = _GROUND.match(" ".join(text.lower().split()))
    if match is None or match[1] not in DELETION_GROUND_KEYS:
        return ground_in_words(text)
    return match[1]


def read_school_returns(data: bytes, *, today: date | None = None) -> list[SchoolReturnRow] | None:
    """The pupils of a school's deletion or new pupil return (CSV), one per row.

    ``None`` when the file's headings are not those of a school return (read it
    as a pupil database report instead). Raises ``HostileFile`` past the size
    and row limits of ``pupil_csv`` and ``CorruptFile`` for a file that is not
    CSV text.
    """
    if len(data) > pupil_csv.MAX_CSV_BYTES:
        raise HostileFile(
            "The file is larger than any school's return: it was not opened "
            f"(more than {pupil_csv.MAX_CSV_BYTES // (1024 * 1024)} MB)."
        )
    # The pupil report's reader of bytes and rows: the same encodings and separators.
    rows = pupil_csv._rows(pupil_csv._decode(data))
    found = _headings(rows)
    if found is None:
        return None
    heading, columns = found
    day = today or date.today()
    return [
        _record(cells, columns, row=index + 1, today=day)
        for index, cells in enumerate(rows)
        if index > heading and any(cell.strip() for cell in cells)
    ]


def _key(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


def _headings(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:_HEADING_ROWS]):
        columns: dict[str, int] = {}
        for column, heading in enumerate(row):
            key = _key(heading)
            field = next((f for f, words in _HEADINGS.items() if key in words), None)
            if field is not None:
                columns.setdefault(field, column)
        named = columns.keys() & {"surname", "forenames", "name"}
        if named and columns.keys() & _RETURN_FIELDS:
            return index, columns
    return None


def _record(cells: list[str], columns: dict[str, int], *, row: int, today: date) -> SchoolReturnRow:
    def cell(field: str) -> str:
        column = columns.get(field)
        if column is None or column >= len(cells):
            return ""
        return clean_name(cells[column])

    problems: list[str] = []
    surname, forenames = cell("surname"), cell("forenames")
    if not surname and not forenames:
        name = cell("name")
        if "," in name:
            surname, _, forenames = (part.strip() for part in name.partition(","))
        elif name:
            *first, surname = name.split()
            forenames = " ".join(first)
    if not surname and not forenames:
        problems.append("No name is given.")

    upn: str | None = None
    if cell("upn"):
        problem = upn_problem(cell("upn"))
        if problem is None:
            upn = normalise_upn(cell("upn"))
        else:
            problems.append(f"UPN “{cell('upn')}”: {problem}")

    ground_text = cell("ground")
    ground = parse_ground(ground_text) if ground_text else None
    if ground_text and ground is None:
        problems.append(
            f"The ground “{ground_text}” is not one of regulation 9(1) (a) to (n): "
            "write it as 9(1)(i), for example."
        )
    kind = _kind(cell("kind"), ground_text, cell("started_on"), problems)
    on_text = cell("started_on") if kind == "new_pupil" else cell("deleted_on")
    on = _date(on_text, "date", problems, today)
    if kind == "deletion" and not ground_text:
        problems.append("A deletion return needs the ground for deletion.")
    if kind and on is None and not on_text:
        problems.append(
            "No starting day is given." if kind == "new_pupil" else "No date of deletion is given."
        )
    dob = _date(cell("date_of_birth"), "date of birth", problems, today)
    if dob is not None and dob > today:
        problems.append(f"The date of birth {dob:%d/%m/%Y} is in the future.")
        dob = None
    if not cell("school"):
        problems.append("The school is not named.")
    postcode = cell("postcode").upper()
    match = _POSTCODE.fullmatch(postcode)
    if match:
        postcode = f"{match[1]} {match[2]}"
    return SchoolReturnRow(
        row=row,
        kind=kind,
        school=cell("school")[:200],
        upn=upn,
        surname=surname,
        forenames=forenames,
        date_of_birth=dob,
        sex=cell("sex"),
        address=" ".join(cell("address").split()),
        postcode=postcode,
        parents=cell("parents"),
        parent_phone=cell("parent_phone"),
        ground=ground or "",
        on=on,
        destination=cell("destination"),
        problems=tuple(problems),
    )


def _kind(text: str, ground: str, started: str, problems: list[str]) -> str:
    key = _key(text)
    if key.startswith(("deletion", "delete", "offroll", "leaver")):
        return "deletion"
    if key.startswith(("newpupil", "new", "admission", "starter", "onroll")):
        return "new_pupil"
    if text:
        problems.append(f"The return type “{text}” is neither “Deletion” nor “New pupil”.")
        return ""
    if ground:
        return "deletion"
    if started:
        return "new_pupil"
    problems.append("It cannot be told whether this is a deletion or a new pupil.")
    return ""


def _date(text: str, what: str, problems: list[str], today: date) -> date | None:
    if not text:
        return None
    value = parse_uk_date(text, today=today)
    if value is None:
        problems.append(f"The {what} “{text}” cannot be read as a date.")
    return value
