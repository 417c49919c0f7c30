"""What is worth pointing out about a referral, and what it says at a glance.

``validate`` gives the findings for the review screen and the importers: the
malformed values ``normalise`` refuses (errors), and what the officer should
check (warnings). ``summary`` and the indicator readers give the case list and
the escalation wizard the risk indicators marked Yes and Current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cme_desktop.models.vocabularies import RISK_INDICATOR_KEYS, SERIOUS_INDICATORS
from cme_desktop.services.referral.record import Finding, Referral, field_label, read_referral
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.school_age import is_compulsory_school_age
from cme_desktop.services.rules.upn import upn_problem

__all__ = [
    "ReferralSummary",
    "current_indicators",
    "serious_current_indicators",
    "summary",
    "validate",
]


@dataclass(frozen=True)
class ReferralSummary:
    """What the case list and the escalation wizard need at a glance.

    ``escalation_considered`` is true when the referrer answered the question
    "have you considered a referral to Social Care?" (either way).
    """

    indicators_present: int
    indicators_current: int
    serious_current: tuple[str, ...]
    escalation_considered: bool


# --- reading the risk indicators --------------------------------------------


def current_indicators(ref: Referral) -> list[str]:
    """Keys of the risk indicators marked Yes and Current, in the form's order."""
    rows = ref.get("risk_indicators") or {}
    return [
        k
        for k in RISK_INDICATOR_KEYS
        if isinstance(rows.get(k), dict)
        and rows[k].get("present") is True
        and rows[k].get("timing") == "current"
    ]


def serious_current_indicators(ref: Referral) -> list[str]:
    """Keys of the serious indicators (CSE, whereabouts unknown, ...) marked Yes and Current."""
    return [k for k in current_indicators(ref) if k in SERIOUS_INDICATORS]


def summary(ref: Referral) -> ReferralSummary:
    """Counts of indicators present and current, the serious current ones, and escalation."""
    rows = ref.get("risk_indicators") or {}
    present = sum(
        1
        for k in RISK_INDICATOR_KEYS
        if isinstance(rows.get(k), dict) and rows[k].get("present") is True
    )
    return ReferralSummary(
        indicators_present=present,
        indicators_current=len(current_indicators(ref)),
        serious_current=tuple(serious_current_indicators(ref)),
        escalation_considered=ref.get("social_care_referral_considered") is not None,
    )


# --- checking a record ----------------------------------------------------------

_EMAIL = re.compile(r"[^@\s,;<>()\[\]]+@[^@\s,;<>()\[\]]+\.[^@\s,;<>()\[\].]{2,}")
_PHONE_CANDIDATE = re.compile(r"\+?[0-9][0-9 ()\-]{6,}[0-9]")
_UK_PHONE = re.compile(r"(?:0|\+44|0044)[1237][0-9]{8,9}")


def _phone_problem(text: str) -> str | None:
    candidates = _PHONE_CANDIDATE.findall(text)
    if not candidates:
        return "Telephone No. has no phone number in it."
    for candidate in candidates:
        digits = re.sub(r"[ ()\-]", "", candidate.replace("(0)", ""))
        if not _UK_PHONE.fullmatch(digits):
            return (
                "Telephone No. does not look like a UK phone number "
                "(01, 02, 03 or 07 and 11 digits, or +44)."
            )
    return None


def _date_or_none(value: Any) -> date | None:
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def validate(ref: Any, *, today: date) -> list[Finding]:
    """Everything worth pointing out in a referral, for the review screen and the importers.

    Errors are malformed values (the ones ``normalise`` refuses). Warnings: a
    date of birth outside compulsory school age on ``today``, a UPN that is not
    well formed, an email or phone number of the wrong shape, a referral
    completed in the future, a last attendance after today, and a timing given
    without a Yes (check the record *before* normalising, which drops such a
    timing). Never raises for a dict; ``NotAReferral`` for anything else.
    """
    ref_out, findings = read_referral(ref)

    def warn(path: str, message: str) -> None:
        findings.append(Finding(path, message, "warning"))

    for i, child in enumerate(ref_out["children"]):
        dob = _date_or_none(child["date_of_birth"])
        if dob is not None and dob > today:
            warn(
                f"children.{i}.date_of_birth",
                f"{field_label(f'children.{i}.date_of_birth')} is in the future.",
            )
        elif dob is not None and not is_compulsory_school_age(dob, today):
            warn(
                f"children.{i}.date_of_birth",
                f"With this date of birth ({format_uk_date(dob)}) the child is not of "
                "compulsory school age today.",
            )
        if child["upn"] is not None:
            problem = upn_problem(child["upn"])
            if problem is not None:
                warn(f"children.{i}.upn", f"UPN: {problem}")
    email = ref_out["email"]
    if email and not all(_EMAIL.fullmatch(t) for t in re.split(r"[\s,;]+", email) if t):
        warn("email", "Email does not look like an email address (name@example.org).")
    if ref_out["telephone"]:
        problem = _phone_problem(ref_out["telephone"])
        if problem is not None:
            warn("telephone", problem)
    completed = _date_or_none(ref_out["referrer"]["date_completed"])
    if completed is not None and completed > today:
        warn("referrer.date_completed", "Date Completed is in the future.")
    attended = _date_or_none(ref_out["date_last_attended"])
    if attended is not None and attended > today:
        warn("date_last_attended", "Date Last Attended is after today.")
    rows = ref.get("risk_indicators")
    for key in RISK_INDICATOR_KEYS:
        row = rows.get(key) if isinstance(rows, dict) else None
        if isinstance(row, dict) and row.get("timing") and row.get("present") is not True:
            warn(
                f"risk_indicators.{key}.timing",
                f"Risk indicator {key} is marked Current or Historic but not Yes.",
            )
        elif ref_out["risk_indicators"][key] == {"present": True, "timing": None}:
            warn(
                f"risk_indicators.{key}.timing",
                f"Risk indicator {key} is marked Yes but not Current or Historic.",
            )
    return findings
