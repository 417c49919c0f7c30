"""Invisible format characters are taken out of names on input and ignored in search."""

from __future__ import annotations

import sys
import unicodedata
from datetime import date

import pytest

from cme_desktop.services.cases.case_list import CaseList, CaseQuery, fts_query
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.importing.commit import ImportService
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.referral.record import empty_referral, normalise
from cme_desktop.services.rules.names import clean_name, strip_format
from cme_desktop.services.vault.database import Database

#: What the issue names: bidi embeddings and overrides, bidi isolates, zero-width space,
#: non-joiner and joiner, the byte order mark; and others of category Cf.
NAMED = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x200C)]
NAMED += ["\u200d", "\ufeff", "\u200e", "\u200f", "\u00ad", "\u2060", "\u061c", "\U000e0041"]
DOB = date(2015, 4, 2)


def dirty(name: str) -> str:
    """``name`` with a format character after every letter: looks the same on screen."""
    return "".join(char + NAMED[i % len(NAMED)] for i, char in enumerate(name))


@pytest.mark.parametrize("char", NAMED, ids=[f"U+{ord(c):04X}" for c in NAMED])
def test_each_named_character_is_removed(char: str) -> None:
    assert unicodedata.category(char) == "Cf"
    assert strip_format(f"{char}Amy{char} O{char}Brien{char}") == "Amy OBrien"


def test_every_format_character_in_unicode_is_removed() -> None:
    every = "".join(
        chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
    )
    assert len(every) > 150
    assert strip_format(f"A{every}B") == "AB"


def test_letters_of_every_script_accents_emoji_and_line_breaks_stay() -> None:
    kept = "Zoë Nyström-Łukasik\nمحمد الأحمد\tשרה כהן Ngọc 👧 O'Connor"
    assert strip_format(kept) == kept


def test_clean_name_is_one_line_nfc_and_idempotent() -> None:
    assert clean_name("  Amy \n\t\u202eSmith\u202c ") == "Amy Smith"
    # A zero-width space between a letter and its accent kept them apart: joined now.
    assert clean_name("Zoe\u200b\u0308") == "Zoë"
    assert clean_name(clean_name(dirty("Amy Smith"))) == clean_name(dirty("Amy Smith"))


# --- typed in the window: the case draft ---------------------------------------------------


def test_a_typed_name_aka_and_carer_are_kept_without_them(db: Database) -> None:
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(full_name=dirty("Ruby Okafor"), aka="\u2067Rubes\u2069", date_of_birth=DOB)
    )
    cases.save_carer(case_id, name=dirty("Grace Okafor"), relationship="Mother")
    detail = cases.get(case_id)
    assert detail.draft.full_name == "Ruby Okafor"
    assert detail.draft.aka == "Rubes"
    assert [c.name for c in detail.carers] == ["Grace Okafor"]

    cases.update(
        case_id, draft=CaseDraft(full_name="Ruby\u200b \ufeffOkafor-Bello"), version=detail.version
    )
    assert cases.get(case_id).draft.full_name == "Ruby Okafor-Bello"


def test_a_name_of_format_characters_only_is_no_name(db: Database) -> None:
    with pytest.raises(InvalidInput, match="name is needed"):
        CaseService(db).create(draft=CaseDraft(full_name="\u202e\u200b\u2066"))
    case_id = CaseService(db).create(draft=CaseDraft(full_name="Ivy Chen"))
    with pytest.raises(InvalidInput, match="carer's name is needed"):
        CaseService(db).save_carer(case_id, name="\ufeff\u200d")


# --- ignored in search ---------------------------------------------------------------------------


def test_search_text_is_cleaned_the_same_way(db: Database) -> None:
    wanted = CaseService(db).create(draft=CaseDraft(full_name="Jonah Whitfield"))
    CaseService(db).create(draft=CaseDraft(full_name="Jo Hannah"))
    listing = CaseList(db)
    for search in ("Whit\u200bfield", "\u202eJonah", "Jon\u00adah Whit", "\ufeffwhitfield"):
        assert listing.matching_ids(CaseQuery(search=search, quick="all")) == [wanted], search
    assert fts_query("\u200b\u202e") is None


def test_matching_an_imported_child_ignores_them_too(db: Database) -> None:
    wanted = CaseService(db).create(draft=CaseDraft(full_name="Ava Lindqvist", date_of_birth=DOB))
    found = ImportService(db).find_cases(full_name=dirty("Ava Lindqvist"), date_of_birth=DOB)
    assert [(c.case_id, c.score) for c in found] == [(wanted, 1.0)]


# --- imported -----------------------------------------------------------------------------------


def _referral() -> dict[str, object]:
    ref = empty_referral()
    ref["children"] = [
        ref["children"][0]
        | {"full_name": dirty("Leo Marsh"), "aka": "\u202eLeo\u202c", "date_of_birth": str(DOB)}
    ]
    ref["parents_carers"] = f"{dirty('Ann Marsh')} (Mother)\nTom\u200b Marsh (Father)"
    ref["referrer"] |= {"name": dirty("Priya Shah"), "organisation": "Brook Lane Academy"}
    ref["additional_information"] = "The family 👨\u200d👩\u200d👧 moved in May."
    return ref


def test_a_referral_record_keeps_its_names_without_them() -> None:
    ref = normalise(_referral())
    assert ref["children"][0]["full_name"] == "Leo Marsh"
    assert ref["children"][0]["aka"] == "Leo"
    assert ref["parents_carers"] == "Ann Marsh (Mother)\nTom Marsh (Father)"
    assert ref["referrer"]["name"] == "Priya Shah"
    # Free text is not a name: a joined emoji stays joined there.
    assert ref["additional_information"] == "The family 👨\u200d👩\u200d👧 moved in May."


def test_an_imported_child_and_carers_are_saved_without_them(db: Database) -> None:
    parsed = ParsedReferral(referral=_referral(), source="referral.docx", original=b"PK form")
    result = ImportService(db).commit_unattended(parsed, today=date(2026, 10, 5))
    (case_id,) = result.case_ids
    detail = CaseService(db).get(case_id)
    assert detail.draft.full_name == "Leo Marsh"
    assert detail.draft.aka == "Leo"
    assert sorted(c.name for c in detail.carers) == ["Ann Marsh", "Tom Marsh"]
    (stored,) = detail.referrals
    assert stored.data["children"][0]["full_name"] == "Leo Marsh"
