"""How long a closed case is kept, and the queue of cases due for review.

The rule (``docs/data-protection.md`` sets out the reading and its sources): a
closed case is kept for ``years_after_closure`` years after it was closed, or
until the child's ``until_age`` birthday, whichever is later; by default 7
years and the 25th birthday. Both numbers are the authority's local choice, set
in the settings. A case with no date of birth is kept for the years after
closure alone. An anniversary that would fall on 29 February in a common year
falls on 1 March, as a birthday does (``rules.school_age.birthday``).

When a case falls due it is not erased by itself: it appears in the review
queue, and the officer either erases it (``cases.erasure``) or keeps it longer,
to a date and for a reason (``extend``), which the case keeps (migration 0009).
An open case is never due: the rule starts at closure, and reopening a case
puts it out of the queue until it is closed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from cme_desktop.models import Case
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.rules.school_age import birthday
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

#: The shortest reason accepted for keeping a case beyond the rule.
MIN_REASON = 10
#: The audit action of a retention extended.
EXTENDED_ACTION = "retention_extended"


@dataclass(frozen=True)
class RetentionRule:
    """Kept ``years_after_closure`` years after closure, or to the ``until_age`` birthday."""

    years_after_closure: int = 7
    #: 0: no age rule, the years after closure alone.
    until_age: int = 25

    @classmethod
    def of(cls, settings: Settings) -> RetentionRule:
        """The rule the authority has set."""
        return cls(settings.retention_years_after_closure, settings.retention_until_age)

    def describe(self) -> str:
        """The rule in a sentence, for the review window and the ``cme`` command."""
        years = f"{self.years_after_closure} year{'s' * (self.years_after_closure != 1)}"
        if not self.until_age:
            return f"Closed cases are kept {years} after closure."
        return (
            f"Closed cases are kept {years} after closure or until the child's "
            f"{_ordinal(self.until_age)} birthday, whichever is later."
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rule_due_on(rule: RetentionRule, *, closed_on: date, date_of_birth: date | None) -> date:
    """The day the rule alone makes a case closed on ``closed_on`` due for review."""
    # ``birthday`` gives the anniversary of any date, with 29 February on 1 March.
    due = birthday(closed_on, rule.years_after_closure)
    if rule.until_age and date_of_birth is not None:
        due = max(due, birthday(date_of_birth, rule.until_age))
    return due


def due_on(
    rule: RetentionRule,
    *,
    closed_on: date,
    date_of_birth: date | None,
    retain_until: date | None,
) -> date:
    """The day a closed case is due for review: the rule's day, or a later extension."""
    due = rule_due_on(rule, closed_on=closed_on, date_of_birth=date_of_birth)
    return max(due, retain_until) if retain_until is not None else due


@dataclass(frozen=True)
class DueCase:
    """A closed case the rule says is due for review, as the queue lists it."""

    case_id: int
    full_name: str
    date_of_birth: date | None
    closed_on: date
    closing_outcome: str
    due_on: date
    #: Why it was kept longer last time, if it was.
    retention_reason: str

    @property
    def reference(self) -> str:
        return case_reference(self.case_id)


class RetentionService:
    """The retention rule applied to the vault's cases."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def rule(self) -> RetentionRule:
        """The rule in the settings."""
        return RetentionRule.of(SettingsService(self.db).load())

    def due(self, *, today: date | None = None) -> list[DueCase]:
        """Closed, not erased cases due for review on ``today`` (England's date), oldest first.

        Read from the rows' dates only; the look is not audited case by case (it names
        no one outside the officer's own window), the erasure or extension that follows is.
        """
        today = today or local_today()
        rule = self.rule()
        query = select(
            Case.id,
            Case.full_name,
            Case.date_of_birth,
            Case.closed_on,
            Case.closing_outcome,
            Case.retain_until,
            Case.retention_reason,
        ).where(Case.status == "closed", Case.closed_on.is_not(None), Case.erased_on.is_(None))
        out: list[DueCase] = []
        with self.db.read() as session:
            for case_id, name, born, closed_on, outcome, until, reason in session.execute(query):
                if closed_on is None:
                    continue  # the query leaves these out; for the type checker
                day = due_on(rule, closed_on=closed_on, date_of_birth=born, retain_until=until)
                if day <= today:
                    out.append(DueCase(case_id, name, born, closed_on, outcome, day, reason))
        out.sort(key=lambda c: (c.due_on, c.case_id))
        return out

    def due_date_of(self, case_id: int) -> date | None:
        """When the case falls due for review; ``None`` while it is open or once erased."""
        rule = self.rule()
        with self.db.read() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Case {case_reference(case_id)} does not exist.")
            if case.status != "closed" or case.closed_on is None or case.erased_on is not None:
                return None
            return due_on(
                rule,
                closed_on=case.closed_on,
                date_of_birth=case.date_of_birth,
                retain_until=case.retain_until,
            )

    def extend(self, case_id: int, *, until: date, reason: str, today: date | None = None) -> None:
        """Keep a closed case beyond the rule until ``until``, for ``reason``.

        The reason is kept on the case and written on its timeline; the audit row says
        only that it was extended and to when (``detail`` holds no text a person typed).
        """
        today = today or local_today()
        reason = reason.strip()
        if len(reason) < MIN_REASON:
            raise InvalidInput(
                "Say why the case is kept longer (e.g. a court case, a complaint or a "
                "safeguarding enquiry still open).",
                field="reason",
            )
        if until <= today:
            raise InvalidInput(
                f"Keep the case until a date after today ({format_uk_date(today)}).",
                field="until",
            )
        rule = self.rule()
        with self.db.write() as session:
            case = session.get(Case, case_id)
            if case is None:
                raise NotFound(f"Case {case_reference(case_id)} does not exist.")
            if case.erased_on is not None:
                raise InvalidInput(f"Case {case_reference(case_id)} has been erased.")
            if case.status != "closed" or case.closed_on is None:
                raise InvalidInput(
                    f"Case {case_reference(case_id)} is open: the retention rule starts "
                    "when it is closed.",
                )
            rule_day = rule_due_on(rule, closed_on=case.closed_on, date_of_birth=case.date_of_birth)
            if until <= rule_day:
                raise InvalidInput(
                    f"The rule already keeps this case until {format_uk_date(rule_day)}: "
                    "choose a later date.",
                    field="until",
                )
            case.retain_until = until
            case.retention_reason = reason
            history.record(
                session,
                case_id=case_id,
                summary=f"Kept beyond the retention rule until {format_uk_date(until)}: {reason}",
                author=self.db.actor,
            )
            audit.record(
                session,
                self.db,
                action=EXTENDED_ACTION,
                entity="case",
                entity_id=case_id,
                detail=f"until={until.isoformat()}",
            )
