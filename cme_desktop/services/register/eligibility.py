"""Is the child one the register is for? Section 436B(1), checked from what is known.

A child is eligible to be on the authority's register when, on the day:

1. they live in the authority's area (s.436B(1));
2. they are of compulsory school age (s.8 of the 1996 Act, the statute-exact rule of
   ``rules.school_age``);
3. they are not a registered pupil at a school (s.436B(1)(b)), or they are a registered
   pupil but educated elsewhere under an arrangement of a prescribed description
   (s.436B(1)(c): the configured list of ``register.config``, as regulations will
   prescribe it).

Each condition is met, not met, or not known; the result is **not eligible** if any is
not met, else **not known** if any is not known, else **eligible** — with the condition
that fails (or is unknown) named in words, for the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.school_age import AgeStatus, duty_status

__all__ = ["Check", "Condition", "Eligibility", "Result", "eligibility"]


class Result(StrEnum):
    """A condition's answer, and the whole result's."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Condition(StrEnum):
    """The conditions of s.436B(1), in the Act's order."""

    AREA = "area"
    AGE = "age"
    SCHOOL = "school"


CONDITION_LABELS: dict[Condition, str] = {
    Condition.AREA: "Lives in the area",
    Condition.AGE: "Of compulsory school age",
    Condition.SCHOOL: "Not a registered pupil, or educated elsewhere by a prescribed arrangement",
}


@dataclass(frozen=True)
class Check:
    """One condition's answer and why, in words."""

    condition: Condition
    result: Result
    explanation: str

    @property
    def label(self) -> str:
        return CONDITION_LABELS[self.condition]


@dataclass(frozen=True)
class Eligibility:
    """The three checks and what they add up to."""

    checks: tuple[Check, ...]

    @property
    def result(self) -> Result:
        results = {c.result for c in self.checks}
        if Result.NOT_MET in results:
            return Result.NOT_MET
        if Result.UNKNOWN in results:
            return Result.UNKNOWN
        return Result.MET

    @property
    def headline(self) -> str:
        """``Eligible``, ``Not eligible`` or ``Not known``."""
        return {
            Result.MET: "Eligible",
            Result.NOT_MET: "Not eligible",
            Result.UNKNOWN: "Not known",
        }[self.result]

    @property
    def failing(self) -> tuple[Check, ...]:
        """The checks that decide the result: those not met, else those not known."""
        if self.result is Result.MET:
            return ()
        wanted = Result.NOT_MET if self.result is Result.NOT_MET else Result.UNKNOWN
        return tuple(c for c in self.checks if c.result is wanted)

    def summary(self) -> str:
        """One line for the record: the result, and the condition(s) deciding it."""
        if self.result is Result.MET:
            return "Eligible: every condition of s.436B(1) is met."
        reasons = "; ".join(f"{c.label.lower()}: {c.explanation}" for c in self.failing)
        return f"{self.headline} — {reasons}"


def eligibility(
    *,
    lives_in_area: str,
    date_of_birth: date | None,
    school_status: str,
    arrangement: str,
    arrangements: Iterable[str],
    on: date,
) -> Eligibility:
    """Check s.436B(1) on ``on`` from what is known.

    ``lives_in_area``: ``yes``/``no``/``unknown``; ``school_status``: a key of
    ``register_terms.SCHOOL_STATUSES``; ``arrangement``: the key of the arrangement a
    registered pupil is educated elsewhere under; ``arrangements``: the keys prescribed
    (configured).
    """
    return Eligibility(
        (
            _area(lives_in_area),
            _age(date_of_birth, on),
            _school(school_status, arrangement, frozenset(arrangements)),
        )
    )


def _area(lives_in_area: str) -> Check:
    if lives_in_area == "yes":
        return Check(Condition.AREA, Result.MET, "lives in the area.")
    if lives_in_area == "no":
        return Check(Condition.AREA, Result.NOT_MET, "does not live in the area.")
    return Check(Condition.AREA, Result.UNKNOWN, "not known where the child lives.")


def _age(dob: date | None, on: date) -> Check:
    status = duty_status(dob, on)
    if status.status is AgeStatus.OF_AGE:
        return Check(Condition.AGE, Result.MET, status.explanation)
    if status.status is AgeStatus.UNKNOWN:
        return Check(Condition.AGE, Result.UNKNOWN, "the date of birth is not known.")
    if status.status is AgeStatus.UNDER_AGE and status.starts is not None:
        return Check(
            Condition.AGE,
            Result.NOT_MET,
            f"under compulsory school age until {format_date(status.starts)}.",
        )
    ended = f" (it ended on {format_date(status.ends)})" if status.ends else ""
    return Check(Condition.AGE, Result.NOT_MET, f"over compulsory school age{ended}.")


def _school(school_status: str, arrangement: str, prescribed: frozenset[str]) -> Check:
    if school_status == "not_registered":
        return Check(Condition.SCHOOL, Result.MET, "not a registered pupil at any school.")
    if school_status == "registered":
        return Check(
            Condition.SCHOOL, Result.NOT_MET, "a registered pupil, educated at the school."
        )
    if school_status == "registered_elsewhere":
        if not arrangement:
            return Check(
                Condition.SCHOOL,
                Result.UNKNOWN,
                "a registered pupil educated elsewhere: the arrangement is not recorded.",
            )
        if arrangement in prescribed:
            return Check(
                Condition.SCHOOL,
                Result.MET,
                "a registered pupil educated elsewhere by a prescribed arrangement.",
            )
        return Check(
            Condition.SCHOOL,
            Result.NOT_MET,
            "a registered pupil educated elsewhere, but not by a prescribed arrangement.",
        )
    return Check(Condition.SCHOOL, Result.UNKNOWN, "not known whether a registered pupil.")
