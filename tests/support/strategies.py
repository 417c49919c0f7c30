"""Hypothesis strategies shared by the property tests.

``referrals()`` builds valid, already normalised ``cme-referral/1`` records:
every string trimmed, NFC, ``\\n`` the only line break and the only control
character, names without invisible format characters (category Cf), so
``normalise(r) == r`` and any export → import round trip must give back
exactly ``r``.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from hypothesis import strategies as st

from cme_desktop.models.vocabularies import (
    ASSESSMENT_QUESTIONS,
    REFERRER_ACTIONS,
    RISK_INDICATOR_KEYS,
)

#: Names that have broken software before: apostrophes, accents, right-to-left
#: scripts, emoji with joiners, hyphens, a line break. All invented.
AWKWARD_NAMES = (
    "Siobhán O'Connor",
    "Zoë Nyström-Łukasik",
    "Ngọc Trâm Nguyễn",
    "محمد الأحمد",
    "שרה כהן",
    "Jack 👨‍👩‍👧 Smith",
    "Ōta Ren",
    "D'Arcy-Smythe Jr.",
    "Amélie\nde la Tour",
    "Chloé “Coco” Brown",
)

_CHARACTERS = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Zl", "Zp"),
    include_characters="\n",
)


def _canonical(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Trimmed free text as a referral holds it (may be ``""``, may hold ``\\n``)."""
    return st.one_of(
        st.sampled_from(AWKWARD_NAMES),
        st.text(_CHARACTERS, max_size=max_size).map(_canonical),
    )


def _without_format(text: str) -> str:
    return _canonical("".join(c for c in text if unicodedata.category(c) != "Cf"))


def names(max_size: int = 40) -> st.SearchStrategy[str]:
    """A name as a referral holds it: like ``texts``, without format characters (Cf).

    The awkward names' emoji with joiners come out as the emoji side by side.
    """
    return texts(max_size).map(_without_format)


def iso_dates() -> st.SearchStrategy[str | None]:
    """An ISO date string or ``None``."""
    return st.none() | st.dates(date(1990, 1, 1), date(2035, 12, 31)).map(date.isoformat)


def yes_no() -> st.SearchStrategy[bool | None]:
    """``True``, ``False`` or ``None`` (not answered)."""
    return st.sampled_from((True, False, None))


def upns() -> st.SearchStrategy[str | None]:
    """``None`` or 13 capitals and digits shaped like a UPN (check letter not computed)."""
    return st.none() | st.from_regex(r"[A-HJ-NP-RT-Z][0-9]{12}", fullmatch=True)


@st.composite
def _indicator(draw: st.DrawFn) -> dict[str, Any]:
    present = draw(yes_no())
    timing = draw(st.sampled_from(("current", "historic", None))) if present else None
    return {"present": present, "timing": timing}


def children() -> st.SearchStrategy[dict[str, Any]]:
    """One child entry."""
    return st.fixed_dictionaries(
        {
            "full_name": names(),
            "aka": names(),
            "date_of_birth": iso_dates(),
            "gender": texts(10),
            "ethnicity": texts(10),
            "sen_disability": texts(),
            "child_in_care": yes_no(),
            "upn": upns(),
        }
    )


def referrals(max_children: int = 3) -> st.SearchStrategy[dict[str, Any]]:
    """A valid, normalised ``cme-referral/1`` record, keys in the schema's order."""
    action = st.fixed_dictionaries({"outcome": texts(), "date": iso_dates()})
    return st.fixed_dictionaries(
        {
            "schema": st.just("cme-referral/1"),
            "children": st.lists(children(), min_size=1, max_size=max_children),
            "last_known_address": texts(),
            "parents_carers": names(),
            "telephone": texts(20),
            "email": texts(20),
            "school": texts(),
            "date_last_attended": iso_dates(),
            "additional_information": texts(),
            "referrer_actions": st.fixed_dictionaries({t.key: action for t in REFERRER_ACTIONS}),
            "risk_indicators": st.fixed_dictionaries(
                {k: _indicator() for k in RISK_INDICATOR_KEYS}
            ),
            "social_care_referral_considered": yes_no(),
            "parental_consent": yes_no(),
            "assessment": st.fixed_dictionaries({t.key: texts() for t in ASSESSMENT_QUESTIONS}),
            "referrer": st.fixed_dictionaries(
                {
                    "name": names(),
                    "position": texts(),
                    "contact_details": texts(),
                    "organisation": texts(),
                    "date_completed": iso_dates(),
                }
            ),
        }
    )
