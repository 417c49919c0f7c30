"""Closing a case: the checks each outcome needs, and the checklists kept on a case.

Each closing outcome is checked against what the law and the DfE's guidance ask
before the local authority may stop treating the child as missing education:

- "Reached the end of compulsory school age": not before the school leaving date
  (Education Act 1996 s.8(3) and the 1997 Order, ``rules.school_age``), so the
  date of birth is needed.
- "On roll at a school": the school and the day the child starts there.
- "Moved out of the authority": the receiving authority and the day it was told.
- "Untraceable": every enquiry of ``closure_terms.UNTRACEABLE_ENQUIRIES``
  recorded with its date and result (CME statutory guidance, September 2016,
  "Making reasonable enquiries"), and whether the case was passed on (the lost
  pupils database, another authority) and when.

A refusal is ``ClosureRefused`` naming everything missing at once. The other
outcomes need nothing beyond the closing date. What was recorded is read back
(and passed on after the closing) through ``cases.closure_records``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, CaseClosure, CaseEnquiry
from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.closure_terms import (
    CHECKLISTS,
    PASSED_ON_KEYS,
    PASSED_ON_TO,
    UNTRACEABLE_ENQUIRY_KEYS,
)
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import ClosureRefused, InvalidInput
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.rules.school_age import compulsory_school_age
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "PER_CHILD_OUTCOMES",
    "ChecklistEntry",
    "ClosureDetails",
    "apply_closure",
    "closure_problems",
    "on_day",
    "recorded_entries",
    "save_entries",
]


#: The outcomes that need details for each child: closed one case at a time, never in bulk.
PER_CHILD_OUTCOMES: frozenset[str] = frozenset({"on_roll", "moved_out", "untraceable"})


@dataclass(frozen=True)
class ChecklistEntry:
    """One item of a checklist: when the enquiry was made and what it found.

    ``made_on`` ``None`` means not made yet (an item left blank is not recorded).
    """

    item: str
    made_on: date | None
    result: str = ""
    label: str = ""


@dataclass(frozen=True)
class ClosureDetails:
    """What the chosen outcome needs besides the closing date (the rest left blank)."""

    school: str = ""
    school_start: date | None = None
    receiving_authority: str = ""
    authority_told_on: date | None = None
    enquiries: tuple[ChecklistEntry, ...] = ()
    passed_on_to: str = ""
    passed_on_on: date | None = None
    passed_on_note: str = ""


# --- the checks -------------------------------------------------------------------


def closure_problems(
    *,
    outcome: str,
    closed_on: date,
    date_of_birth: date | None,
    details: ClosureDetails,
    recorded: Mapping[str, ChecklistEntry] | None = None,
) -> list[str]:
    """What stops a case closing with ``outcome`` on ``closed_on``, one phrase each.

    ``recorded`` are the untraceable enquiries already on the case; an item given
    in ``details.enquiries`` replaces its recorded one. An empty list: it may close.
    """
    found = _problems(outcome, closed_on, date_of_birth, details, recorded or {})
    return [text for _field, text in found]


def _problems(
    outcome: str,
    closed_on: date,
    date_of_birth: date | None,
    details: ClosureDetails,
    recorded: Mapping[str, ChecklistEntry],
) -> list[tuple[str, str]]:
    """(the field to put right, what is missing) for each problem, in the form's order."""
    problems: list[tuple[str, str]] = []
    if outcome == "over_age":
        if date_of_birth is None:
            problems.append(
                ("outcome", "the child's date of birth, to work out the school leaving date")
            )
        else:
            leaving = compulsory_school_age(date_of_birth)[1]
            if closed_on < leaving:
                problems.append(
                    (
                        "closed_on",
                        f"the school leaving date: the child is of compulsory school age until "
                        f"{format_date(leaving)}, so the case can close this way from that day",
                    )
                )
    elif outcome == "on_roll":
        if not details.school.strip():
            problems.append(("school", "the school the child is on roll at"))
        if details.school_start is None:
            problems.append(("school_start", "the day the child starts (or started) there"))
        elif details.school_start > closed_on:
            problems.append(
                (
                    "school_start",
                    f"a start day by the closing date: the child starts on "
                    f"{format_date(details.school_start)}, so close the case from that day",
                )
            )
    elif outcome == "moved_out":
        if not details.receiving_authority.strip():
            problems.append(("receiving_authority", "the local authority the child moved to"))
        if details.authority_told_on is None:
            problems.append(("authority_told_on", "the day that authority was told"))
        elif details.authority_told_on > closed_on:
            problems.append(
                (
                    "authority_told_on",
                    "that authority told by the closing date (the day given is later)",
                )
            )
    elif outcome == "untraceable":
        problems += _untraceable_problems(closed_on, details, recorded)
    return problems


def _untraceable_problems(
    closed_on: date, details: ClosureDetails, recorded: Mapping[str, ChecklistEntry]
) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    given = dict(recorded) | {e.item: e for e in details.enquiries}
    labels = {t.key: t.label for t in CHECKLISTS["untraceable"]}
    missing = [
        key
        for key in UNTRACEABLE_ENQUIRY_KEYS
        if key not in given or given[key].made_on is None or not given[key].result.strip()
    ]
    if missing:
        problems.append(
            (
                f"enquiry.{missing[0]}",
                "the enquiries, each with its date and result: "
                + "; ".join(labels[key] for key in missing),
            )
        )
    days = {key: given[key].made_on for key in UNTRACEABLE_ENQUIRY_KEYS if key in given}
    late = [key for key, day in days.items() if day is not None and day > closed_on]
    if late:
        problems.append(
            (
                f"enquiry.{late[0]}",
                "enquiries made by the closing date (later: "
                + "; ".join(labels[key] for key in late)
                + ")",
            )
        )
    if details.passed_on_to not in PASSED_ON_KEYS:
        problems.append(("passed_on_to", "where the case was passed on (or that it was not)"))
    elif details.passed_on_to and details.passed_on_on is None:
        problems.append(("passed_on_on", "the day the case was passed on"))
    return problems


def _refuse(outcome: str, problems: Sequence[tuple[str, str]], *, who: str = "") -> ClosureRefused:
    label = vocab.label_of(vocab.CLOSING_OUTCOMES, outcome)
    head = f"{who}: the" if who else "The"
    texts = tuple(text for _field, text in problems)
    return ClosureRefused(
        f"{head} case cannot close as “{label}” without " + ", and ".join(texts) + ".",
        missing=texts,
        field=problems[0][0],
    )


# --- closing ----------------------------------------------------------------------


def apply_closure(
    session: Session,
    db: UnitOfWork,
    case: Case,
    *,
    outcome: str,
    on: date,
    note: str,
    details: ClosureDetails,
    bulk: bool = False,
) -> None:
    """Check and close ``case`` inside ``session``: its details, timeline entry and audit row.

    ``ClosureRefused`` (nothing changed) when the outcome's checks fail.
    """
    if outcome not in vocab.INDEX["closing_outcomes"]:
        raise InvalidInput("Choose why the case is closed.", field="outcome")
    who = f"Case {case_reference(case.id)} ({case.full_name})" if bulk else ""
    if case.status == "closed":
        raise InvalidInput(f"{who or 'The case'} is already closed.")
    if on < case.opened_on:
        raise InvalidInput(
            f"{who or 'The case'} opened on {format_date(case.opened_on)}: "
            "it cannot close before it opened.",
            field="closed_on",
        )
    recorded = recorded_entries(session, case.id, "untraceable")
    problems = _problems(outcome, on, case.date_of_birth, details, recorded)
    if problems:
        if bulk:
            problems.append(("outcome", "so close it on its own, with the closing dialog"))
        raise _refuse(outcome, problems, who=who)
    case.status = "closed"
    case.closed_on = on
    case.closing_outcome = outcome
    case.closing_note = note.strip()
    summary = f"Case closed on {on:%d/%m/%Y}: {vocab.label_of(vocab.CLOSING_OUTCOMES, outcome)}."
    if outcome == "on_roll":
        case.new_school = details.school.strip()[:200]
        case.new_school_start = details.school_start
        summary += f" On roll at {case.new_school} from {on_day(details.school_start)}."
    row = session.get(CaseClosure, case.id) or CaseClosure(case_id=case.id)
    row.receiving_authority = ""
    row.authority_told_on = None
    row.passed_on_to, row.passed_on_on, row.passed_on_note = "", None, ""
    if outcome == "moved_out":
        row.receiving_authority = details.receiving_authority.strip()[:200]
        row.authority_told_on = details.authority_told_on
        summary += f" {row.receiving_authority} told on {on_day(row.authority_told_on)}."
    if outcome == "untraceable":
        save_entries(session, db, case.id, "untraceable", details.enquiries)
        row.passed_on_to = details.passed_on_to
        row.passed_on_on = details.passed_on_on if details.passed_on_to else None
        row.passed_on_note = details.passed_on_note.strip() if details.passed_on_to else ""
        to = vocab.label_of(PASSED_ON_TO, row.passed_on_to)
        summary += " Enquiries recorded." + (
            f" Passed on: {to}, {on_day(row.passed_on_on)}." if row.passed_on_to else ""
        )
    session.add(row)
    if case.closing_note:
        summary += f" {case.closing_note}"
    history.record(session, case_id=case.id, summary=summary, author=db.actor)
    audit.record(
        session,
        db,
        action="case_closed",
        entity="case",
        entity_id=case.id,
        detail=f"outcome={outcome}" + (";bulk=yes" if bulk else ""),
    )


def on_day(day: date | None) -> str:
    """A day as the timeline writes it (``dd/mm/yyyy``), or "a day not given"."""
    return f"{day:%d/%m/%Y}" if day else "a day not given"


# --- checklists ------------------------------------------------------------------


def recorded_entries(session: Session, case_id: int, checklist: str) -> dict[str, ChecklistEntry]:
    labels = {t.key: t.label for t in CHECKLISTS[checklist]}
    rows = session.scalars(
        select(CaseEnquiry).where(
            CaseEnquiry.case_id == case_id, CaseEnquiry.checklist == checklist
        )
    )
    return {
        r.item: ChecklistEntry(r.item, r.made_on, r.result, labels.get(r.item, r.item))
        for r in rows
    }


def save_entries(
    session: Session,
    db: UnitOfWork,
    case_id: int,
    checklist: str,
    entries: Iterable[ChecklistEntry],
) -> int:
    """Record the checklist items given with a date (others are left as they are).

    ``InvalidInput`` for an unknown checklist or item, or a date in the future.
    Returns how many items were recorded.
    """
    if checklist not in CHECKLISTS:
        raise InvalidInput("Unknown checklist.", field="checklist")
    known = {t.key for t in CHECKLISTS[checklist]}
    existing = {
        r.item: r
        for r in session.scalars(
            select(CaseEnquiry).where(
                CaseEnquiry.case_id == case_id, CaseEnquiry.checklist == checklist
            )
        )
    }
    count = 0
    for entry in entries:
        if entry.item not in known:
            raise InvalidInput(f"“{entry.item}” is not on the checklist.", field=entry.item)
        if entry.made_on is None:
            continue
        if entry.made_on > date.today():
            raise InvalidInput(
                f"The date of “{entry.label or entry.item}” is in the future.", field=entry.item
            )
        row = existing.get(entry.item) or CaseEnquiry(
            case_id=case_id, checklist=checklist, item=entry.item
        )
        row.made_on = entry.made_on
        row.result = entry.result.strip()
        row.recorded_by = db.actor
        session.add(row)
        count += 1
    return count
