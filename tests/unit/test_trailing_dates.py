"""An action's outcome as schools write it: the date it was done at its end."""

from __future__ import annotations

from datetime import date

import pytest

from cme_desktop.services.rules.dates import split_trailing_date

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("written", "words", "when"),
    [
        (
            "Tutor group asked, no news. 08/10/2026",
            "Tutor group asked, no news.",
            date(2026, 10, 8),
        ),
        ("Phoned mother - 2/4/26", "Phoned mother", date(2026, 4, 2)),
        ("No answer on 21 October 2026.", "No answer", date(2026, 10, 21)),
        ("Visited, curtains closed (3.10.2026)", "Visited, curtains closed", date(2026, 10, 3)),
        ("08/10/2026", "", date(2026, 10, 8)),
    ],
)
def test_a_date_ending_the_text_is_split_off(written: str, words: str, when: date) -> None:
    assert split_trailing_date(written, today=TODAY) == (words, when)


@pytest.mark.parametrize(
    "written",
    [
        "Visited 3/10/26, no answer. Neighbour says family left.",
        "Lives at flat 12",
        "Spoke to aunt",
        "",
        "Seen 31/02/2026",
    ],
)
def test_a_text_not_ending_with_a_date_comes_back_whole(written: str) -> None:
    assert split_trailing_date(written, today=TODAY) == (written, None)
