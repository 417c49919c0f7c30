"""Generated passwords: readable words, and at least 80 bits by arithmetic."""

from __future__ import annotations

import hashlib
import math
import re

import pytest

from cme_desktop.resource_files import read_text
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.passwords import (
    DEFAULT_WORDS,
    MAX_PDF_PASSWORD,
    MIN_ENTROPY_BITS,
    SEPARATOR,
    check_pdf_password_length,
    generate_password,
    password_entropy_bits,
)
from cme_desktop.services.protection.wordlist import WORDS


def test_the_word_list_is_long_enough_for_80_bits_in_seven_words() -> None:
    assert len(WORDS) == len(set(WORDS)), "every word counts once only if it is listed once"
    bits_per_word = math.log2(len(WORDS))
    assert DEFAULT_WORDS * bits_per_word >= 80
    assert password_entropy_bits() == pytest.approx(DEFAULT_WORDS * bits_per_word)
    assert password_entropy_bits() >= MIN_ENTROPY_BITS == 80


def test_the_words_are_those_of_the_shipped_list_in_its_order() -> None:
    # The count and the fingerprint pin the list: a changed list changes every strength.
    assert tuple(read_text("wordlist.txt").split()) == WORDS
    assert len(WORDS) == 3856
    fingerprint = hashlib.sha256("\n".join(WORDS).encode("ascii")).hexdigest()
    assert fingerprint == "4bb51a60a98e30ed5dfad3fb4a0541fdd2678af0f967a3dd1b7d10b6eeb571ed"
    assert password_entropy_bits() == pytest.approx(7 * math.log2(3856))


def test_the_words_are_short_plain_lower_case_words() -> None:
    assert all(re.fullmatch(r"[a-z]{3,7}", w) for w in WORDS)
    assert 2048 <= len(WORDS) <= 7776


@pytest.mark.parametrize(
    "word",
    # Homophones, American spellings, names and words unfit for a letter about a child.
    ["there", "whole", "flour", "break", "gray", "color", "theater", "april", "hate", "abuse"],
)
def test_words_that_would_be_misheard_misspelt_or_unkind_are_not_in_the_list(word: str) -> None:
    assert word not in WORDS


def test_a_password_is_seven_listed_words_joined_by_hyphens() -> None:
    password = generate_password()
    words = password.split(SEPARATOR)
    assert len(words) == DEFAULT_WORDS
    assert all(w in WORDS for w in words)


def test_passwords_are_random() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50


def test_more_words_mean_more_bits() -> None:
    assert password_entropy_bits(9) > password_entropy_bits(7)
    assert len(generate_password(9).split(SEPARATOR)) == 9


def test_too_few_words_are_refused() -> None:
    with pytest.raises(InvalidInput, match="at least 7 words"):
        generate_password(6)
    with pytest.raises(InvalidInput):
        password_entropy_bits(-1)


def test_a_typed_pdf_password_over_32_characters_is_refused_with_the_reason() -> None:
    check_pdf_password_length("x" * MAX_PDF_PASSWORD)
    with pytest.raises(InvalidInput, match="Some PDF readers cannot open a file whose password"):
        check_pdf_password_length("x" * (MAX_PDF_PASSWORD + 1))
