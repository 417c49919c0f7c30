"""The DfE's codes for the termly CME return: sex, primary reason, length-missing bands.

Sources and how far each list is confirmed are in ``docs/dfe-return.md``. In short:
the labels are those of the DfE's published statistics (explore-education-statistics,
"Children missing education", data set ``cme_census.csv``); the short codes written in
the CSV are this application's own defaults, because the COLLECT specification that
gives the submission codes could not be read when this was written; the authority
sets the codes actually written (``dfe_codebook``, Settings > DfE return codes).

Each case records its own sex and DfE primary reason. The reason is *proposed* from
what the case already holds (the policy's reason missing, its at-risk groups, whether
the child's whereabouts are unknown) and the officer confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cme_desktop.models.vocabularies import Term
from cme_desktop.services.errors import InvalidInput

# --- sex -----------------------------------------------------------------------------------

#: The controlled sex field of a case. ``""`` (not yet recorded) blocks the return.
SEXES: tuple[Term, ...] = (
    Term("female", "Female"),
    Term("male", "Male"),
    Term("not_known", "Not known"),
    Term("other", "Other"),
)
SEX_KEYS = frozenset(t.key for t in SEXES)

#: The return's sex columns: the published breakdown has Female, Male and Unknown, so
#: "not known" and "other" are both reported as unknown.
RETURN_SEXES: tuple[tuple[str, str], ...] = (("F", "Female"), ("M", "Male"), ("U", "Unknown"))
_RETURN_SEX = {"female": "F", "male": "M", "not_known": "U", "other": "U"}


def return_sex(sex: str) -> str:
    """The return's sex code (``F``, ``M``, ``U``) for a case's sex key."""
    return _RETURN_SEX[sex]


_FEMALE = {"f", "female", "girl"}
_MALE = {"m", "male", "boy"}
_OTHER = {"other", "non-binary", "nonbinary"}
_NOT_KNOWN = {"not known", "unknown", "n/k", "nk", "u", "not stated", "prefer not to say"}


@dataclass(frozen=True)
class SexReading:
    """The sex read from a typed gender: the key, and whether an officer must check it."""

    key: str
    needs_review: bool


def sex_from_gender(gender: str) -> SexReading:
    """``F``/``Girl`` -> female, ``M``/``Boy`` -> male; anything else -> not known, for review.

    An empty gender gives ``""`` (not recorded: the return asks for it); "unknown" and the
    like give ``not_known``; words that say "other" give ``other``. Anything ambiguous
    (``M / F``, ``?``) is ``not_known`` and flagged, so the officer sees what was typed
    and decides.
    """
    text = " ".join(gender.strip().casefold().replace(".", " ").split())
    if text in _FEMALE:
        return SexReading("female", False)
    if text in _MALE:
        return SexReading("male", False)
    if not text:
        return SexReading("", False)
    if text in _NOT_KNOWN:
        return SexReading("not_known", False)
    if text in _OTHER:
        return SexReading("other", False)
    return SexReading("not_known", True)


# --- primary reason ------------------------------------------------------------------------

#: The DfE's primary reasons for a child missing education, with our short codes. The
#: labels are the published breakdown values; "Not recorded" and "Unknown" in the
#: published data are what the DfE reports when a return leaves the reason out, so they
#: are not offered: every counted case needs a reason (``UNKNOWN_REASON`` when the
#: authority does not know it).
DFE_REASONS: tuple[Term, ...] = (
    Term("APP", "School application awaiting outcome"),
    Term("OFF", "Offered school place but not yet accepted"),
    Term("WSS", "Waiting school start"),
    Term("PRF", "Did not get school preference"),
    Term("DIF", "Difficulty accessing suitable school place"),
    Term("NAP", "Did not apply for school place at compulsory school age"),
    Term("PAR", "Parental decision not to register at school"),
    Term("SAO", "Challenging school attendance order"),
    Term("DSE", "School dissatisfaction SEND"),
    Term("DGN", "School dissatisfaction general"),
    Term("EHE", "Unsuitable elective home education"),
    Term("MLA", "Moved in from another local authority"),
    Term("MCO", "Moved in from another country"),
    Term("BLA", "Believed to have moved to another local authority"),
    Term("BCO", "Believed to have moved to another country"),
    Term("MEN", "Mental health"),
    Term("PHY", "Physical health"),
    Term("OTH", "Other"),
    Term("UNK", "Unknown"),
)
DFE_REASON_KEYS = frozenset(t.key for t in DFE_REASONS)
UNKNOWN_REASON = "UNK"


def propose_reason(reason_missing: str, groups: Iterable[str], *, whereabouts_unknown: bool) -> str:
    """The DfE reason proposed for a case from what it holds (the officer confirms it).

    The mapping (``docs/dfe-return.md``): whereabouts unknown -> believed moved to another
    authority; policy 4.0 "fail to complete a transition" -> moved in from another country
    for new immigrant, refugee and asylum-seeking families, else moved in from another
    authority; "never enter the system" -> did not apply at compulsory school age;
    "cease to attend" -> parental decision not to register; long-term medical or
    emotional problems -> mental health; nothing to go on -> reason not known.
    """
    held = set(groups)
    if whereabouts_unknown:
        return "BLA"
    if "medical" in held:
        return "MEN"
    if reason_missing == "failed_transition":
        arrived = {"new_immigrant", "refugee_families", "unaccompanied_asylum", "trafficked"}
        return "MCO" if held & arrived else "MLA"
    if reason_missing == "never_entered":
        return "NAP"
    if reason_missing == "ceased":
        return "PAR"
    return UNKNOWN_REASON


def check_case_fields(
    sex: str,
    dfe_reason: str,
    confirmed_on: date | None,
    *,
    reasons: frozenset[str] | None = DFE_REASON_KEYS,
) -> None:
    """``InvalidInput`` for a sex or DfE reason that is not one of ours, or a future day.

    ``reasons``: the reasons a case may be given (the authority's current ones,
    ``dfe_codebook``); ``None`` leaves the reason to be checked against them later.
    """
    if sex and sex not in SEX_KEYS:
        raise InvalidInput("Choose the child's sex from the list.", field="sex")
    if reasons is not None and dfe_reason and dfe_reason not in reasons:
        raise InvalidInput("Choose the DfE primary reason from the list.", field="dfe_reason")
    if confirmed_on is not None and confirmed_on > date.today():
        raise InvalidInput(
            "The day CME was confirmed cannot be in the future.", field="cme_confirmed_on"
        )


# --- length missing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A length-missing band: up to ``last_day`` days (``None``: no upper bound)."""

    key: str
    label: str
    last_day: int | None


#: The published length-missing bands. Measured in whole days from the day the child
#: last attended (or, when that is not known, from the day CME was confirmed) to the
#: census day; a band's weeks are 7 days each and a band includes its upper end
#: ("less than 2 weeks" = 0 to 13 days, "2 to 4 weeks" = 14 to 28 days).
BANDS: tuple[Band, ...] = (
    Band("LT2W", "Less than 2 weeks", 13),
    Band("2TO4W", "2 to 4 weeks", 28),
    Band("4TO8W", "4 to 8 weeks", 56),
    Band("8TO12W", "8 to 12 weeks", 84),
    Band("12TO26W", "12 to 26 weeks", 182),
    Band("26TO52W", "26 to 52 weeks", 364),
    Band("GT52W", "Over 52 weeks", None),
)


def band_of(days: int) -> Band:
    """The band for ``days`` missing (0 = confirmed on the census day itself)."""
    if days < 0:
        raise ValueError("a child confirmed after the census day is not counted")
    return next(b for b in BANDS if b.last_day is None or days <= b.last_day)


# --- year groups ---------------------------------------------------------------------------

#: National-curriculum year groups of compulsory school age: ``R`` then ``1`` to ``11``.
YEAR_GROUPS: tuple[tuple[str, str], ...] = (("R", "Reception"),) + tuple(
    (str(n), f"Year {n}") for n in range(1, 12)
)


def year_code(group: int) -> str:
    """``R`` for reception (0), else the year number."""
    return "R" if group == 0 else str(group)
