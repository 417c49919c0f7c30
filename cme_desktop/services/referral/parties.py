"""Who a referral names (children, parents/carers, referring agency), and the case it makes.

The form's "Name of Pupil(s)" and "Parents'/Carers' Names" are free text. These
readers turn them into one entry per person without inventing anything: a
name that cannot be split cleanly is kept as written, for the officer to
correct on the case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cme_desktop.models import Case
from cme_desktop.models.vocabularies import WHEREABOUTS_UNKNOWN
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.referral.record import Referral, normalise
from cme_desktop.services.referral.typed_answers import split_pupil_names
from cme_desktop.services.referral.validation import current_indicators
from cme_desktop.services.reports.dfe_codes import sex_from_gender

__all__ = [
    "UNNAMED_CARER",
    "CarerDraft",
    "child_draft",
    "child_index",
    "children_named",
    "fill_blanks",
    "guess_agency",
    "identified_by",
    "parse_carers",
    "same_name",
    "sibling_draft",
    "whereabouts_unknown",
]


@dataclass(frozen=True)
class CarerDraft:
    """A parent or carer read from the form's "Parents'/Carers' Names" and contact fields."""

    name: str
    relationship: str = ""
    telephone: str = ""
    email: str = ""


# --- reading the form's free text ------------------------------------------------

_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr"})
_RELATIONSHIPS = frozenset(
    {
        "mother",
        "mum",
        "mom",
        "father",
        "dad",
        "stepmother",
        "step-mother",
        "stepmum",
        "step-mum",
        "stepfather",
        "step-father",
        "stepdad",
        "step-dad",
        "grandmother",
        "gran",
        "nan",
        "nana",
        "grandfather",
        "grandad",
        "granddad",
        "aunt",
        "auntie",
        "uncle",
        "carer",
        "foster carer",
        "guardian",
        "sister",
        "brother",
        "partner",
        "parent",
    }
)
_PHONE = re.compile(r"(?<![0-9])(?:\+44\s?(?:\(0\)\s?)?|0)[1-9](?:[ \-]?[0-9]){8,9}(?![0-9])")
_EMAIL = re.compile(r"[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[A-Za-z]{2,}")
_BRACKETS = re.compile(r"\(([^()]*)\)")
_LEADING_ROLE = re.compile(r"^\s*([A-Za-z][A-Za-z \-]{1,20}?)\s*[:\-–]\s+(?=\S)")
_TRAILING_ROLE = re.compile(r"\s+[-–]\s*([A-Za-z][A-Za-z \-]{1,20})\s*$")
UNNAMED_CARER = "Parent/carer (name not given)"


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:-–/")


def _role_and_name(part: str) -> tuple[str, str]:
    """``"Jane Smith (Mother)"``, ``"Mum: Jane Smith"``, ``"Jane Smith - mum"`` → role, name."""
    roles = [r.strip() for r in _BRACKETS.findall(part) if r.strip()]
    name = _BRACKETS.sub(" ", part)
    lead = _LEADING_ROLE.match(name)
    if lead and lead.group(1).strip().lower() in _RELATIONSHIPS:
        roles.insert(0, lead.group(1).strip())
        name = name[lead.end() :]
    trail = _TRAILING_ROLE.search(name)
    if trail and trail.group(1).strip().lower() in _RELATIONSHIPS:
        roles.append(trail.group(1).strip())
        name = name[: trail.start()]
    return ", ".join(roles), _tidy(name)


def _spread(values: list[str], count: int, whole_text: str) -> list[str]:
    """Values paired with ``count`` carers in order; one shared value goes to all of them.

    When the numbers do not match, the first carer gets the whole text as written
    so that nothing is lost and nothing is guessed.
    """
    if count == 0:
        return []
    if len(values) == count:
        return values
    if len(values) == 1:
        return values * count
    return [_tidy(whole_text)] + [""] * (count - 1)


def parse_carers(parents_carers: str, telephone: str = "", email: str = "") -> list[CarerDraft]:
    """The parents/carers a form names, each with a phone number and email where it is clear.

    Names are split like "Name of Pupil(s)" (line breaks, ``;``, ``&``, ``/``, "and",
    list commas). "Mr and Mrs Smith" gives "Mr Smith" and "Mrs Smith". A relationship
    in brackets or as a label ("Jane Smith (Mother)", "Mum: Jane Smith") is kept
    apart from the name. A phone number written beside a name belongs to that
    carer; the numbers of "Telephone No." are paired with the carers in order when
    there are as many, shared when there is one, and otherwise all given, as
    written, to the first carer. Emails likewise. A phone or email without any
    name gives one carer named "Parent/carer (name not given)".
    """
    own_phones: list[str] = []
    carers: list[tuple[str, str]] = []
    parts = split_pupil_names(parents_carers)
    for i, part in enumerate(parts):
        phones = [_tidy(p) for p in _PHONE.findall(part)]
        part = _PHONE.sub(" ", part)
        role, name = _role_and_name(part)
        if not name:
            continue
        if name.lower().rstrip(".") in _TITLES and i + 1 < len(parts):
            # "Mr and Mrs Smith": the title borrows the surname written after it.
            following = _role_and_name(_PHONE.sub(" ", parts[i + 1]))[1].split()
            if len(following) > 1:
                name = f"{name} {following[-1]}"
        carers.append((name, role))
        own_phones.append(", ".join(phones))
    phone_list = [_tidy(p) for p in _PHONE.findall(telephone)]
    email_list = _EMAIL.findall(email)
    if not carers and (phone_list or email_list or telephone.strip() or email.strip()):
        carers, own_phones = [(UNNAMED_CARER, "")], [""]
    phones = _spread(phone_list, len(carers), telephone) if telephone.strip() else []
    emails = _spread(email_list, len(carers), email) if email.strip() else []
    out = []
    for i, (name, role) in enumerate(carers):
        phone = own_phones[i] or (phones[i] if i < len(phones) else "")
        out.append(
            CarerDraft(
                name=name,
                relationship=role,
                telephone=phone,
                email=emails[i] if i < len(emails) else "",
            )
        )
    return out


_AGENCY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("police", ("police", "constabulary")),
    ("youth_offending", ("youth offending", "yot", "youth justice")),
    ("childrens_social_care", ("children's social care", "childrens social care", "social work")),
    ("adult_social_care", ("adult social care",)),
    ("health", ("nhs", "health", "hospital", "surgery", "gp", "nurse", "camhs")),
    ("housing", ("housing",)),
    ("schools", ("school", "academy", "college", "pupil referral unit", "alternative provision")),
    ("other_local_authority", ("county council", "city council", "borough council")),
)


def guess_agency(organisation: str) -> str:
    """The partner agency (policy 2.1) an organisation's name points to, or ``""``.

    "Greenfield Primary School" is ``"schools"``, "Leicestershire Police" is
    ``"police"``; a name with no telling word gives ``""`` for the officer to choose.
    """
    text = " " + organisation.lower().replace("\u2019", "'") + " "
    for key, words in _AGENCY_WORDS:
        if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words):
            return key
    return ""


def children_named(ref: Referral) -> list[dict[str, Any]]:
    """The referral's children, one entry per child named.

    When the form has one child entry whose "Name of Pupil(s)" names several
    children ("Jack Smith and Jill Smith"), the first keeps that entry's other
    details and each further child gets an entry with only the name, since the
    form's single date of birth or UPN cannot be shared out without guessing.
    """
    children = [dict(c) for c in ref["children"]]
    if len(children) != 1:
        return children
    names = split_pupil_names(children[0]["full_name"])
    if len(names) < 2:
        return children
    blank = normalise({"schema": ref["schema"]})["children"][0]
    first = children[0] | {"full_name": names[0]}
    return [first] + [blank | {"full_name": name} for name in names[1:]]


# --- from a referral to a case -------------------------------------------------


def same_name(a: str, b: str) -> bool:
    """The same name, ignoring case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def child_index(case: Case, children: list[dict[str, Any]]) -> int | None:
    """Which of the referral's children is this case's child (by name, then UPN)."""
    for i, child in enumerate(children):
        if child["full_name"] and same_name(child["full_name"], case.full_name):
            return i
    for i, child in enumerate(children):
        if case.upn and child["upn"] and child["upn"] == case.upn:
            return i
    return 0 if len(children) == 1 else None


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _upn(value: str | None) -> str:
    # A UPN the referrer mistyped stays on the referral (flagged there), not on the case.
    return value if value and re.fullmatch(r"[A-Z0-9]{13}", value) else ""


def identified_by(ref: Referral) -> str:
    """Who notified the case (policy 8.1): the referrer's name and organisation."""
    referrer = ref["referrer"]
    return ", ".join(p for p in (referrer["name"], referrer["organisation"]) if p)[:200]


def whereabouts_unknown(ref: Referral) -> bool:
    """True when indicator 10, "Whereabouts Unknown", is marked Yes and Current."""
    return WHEREABOUTS_UNKNOWN in current_indicators(ref)


def child_draft(
    ref: Referral, child: dict[str, Any], *, received_on: date, agency: str
) -> CaseDraft:
    """A new case for one child of the referral, with the form's shared details."""
    return CaseDraft(
        full_name=child["full_name"],
        aka=child["aka"],
        date_of_birth=_iso(child["date_of_birth"]),
        gender=child["gender"][:40],
        sex=sex_from_gender(child["gender"]).key,
        ethnicity=child["ethnicity"][:100],
        upn=_upn(child["upn"]),
        sen_disability=child["sen_disability"],
        child_in_care=child["child_in_care"],
        last_known_address=ref["last_known_address"],
        school=ref["school"][:200],
        date_last_attended=_iso(ref["date_last_attended"]),
        identification_route="notification",
        identified_by=identified_by(ref),
        referring_agency=agency,
        notified_on=received_on,
        whereabouts_unknown=whereabouts_unknown(ref),
    )


def sibling_draft(case: Case, child: dict[str, Any]) -> CaseDraft:
    """A brother's or sister's case: the child's own details, the family's shared ones."""
    return CaseDraft(
        full_name=child["full_name"],
        aka=child["aka"],
        date_of_birth=_iso(child["date_of_birth"]),
        gender=child["gender"][:40],
        sex=sex_from_gender(child["gender"]).key,
        ethnicity=child["ethnicity"][:100],
        upn=_upn(child["upn"]),
        sen_disability=child["sen_disability"],
        child_in_care=child["child_in_care"],
        last_known_address=case.last_known_address,
        school=case.school,
        date_last_attended=case.date_last_attended,
        identification_route=case.identification_route,
        identified_by=case.identified_by,
        referring_agency=case.referring_agency,
        reason_missing=case.reason_missing,
        notified_on=case.notified_on,
        whereabouts_unknown=case.whereabouts_unknown,
    )


def fill_blanks(case: Case, ref: Referral) -> list[str]:
    """Copy referral values into the case's blank fields; the names of the fields filled."""
    filled: list[str] = []

    def fill(name: str, value: Any) -> None:
        if value in (None, "") or getattr(case, name) not in (None, ""):
            return
        setattr(case, name, value)
        filled.append(name)

    index = child_index(case, ref["children"])
    if index is not None:
        child = ref["children"][index]
        fill("aka", child["aka"])
        dob = _iso(child["date_of_birth"])
        fill("date_of_birth", dob if dob is not None and dob <= date.today() else None)
        fill("gender", child["gender"][:40])
        fill("sex", sex_from_gender(child["gender"]).key)
        fill("ethnicity", child["ethnicity"][:100])
        fill("upn", _upn(child["upn"]))
        fill("sen_disability", child["sen_disability"])
        fill("child_in_care", child["child_in_care"])
    fill("last_known_address", ref["last_known_address"])
    fill("school", ref["school"][:200])
    fill("date_last_attended", _iso(ref["date_last_attended"]))
    fill("identified_by", identified_by(ref))
    if whereabouts_unknown(ref) and not case.whereabouts_unknown:
        case.whereabouts_unknown = True
        filled.append("whereabouts_unknown")
    return filled
