"""The grounds of regulation 9(1) of SI 2024/208 as the vocabulary and the CSV reader hold them."""

from __future__ import annotations

import string

from cme_desktop.models.closure_terms import DELETION_GROUND_KEYS, DELETION_GROUNDS
from cme_desktop.services.importing.school_returns import NO_CHECK_GROUNDS
from cme_desktop.services.importing.school_returns_csv import parse_ground


def test_the_fifteen_grounds_in_the_regulations_order() -> None:
    letters = string.ascii_lowercase[:15]  # (a) to (o)
    assert [t.key for t in DELETION_GROUNDS] == list(letters)
    for term in DELETION_GROUNDS:
        # Each label cites its paragraph, so a school's letter reads as the law numbers it.
        assert term.label.startswith(f"9(1)({term.key}) ")
    assert "Permanently excluded" in DELETION_GROUNDS[-1].label


def test_every_letter_of_a_deletion_return_is_read() -> None:
    for key in DELETION_GROUND_KEYS:
        assert parse_ground(f"9(1)({key})") == key
        assert parse_ground(f"reg 9(1)({key.upper()})") == key
    assert parse_ground("9(1)(o)") == "o"
    assert parse_ground("9(1)(p)") is None


def test_a_child_left_with_no_school_place_has_a_case_opened() -> None:
    # (m) boarding fees unpaid, (n) left an independent school, (o) permanently excluded,
    # like (f) to (j): nothing in the deletion says where the child is educated now.
    assert NO_CHECK_GROUNDS <= DELETION_GROUND_KEYS
    assert not {"f", "g", "h", "i", "j", "m", "n", "o"} & NO_CHECK_GROUNDS
