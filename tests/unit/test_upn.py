"""The Unique Pupil Number check letter, checked against the published formula.

Sources for the formula: UK Government Data Standards Catalogue, "Unique Pupil
Number" v2.0 (check letter = modulo 23 sum of digit x position, positions 2-13;
I, O and S unused; a temporary UPN's last letter counts as its value A = 0 ..);
school census validation rule 1510, as reproduced by school MIS suppliers'
help pages, with its letter table A=0 .. H=7, J=8 .. N=12, P=13 .. R=15,
T=16 .. Z=22.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.rules.upn import (
    CHECK_ALPHABET,
    is_valid_upn,
    make_upn,
    normalise_upn,
    upn_check_letter,
    upn_problem,
)

FAST = settings(max_examples=300, deadline=None)

# The census rule's table, typed out as published rather than derived.
PUBLISHED_LETTER_VALUES = {
    "A": 0, "B": 1, "C": 2, "D": 3, "E": 4, "F": 5, "G": 6, "H": 7,
    "J": 8, "K": 9, "L": 10, "M": 11, "N": 12,
    "P": 13, "Q": 14, "R": 15,
    "T": 16, "U": 17, "V": 18, "W": 19, "X": 20, "Y": 21, "Z": 22,
}  # fmt: skip

DIGITS = st.sampled_from(string.digits)
TEMPORARY_LETTERS = st.sampled_from(CHECK_ALPHABET)
PERMANENT_BODIES = st.text(DIGITS, min_size=12, max_size=12)
TEMPORARY_BODIES = st.builds(
    lambda digits, letter: digits + letter,
    st.text(DIGITS, min_size=11, max_size=11),
    TEMPORARY_LETTERS,
)
BODIES = st.one_of(PERMANENT_BODIES, TEMPORARY_BODIES)
UPNS = BODIES.map(lambda body: upn_check_letter(body) + body)
# What a slip of the keyboard could put in a UPN: capitals, digits and a few marks.
TYPED = st.sampled_from(string.ascii_uppercase + string.digits + "-./#")


def value(char: str) -> int:
    return int(char) if char.isdigit() else PUBLISHED_LETTER_VALUES[char]


def oracle_check_letter(body: str) -> str:
    """The census rule step by step: weights, sum, take away 23, look up the table."""
    total = sum(weight * value(char) for weight, char in zip(range(2, 14), body, strict=True))
    while total >= 23:
        total -= 23
    return next(letter for letter, number in PUBLISHED_LETTER_VALUES.items() if number == total)


# --- published and hand-worked examples -----------------------------------


def test_check_alphabet_is_the_published_table() -> None:
    assert list(CHECK_ALPHABET) == list(PUBLISHED_LETTER_VALUES)
    assert not set("IOS") & set(CHECK_ALPHABET)


def test_python_stdnum_example() -> None:
    # 8x2 + 1x4 + 2x5 + 5x10 + 1x13 = 93 = 4x23 + 1 -> B
    assert upn_check_letter("801200005001") == "B"
    assert is_valid_upn("B801200005001")
    assert not is_valid_upn("A801200005001")


def test_census_rule_1510_worked_example() -> None:
    # The census guidance corrects B207000016049 by working
    # (2x2)+(4x7)+(9x1)+(10x6)+(12x4)+(13x9); those products add up to 266,
    # not the 267 printed, and 266 = 11x23 + 13 -> P. (The printed answer "Q"
    # is 14 in the guidance's own table.) So the corrected UPN is P207000016049.
    assert 2 * 2 + 4 * 7 + 9 * 1 + 10 * 6 + 12 * 4 + 13 * 9 == 266
    assert upn_check_letter("207000016049") == "P"
    assert is_valid_upn("P207000016049")
    assert upn_problem("B207000016049") == (
        "The check letter “B” does not match the rest of the UPN (it should be “P”): "
        "a character has probably been copied wrongly."
    )
    assert not is_valid_upn("Q207000016049")


def test_temporary_upn_worked_example() -> None:
    # 8x2 + 1x4 + 2x5 + 5x10 = 80, plus A (= 0) x 13 -> 80 = 3x23 + 11 -> M
    assert upn_check_letter("80120000500A") == "M"
    assert is_valid_upn("M80120000500A")
    # K is worth 9, so it has the same check letter as a final digit 9:
    # 80 + 9x13 = 197 = 8x23 + 13 -> P. The one change the letter cannot catch.
    assert is_valid_upn("P80120000500K")
    assert is_valid_upn("P801200005009")


def test_spaces_and_lower_case_are_accepted() -> None:
    assert normalise_upn("  p207 0000 16049\t") == "P207000016049"
    assert is_valid_upn("  p207 0000 16049\t")
    assert is_valid_upn("m80120000500a")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "No UPN was given"),
        ("   ", "No UPN was given"),
        ("P20700001604", "13 characters; this one has 12"),
        ("P2070000160499", "13 characters; this one has 14"),
        ("I207000016049", "first character"),
        ("7207000016049", "first character"),
        ("P2070000-6049", "Character 9 of a UPN must be a digit"),
        ("P20700001604S", "last character"),
        ("P20700001604#", "last character"),
        ("P２07000016049", "Character 2 of a UPN must be a digit"),
        ("Q207000016049", "check letter “Q” does not match"),
    ],
)
def test_problems_are_explained(text: str, words: str) -> None:
    problem = upn_problem(text)
    assert problem is not None
    assert words in problem
    assert not is_valid_upn(text)


def test_characters_that_only_look_like_capitals_are_refused() -> None:
    # str.upper() would turn "ß" into "SS"; a UPN is not pieced together that way.
    assert normalise_upn("ßa") == "ßA"
    assert not is_valid_upn("P207000016049".replace("0", "０", 1))


def test_check_letter_of_a_malformed_body_is_refused() -> None:
    for body in ("20700001604", "2070000160499", "20700A016049", "20700001604I"):
        with pytest.raises(InvalidInput) as raised:
            upn_check_letter(body)
        assert raised.value.field == "upn"


def test_make_upn_examples() -> None:
    assert make_upn(855, 2024, 7) == "T855000024007"
    assert make_upn(855, 24, 7) == "T855000024007"
    temporary = make_upn(855, 24, 0, temporary=True)
    assert temporary[-3:] == "00A"
    assert make_upn(855, 24, 2299, temporary=True)[-3:] == "99Z"


@pytest.mark.parametrize(
    ("la", "year", "serial", "temporary", "field"),
    [
        (1000, 24, 1, False, "la"),
        (-1, 24, 1, False, "la"),
        (855, 100, 1, False, "year"),
        (855, 1999, 1, False, "year"),
        (855, 24, 1000, False, "serial"),
        (855, 24, -1, False, "serial"),
        (855, 24, 2300, True, "serial"),
    ],
)
def test_make_upn_refuses_out_of_range_parts(
    la: int, year: int, serial: int, temporary: bool, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        make_upn(la, year, serial, temporary=temporary)
    assert raised.value.field == field


# --- properties -----------------------------------------------------------


@FAST
@given(BODIES)
def test_check_letter_matches_the_census_rule(body: str) -> None:
    assert upn_check_letter(body) == oracle_check_letter(body)


@FAST
@given(
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=2299),
    st.booleans(),
)
def test_made_upns_are_valid_and_laid_out(la: int, year: int, serial: int, temporary: bool) -> None:
    serial = serial if temporary else serial % 1000
    upn = make_upn(la, year, serial, temporary=temporary)
    assert is_valid_upn(upn)
    assert upn_problem(upn) is None
    assert len(upn) == 13
    assert upn[1:4] == f"{la:03d}"
    assert upn[4:8] == "0000"
    assert upn[8:10] == f"{year:02d}"
    assert upn[-1].isalpha() == temporary
    assert upn[-1] not in "IOS"


@FAST
@given(
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=99),
    st.sets(st.integers(min_value=0, max_value=2299), min_size=2, max_size=2),
)
def test_temporary_serials_give_different_upns(la: int, year: int, serials: set[int]) -> None:
    first, second = (make_upn(la, year, serial, temporary=True) for serial in serials)
    assert first != second


@FAST
@given(UPNS, st.integers(min_value=0, max_value=12), TYPED)
def test_any_single_character_change_is_caught(upn: str, position: int, typed: str) -> None:
    original = upn[position]
    if typed == original:
        return
    changed = upn[:position] + typed + upn[position + 1 :]
    last_char_twin = (
        position == 12
        and typed in CHECK_ALPHABET + string.digits
        and value(typed) == value(original)
        and typed.isdigit() != original.isdigit()
    )
    # The only undetectable slip: a final digit d swapped for the letter worth d.
    assert is_valid_upn(changed) == last_char_twin
    if not last_char_twin:
        assert upn_problem(changed) is not None


@FAST
@given(UPNS, st.integers(min_value=1, max_value=10))
def test_swapping_neighbouring_digits_is_caught(upn: str, position: int) -> None:
    first, second = upn[position], upn[position + 1]
    if first == second:
        return
    swapped = upn[:position] + second + first + upn[position + 2 :]
    assert not is_valid_upn(swapped)


@FAST
@given(UPNS, st.lists(st.integers(min_value=0, max_value=13), max_size=4), st.booleans())
def test_spacing_and_case_do_not_matter(upn: str, cuts: list[int], lower: bool) -> None:
    spaced = upn
    for cut in sorted(cuts, reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]
    typed = f" {spaced.lower() if lower else spaced} "
    assert normalise_upn(typed) == upn
    assert is_valid_upn(typed)


@FAST
@given(st.text(max_size=20))
def test_anything_accepted_is_a_well_formed_upn(text: str) -> None:
    if is_valid_upn(text):
        upn = normalise_upn(text)
        assert len(upn) == 13
        assert upn[0] in CHECK_ALPHABET
        assert upn[1:12].isascii() and upn[1:12].isdigit()
        assert upn[12] in CHECK_ALPHABET + string.digits
    else:
        assert upn_problem(text) is not None
