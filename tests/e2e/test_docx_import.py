"""Word referral forms in, referral records out: as schools fill them in, and hostile files."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme_desktop.models.vocabularies import (
    PARENTAL_CONSENT_QUESTION,
    SOCIAL_CARE_REFERRAL_QUESTION,
)
from cme_desktop.services.errors import (
    CmeError,
    CorruptFile,
    HostileFile,
    NotAReferral,
    PasswordRequired,
    UnsupportedFile,
    WrongPassword,
)
from cme_desktop.services.importing.docx import parse_docx
from cme_desktop.services.protection.office import encrypt_office
from tests.support.fixtures_docx import (
    STYLES,
    Style,
    appendix_a_docx,
    billion_laughs_docx,
    blank_appendix_a_docx,
    encrypt_standard,
    expected_record,
    external_entity_docx,
    filled_form,
    filled_referral,
    letter_docx,
    many_entries_docx,
    mutated,
    ole_doc_bytes,
    random_bytes,
    replace_part,
    zip_bomb_docx,
)
from tests.support.school_forms import school_form_docx, school_referral

PASSWORD = "heron-basket-violet-gravel"


def _import(tmp_path: Path, data: bytes, *, password: str | None = None) -> Any:
    """Write the form as a file, read it back as the officer's import would, parse it."""
    path = tmp_path / "referral.docx"
    path.write_bytes(data)
    (parsed,) = parse_docx(path.read_bytes(), password=password, source="inbox › referral.docx")
    return parsed


def _edit(data: bytes, label: str, value: str) -> bytes:
    """The form with the cell right of ``label`` (first found) set to ``value``."""
    doc = docx.Document(io.BytesIO(data))
    for table in doc.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells[:-1]):
                if cell.text.strip() == label:
                    target = cells[i + 1]
                    for p in target.paragraphs[1:]:
                        p._p.getparent().remove(p._p)
                    target.paragraphs[0].text = value
                    out = io.BytesIO()
                    doc.save(out)
                    return out.getvalue()
    raise AssertionError(f"no label {label!r}")


def _relabel(data: bytes, label: str, new_label: str) -> bytes:
    """The form with a label cell reworded past recognition."""
    doc = docx.Document(io.BytesIO(data))
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text.strip() == label:
                    cell.paragraphs[0].text = new_label
                    out = io.BytesIO()
                    doc.save(out)
                    return out.getvalue()
    raise AssertionError(f"no label {label!r}")


# --- forms as schools fill them in --------------------------------------------------------


@pytest.mark.parametrize("children", [1, 3])
@pytest.mark.parametrize("style", STYLES)
def test_each_style_reads_back_exactly(tmp_path: Path, style: Style, children: int) -> None:
    ref, data = filled_form(100 + children, children=children, style=style)
    parsed = _import(tmp_path, data)
    assert parsed.referral == expected_record(ref, style)
    assert parsed.uncertain == ()


def test_parsed_referral_keeps_the_file_as_received(tmp_path: Path) -> None:
    data = encrypt_office(filled_form(101)[1], PASSWORD)
    parsed = _import(tmp_path, data, password=PASSWORD)
    assert parsed.original == data
    assert parsed.source == "inbox › referral.docx"
    assert parsed.original_name == "referral.docx"


def test_siblings_become_one_entry_each(tmp_path: Path) -> None:
    ref, data = filled_form(103, children=3, style="careless")
    parsed = _import(tmp_path, data)
    names = [c["full_name"] for c in parsed.referral["children"]]
    assert names == [c["full_name"] for c in ref["children"]]
    assert [c["date_of_birth"] for c in parsed.referral["children"]] == [
        c["date_of_birth"] for c in ref["children"]
    ]


def test_one_date_of_birth_for_several_siblings_is_copied_and_uncertain(tmp_path: Path) -> None:
    data = _edit(filled_form(103, children=3)[1], "Date of Birth", "02/04/2013")
    parsed = _import(tmp_path, data)
    kids = parsed.referral["children"]
    assert [k["date_of_birth"] for k in kids] == ["2013-04-02"] * 3
    assert parsed.uncertain == ("children.1.date_of_birth", "children.2.date_of_birth")


@pytest.mark.parametrize(
    ("label", "written", "field", "expected"),
    [
        (
            "Date of Birth",
            "05/11/2011 and 21/01/2015",
            "date_of_birth",
            ["2011-11-05", "2015-01-21"],
        ),
        ("Date of Birth", "02/04/2013; 15/06/2015", "date_of_birth", ["2013-04-02", "2015-06-15"]),
        ("Date of Birth", "02/04/2013 / 15/06/2015", "date_of_birth", ["2013-04-02", "2015-06-15"]),
        ("Gender", "M / F", "gender", ["M", "F"]),
        ("Gender", "F/M", "gender", ["F", "M"]),
    ],
)
def test_siblings_values_on_one_line_are_split_per_child(
    tmp_path: Path, label: str, written: str, field: str, expected: list[str]
) -> None:
    parsed = _import(tmp_path, _edit(filled_form(104, children=2)[1], label, written))
    assert [c[field] for c in parsed.referral["children"]] == expected
    assert not any(p.endswith(field) for p in parsed.uncertain)


def test_three_genders_on_one_line_are_split(tmp_path: Path) -> None:
    parsed = _import(tmp_path, _edit(filled_form(103, children=3)[1], "Gender", "F / M / F"))
    assert [c["gender"] for c in parsed.referral["children"]] == ["F", "M", "F"]


def test_one_value_with_and_in_it_is_not_split_but_copied(tmp_path: Path) -> None:
    data = _edit(filled_form(104, children=2)[1], "SEN & Disability", "Speech and language")
    parsed = _import(tmp_path, data)
    kids = parsed.referral["children"]
    assert [k["sen_disability"] for k in kids] == ["Speech and language"] * 2
    assert "children.1.sen_disability" in parsed.uncertain


def test_shared_ethnicity_applies_to_every_sibling_but_is_flagged(tmp_path: Path) -> None:
    data = _edit(filled_form(103, children=3)[1], "Ethnicity", "Irish Traveller")
    parsed = _import(tmp_path, data)
    assert [c["ethnicity"] for c in parsed.referral["children"]] == ["Irish Traveller"] * 3
    assert parsed.uncertain == ("children.1.ethnicity", "children.2.ethnicity")


def test_the_blank_form_is_a_referral_with_nothing_in_it(tmp_path: Path) -> None:
    parsed = _import(tmp_path, blank_appendix_a_docx())
    ref = parsed.referral
    assert ref["children"][0]["full_name"] == ""
    assert all(row["present"] is None for row in ref["risk_indicators"].values())
    assert ref["social_care_referral_considered"] is None
    assert parsed.uncertain == ()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2/4/13", "2013-04-02"),
        ("2 April 2013", "2013-04-02"),
        ("2.4.2013", "2013-04-02"),
        ("02-04-2013", "2013-04-02"),
        ("Tuesday 2nd April 2013", "2013-04-02"),
        ("12/1/2013", "2013-01-12"),
    ],
)
def test_dates_are_read_day_first(tmp_path: Path, written: str, expected: str) -> None:
    data = _edit(filled_form(101)[1], "Date of Birth", written)
    parsed = _import(tmp_path, data)
    assert parsed.referral["children"][0]["date_of_birth"] == expected
    assert parsed.uncertain == ()


def test_unreadable_values_are_flagged_not_guessed(tmp_path: Path) -> None:
    data = _edit(filled_form(101)[1], "Date of Birth", "sometime in 2013")
    data = _edit(data, "Child in Care?", "possibly")
    data = _edit(data, "Date Last Attended", "born 3/3/13? no: last seen 30/9/26 maybe")
    parsed = _import(tmp_path, data)
    ref = parsed.referral
    assert ref["children"][0]["date_of_birth"] is None
    assert ref["children"][0]["child_in_care"] is None
    assert set(parsed.uncertain) == {
        "children.0.date_of_birth",
        "children.0.child_in_care",
        "date_last_attended",
    }


def test_a_date_inside_an_outcome_becomes_the_actions_date(tmp_path: Path) -> None:
    ref = filled_referral(5)
    ref["referrer_actions"]["address_visited"] = {
        "outcome": "Visited 3/10/26, no answer. Neighbour says family left.",
        "date": "2026-10-03",
    }
    parsed = _import(tmp_path, appendix_a_docx(ref, style="careless"))
    assert (
        parsed.referral["referrer_actions"]["address_visited"]
        == ref["referrer_actions"]["address_visited"]
    )


def test_actions_written_as_paragraphs_are_read(tmp_path: Path) -> None:
    ref = school_referral(410, children=1)
    data, _ = school_form_docx(ref, variant=0)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "Check possible whereabouts with staff, siblings, friends & other pupils: " in text
    parsed = _import(tmp_path, data)
    assert parsed.referral["referrer_actions"] == ref["referrer_actions"]


def test_an_action_label_cut_short_with_an_ellipsis_is_read(tmp_path: Path) -> None:
    ref = school_referral(411, children=1)
    data, _ = school_form_docx(ref, variant=0)
    doc = docx.Document(io.BytesIO(data))
    for p in doc.paragraphs:
        if p.text.startswith("Check possible whereabouts"):
            p.text = "Check possible whereabouts…: Tutor group asked, nobody knows. 08/10/2026"
    out = io.BytesIO()
    doc.save(out)
    parsed = _import(tmp_path, out.getvalue())
    assert parsed.referral["referrer_actions"]["whereabouts_checked"] == {
        "outcome": "Tutor group asked, nobody knows.",
        "date": "2026-10-08",
    }


def test_a_date_ending_an_outcome_moves_to_its_date(tmp_path: Path) -> None:
    ref = school_referral(412, children=1)
    data, _ = school_form_docx(ref, variant=1)  # actions in the table, dates at the end
    parsed = _import(tmp_path, data)
    assert parsed.referral["referrer_actions"] == ref["referrer_actions"]
    for entry in parsed.referral["referrer_actions"].values():
        assert "/2026" not in entry["outcome"]


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_crosses_and_empty_boxes_in_a_tick_scheme_mean_no(tmp_path: Path, variant: int) -> None:
    ref = school_referral(413, children=1)
    data, _ = school_form_docx(ref, variant=variant)  # ✓/✗, ☒/☐, Yes/No
    parsed = _import(tmp_path, data)
    assert parsed.referral["risk_indicators"] == ref["risk_indicators"]
    assert not any(p.startswith("risk_indicators") for p in parsed.uncertain)


def test_a_lone_cross_without_ticks_stays_unclear(tmp_path: Path) -> None:
    data = _edit(filled_form(105)[1], "History of Local Authority Care (LAC)", "✗")
    parsed = _import(tmp_path, data)
    assert parsed.referral["risk_indicators"]["1"]["present"] is None
    assert "risk_indicators.1.present" in parsed.uncertain


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Yes/", True),
        ("/No", False),
        ("Yes", True),
        ("Yes/No", None),
        ("Yes/No   No", False),
        ("Yes / No - yes", True),
        ("", None),
        ("\nYes", True),
    ],
)
def test_yes_no_questions_as_schools_answer_them(
    tmp_path: Path, written: str, expected: bool | None
) -> None:
    doc = docx.Document(io.BytesIO(filled_form(101)[1]))
    (para,) = [p for p in doc.paragraphs if p.text.startswith(SOCIAL_CARE_REFERRAL_QUESTION)]
    inline, _, below = written.partition("\n")
    para.text = f"{SOCIAL_CARE_REFERRAL_QUESTION} {inline}"
    if below:
        para.insert_paragraph_before(para.text)
        para.text = below
    out = io.BytesIO()
    doc.save(out)
    parsed = _import(tmp_path, out.getvalue())
    assert parsed.referral["social_care_referral_considered"] is expected
    assert parsed.uncertain == ()


def test_an_unclear_answer_is_flagged(tmp_path: Path) -> None:
    doc = docx.Document(io.BytesIO(filled_form(101)[1]))
    (para,) = [p for p in doc.paragraphs if p.text.startswith(PARENTAL_CONSENT_QUESTION)]
    para.text = f"{PARENTAL_CONSENT_QUESTION} Yes/No   waiting for mum to call back"
    out = io.BytesIO()
    doc.save(out)
    parsed = _import(tmp_path, out.getvalue())
    assert parsed.referral["parental_consent"] is None
    assert parsed.uncertain == ("parental_consent",)


def test_timing_without_yes_means_yes_but_is_flagged(tmp_path: Path) -> None:
    ref = filled_referral(6)
    ref["risk_indicators"]["9"] = {"present": None, "timing": None}
    data = appendix_a_docx(ref)
    doc = docx.Document(io.BytesIO(data))
    indicators = next(t for t in doc.tables if t.cell(0, 2).text == "Yes or No?")
    indicators.cell(9, 3).paragraphs[0].text = "C"
    out = io.BytesIO()
    doc.save(out)
    parsed = _import(tmp_path, out.getvalue())
    assert parsed.referral["risk_indicators"]["9"] == {"present": True, "timing": "current"}
    assert parsed.uncertain == ("risk_indicators.9.present",)


def test_a_missing_field_is_flagged(tmp_path: Path) -> None:
    data = _relabel(filled_form(101)[1], "Date Completed", "Signed off")
    parsed = _import(tmp_path, data)
    assert parsed.referral["referrer"]["date_completed"] is None
    assert "referrer.date_completed" in parsed.uncertain


def test_labels_found_wherever_the_school_moved_them(tmp_path: Path) -> None:
    """The referrer's table above the pupil's: positions do not matter, labels do."""
    ref, data = filled_form(101, style="careless")
    doc = docx.Document(io.BytesIO(data))
    body = doc.element.body
    tables = body.findall("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tbl")
    body.insert(0, tables[-1])
    out = io.BytesIO()
    doc.save(out)
    assert _import(tmp_path, out.getvalue()).referral == ref


# --- protected forms ---------------------------------------------------------------------------


def test_agile_protected_careless_form(tmp_path: Path) -> None:
    ref, form = filled_form(103, children=3, style="careless")
    data = encrypt_office(form, PASSWORD)
    assert _import(tmp_path, data, password=PASSWORD).referral == ref


def test_standard_protected_form(tmp_path: Path) -> None:
    ref, form = filled_form(101, style="controls")
    data = encrypt_standard(form, PASSWORD)
    assert _import(tmp_path, data, password=PASSWORD).referral == ref


def test_protected_form_needs_the_right_password(tmp_path: Path) -> None:
    data = encrypt_standard(filled_form(101)[1], PASSWORD)
    with pytest.raises(PasswordRequired):
        _import(tmp_path, data)
    with pytest.raises(WrongPassword):
        _import(tmp_path, data, password="not-the-password")


def test_tampered_standard_form_is_damaged(tmp_path: Path) -> None:
    """Standard encryption has no integrity check: the zip's CRCs catch the change."""
    data = bytearray(encrypt_standard(filled_form(101)[1], PASSWORD))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises((CorruptFile, NotAReferral)):
        _import(tmp_path, bytes(data), password=PASSWORD)


# --- not referrals, damaged and hostile files --------------------------------------------


def test_a_letter_is_not_a_referral(tmp_path: Path) -> None:
    with pytest.raises(NotAReferral):
        _import(tmp_path, letter_docx())


def test_a_spreadsheet_is_not_a_word_document(tmp_path: Path) -> None:
    data = blank_appendix_a_docx()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    sheet = types.replace(b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml")
    with pytest.raises(UnsupportedFile):
        _import(tmp_path, replace_part(data, "[Content_Types].xml", sheet))


def _quickly_and_small(action: Callable[[], object], error: type[CmeError]) -> CmeError:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(error) as err:
            action()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 40 * 1024 * 1024
    return err.value


HOSTILE: dict[str, tuple[Callable[[], bytes], type[CmeError]]] = {
    "zip bomb": (zip_bomb_docx, HostileFile),
    "zip bomb lying about its size": (lambda: zip_bomb_docx(lie=True), CorruptFile),
    "thousands of parts": (many_entries_docx, HostileFile),
    "billion laughs": (billion_laughs_docx, HostileFile),
    "billion laughs in UTF-16": (lambda: billion_laughs_docx(encoding="utf-16"), HostileFile),
    "external entity": (external_entity_docx, HostileFile),
    "truncated": (lambda: filled_form(101)[1][:3000], CorruptFile),
    "random bytes": (lambda: random_bytes(20_000, seed=1), CorruptFile),
    "random bytes after a zip signature": (
        lambda: b"PK\x03\x04" + random_bytes(20_000, seed=2),
        CorruptFile,
    ),
    "empty": (lambda: b"", CorruptFile),
    "too large": (lambda: b"PK\x03\x04" + bytes(21 * 1024 * 1024), HostileFile),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_and_damaged_files(name: str) -> None:
    make, error = HOSTILE[name]
    data = make()
    _quickly_and_small(lambda: parse_docx(data, password=None, source="x.docx"), error)


def test_zip_bomb_really_inflates_to_gigabytes() -> None:
    bomb = zip_bomb_docx(gigabytes=3)
    info = zipfile.ZipFile(io.BytesIO(bomb)).getinfo("word/document.xml")
    assert len(bomb) < 5 * 1024 * 1024
    assert info.file_size == 3 * 1024**3


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (ole_doc_bytes(), ".docx"),
        (b"{\\rtf1\\ansi Referral}", ".docx"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ],
)
def test_other_kinds_of_file_are_explained(data: bytes, hint: str) -> None:
    with pytest.raises(UnsupportedFile) as err:
        parse_docx(data, password=None, source="x.doc")
    assert hint in err.value.message


# --- fuzzing -------------------------------------------------------------------------------

_FORM = filled_form(103, children=3, style="careless")[1]
_DOCUMENT_XML = zipfile.ZipFile(io.BytesIO(_FORM)).read("word/document.xml")


def _only_cme_errors(data: bytes) -> None:
    """A damaged form either still reads as a referral or raises an explained CmeError."""
    try:
        parsed = parse_docx(data, password=None, source="fuzz.docx")
    except CmeError as err:
        assert err.message
    else:
        assert [p.referral["schema"] for p in parsed] == ["cme-referral/1"]


@settings(max_examples=40, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 40))
def test_fuzz_mutated_file_raises_only_cme_errors(seed: int, flips: int) -> None:
    _only_cme_errors(mutated(_FORM, seed, flips))


@settings(max_examples=20, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 40))
def test_fuzz_mutated_document_xml_raises_only_cme_errors(seed: int, flips: int) -> None:
    """Mutations inside document.xml, re-zipped, reach the XML and the form reader."""
    _only_cme_errors(replace_part(_FORM, "word/document.xml", mutated(_DOCUMENT_XML, seed, flips)))


@settings(max_examples=25, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(_FORM)))
def test_fuzz_truncated_file_raises_only_cme_errors(cut: int) -> None:
    _only_cme_errors(_FORM[:cut])
