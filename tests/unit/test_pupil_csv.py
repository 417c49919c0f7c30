"""Pupil database reports (policy 8.1 ii): CSV of children without a school place."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from cme_desktop.services.errors import CorruptFile, HostileFile, UnsupportedFile
from cme_desktop.services.importing.pupil_csv import (
    MAX_CSV_BYTES,
    MAX_ROWS,
    PupilRecord,
    read_pupil_csv,
)
from cme_desktop.services.rules.upn import make_upn

fake = Faker("en_GB")
Faker.seed(81)
TODAY = date(2026, 10, 1)


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def read(text: str, encoding: str = "utf-8") -> list[PupilRecord]:
    return read_pupil_csv(text.encode(encoding), today=TODAY)


def test_a_plain_report_gives_one_record_per_child() -> None:
    upn = make_upn(855, 2014, 7)
    surname, forename = fake.last_name(), fake.first_name()
    street, town = fake.street_address(), fake.city()  # the street may take two lines
    rows = [
        ["UPN", "Surname", "Forename(s)", "DOB", "Gender", "Address", "Postcode", "Last School",
         "Date Left"],
        [upn, surname, forename, "02/04/2015", "F", f"{street}, {town}", "le3 8rf",
         "Hill Top Primary", "18/07/2026"],
    ]  # fmt: skip
    (record,) = read(csv_text(rows))
    assert record == PupilRecord(
        row=2,
        upn=upn,
        surname=surname,
        forenames=forename,
        date_of_birth=date(2015, 4, 2),
        gender="Female",
        address=", ".join([*street.splitlines(), town]),
        postcode="LE3 8RF",
        last_school="Hill Top Primary",
        date_left=date(2026, 7, 18),
        problems=(),
    )
    assert record.full_name == f"{forename} {surname}"


@pytest.mark.parametrize(
    "headings",
    [
        ["Unique Pupil Number", "Legal Surname", "Legal Forename", "Date of Birth", "Sex",
         "Post Code", "Last School Attended", "Off Roll Date"],
        ["upn", "Last name", "First names", "D.O.B. (dd/mm/yyyy)", "gender", "Postal code",
         "Previous School", "Date off roll"],
        ["UPN ", "SURNAME", "FORENAME", "Birth Date", "Gender", "POSTCODE", "School",
         "Leaving date"],
    ],
)  # fmt: skip
def test_headings_are_found_by_their_words_not_their_spelling(headings: list[str]) -> None:
    upn = make_upn(855, 2013, 21)
    (record,) = read(
        csv_text([headings, [upn, "Okafor", "Ada", "2/4/13", "M", "LE1 1AA", "Oak", "1.9.26"]])
    )
    assert (record.upn, record.surname, record.forenames) == (upn, "Okafor", "Ada")
    assert record.date_of_birth == date(2013, 4, 2)
    assert record.gender == "Male"
    assert (record.postcode, record.last_school) == ("LE1 1AA", "Oak")
    assert record.date_left == date(2026, 9, 1)
    assert record.problems == ()


def test_columns_in_another_order_are_read_the_same() -> None:
    rows = [["DOB", "Postcode", "Forename", "Surname"], ["30/09/2014", "LE2 3QT", "Jo", "Ruiz"]]
    (record,) = read(csv_text(rows))
    assert (record.forenames, record.surname, record.postcode) == ("Jo", "Ruiz", "LE2 3QT")
    assert record.date_of_birth == date(2014, 9, 30)


@pytest.mark.parametrize(
    ("written", "surname", "forenames"),
    [
        ("Smith, Jo Anne", "Smith", "Jo Anne"),
        ("Jo Anne Smith", "Smith", "Jo Anne"),
        ("Smith", "Smith", ""),
    ],
)
def test_one_name_column_is_split(written: str, surname: str, forenames: str) -> None:
    (record,) = read(csv_text([["Name", "DOB"], [written, "01/01/2015"]]))
    assert (record.surname, record.forenames) == (surname, forenames)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("02/04/2013", date(2013, 4, 2)),
        ("2/4/13", date(2013, 4, 2)),
        ("02-04-2013", date(2013, 4, 2)),
        ("2 April 2013", date(2013, 4, 2)),
        ("02-Apr-2013", date(2013, 4, 2)),
        ("2013-04-02", date(2013, 4, 2)),
        ("02/04/2013 00:00", date(2013, 4, 2)),
    ],
)
def test_dates_are_read_day_first(written: str, expected: date) -> None:
    (record,) = read(csv_text([["Surname", "Forename", "DOB"], ["Ng", "Li", written]]))
    assert record.date_of_birth == expected


def test_a_byte_order_mark_and_semicolons_are_understood() -> None:
    text = "\ufeff" + csv_text([["Surname", "Forename", "DOB"], ["Ng", "Li", "03/05/2016"]], ";")
    (record,) = read(text)
    assert (record.surname, record.date_of_birth) == ("Ng", date(2016, 5, 3))


def test_an_excel_unicode_text_export_is_understood() -> None:
    text = csv_text([["Surname", "Forename", "DOB"], ["Łukasiewicz", "Zoë", "03/05/2016"]], "\t")
    (record,) = read_pupil_csv(text.encode("utf-16"), today=TODAY)
    assert (record.surname, record.forenames) == ("Łukasiewicz", "Zoë")


def test_a_windows_1252_file_keeps_its_accents_and_apostrophes() -> None:
    text = csv_text([["Surname", "Forename", "DOB"], ["O’Brien", "Zoë", "03/05/2016"]])
    (record,) = read(text, encoding="cp1252")
    assert (record.surname, record.forenames) == ("O’Brien", "Zoë")


def test_title_lines_before_the_headings_and_blank_rows_are_passed_over() -> None:
    rows = [
        ["Children without a school place", "", ""],
        ["Report run 01/10/2026", "", ""],
        [],
        ["Surname", "Forename", "Date of Birth"],
        ["Ng", "Li", "03/05/2016"],
        ["", "", ""],
        ["Ruiz", "Jo", "30/09/2014"],
    ]
    records = read(csv_text(rows))
    assert [(r.row, r.surname) for r in records] == [(5, "Ng"), (7, "Ruiz")]


def test_address_lines_are_joined_in_column_order() -> None:
    rows = [
        ["Surname", "Forename", "DOB", "Address 1", "Address 2", "Town", "County", "Postcode"],
        ["Ng", "Li", "03/05/2016", "12 Mill Lane", "", "Glenfield", "Leicestershire", "LE3 8RF"],
    ]
    (record,) = read(csv_text(rows))
    assert record.address == "12 Mill Lane, Glenfield, Leicestershire"


def test_a_line_break_inside_a_quoted_address_stays_in_the_address() -> None:
    text = 'Surname,Forename,DOB,Address\r\nNg,Li,03/05/2016,"12 Mill Lane\nGlenfield"\r\n'
    (record,) = read(text)
    assert record.address == "12 Mill Lane, Glenfield"


def test_problems_are_listed_per_row_and_the_other_rows_are_kept() -> None:
    good_upn = make_upn(855, 2015, 3)
    bad_upn = ("A" if good_upn[0] != "A" else "B") + good_upn[1:]
    rows = [
        ["UPN", "Surname", "Forename", "DOB", "Postcode", "Date Left"],
        [good_upn, "Ng", "Li", "03/05/2016", "LE3 8RF", ""],
        [bad_upn, "Ruiz", "Jo", "31/02/2015", "NOT A CODE", "sometime"],
        ["", "", "", "01/01/2030", "", ""],
        ["", "Okafor", "Ada", "", "", ""],
    ]
    good, bad, nameless, no_birth = read(csv_text(rows))
    assert good.problems == () and good.upn == good_upn
    assert bad.upn is None
    assert bad.date_of_birth is None and bad.date_left is None
    assert [p.split(" ")[0] for p in bad.problems] == ["UPN", "The", "The", "The"]
    assert f"UPN “{bad_upn}”: The check letter" in bad.problems[0]
    assert "The date of birth “31/02/2015” cannot be read as a date." in bad.problems
    assert "The postcode “NOT A CODE” does not look like a UK postcode." in bad.problems
    assert "The date left “sometime” cannot be read as a date." in bad.problems
    assert nameless.problems == (
        "No name is given.",
        "The date of birth 01/01/2030 is in the future.",
    )
    assert no_birth.problems == ("No date of birth is given.",)


def test_a_file_without_headings_naming_the_child_is_not_a_report() -> None:
    with pytest.raises(UnsupportedFile, match="does not look like a pupil database report"):
        read(csv_text([["Product", "Price"], ["Pens", "2.50"]]))


def test_a_binary_file_is_not_a_report() -> None:
    with pytest.raises(CorruptFile, match="not a text"):
        read_pupil_csv(b"\x00\x01\x02PK\x03\x04" * 10, today=TODAY)


def test_an_oversized_file_is_refused() -> None:
    with pytest.raises(HostileFile, match="larger than 20 MB"):
        read_pupil_csv(b"Surname,Forename\r\n" + b"x" * MAX_CSV_BYTES, today=TODAY)


def test_a_report_past_the_row_limit_is_refused() -> None:
    text = "Surname,Forename\r\n" + "Ng,Li\r\n" * (MAX_ROWS + 20)
    with pytest.raises(HostileFile, match="more than 100,000 rows"):
        read(text)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.text(
                st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
            ),
            min_size=4,
            max_size=4,
        ),
        max_size=8,
    )
)
def test_any_cells_give_a_record_per_non_blank_row(rows: list[list[str]]) -> None:
    text = csv_text([["Surname", "Forename", "DOB", "UPN"], *rows])
    records = read(text)
    assert all(isinstance(r, PupilRecord) for r in records)
    assert all(r.row >= 2 for r in records)
    assert len(records) <= len(rows)
