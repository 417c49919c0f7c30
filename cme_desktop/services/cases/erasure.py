"""Erasing a case at the end of its retention: the personal data goes, the figures stay.

What goes: the child's name, other names, address, UPN, ethnicity, needs,
everything typed about the family; the carers and addresses; the referrals and
the files kept with them (and so their import hashes, ``attachments.content_sha256``);
tasks, meetings and notes; every draft of the case; anything typed on the rows
kept below. The full-text search index is rebuilt so that no word of the old
record stays in it, and the pages the old rows held are overwritten with zeros
(SQLite's ``secure_delete``) and folded back into the file.

What stays, so that the statistics of every past period are the same after
erasure as before (``docs/data-protection.md``): a shell of the case under its
reference, named "Erased record", with the dates the reports count by
(notified, opened, closed, last attended, reopened), its codes (status, closing
outcome, route, referring agency, reason, sex, DfE reason, at-risk groups), the
schools (institutions, not people), and the date of birth moved to the first of
its month. Ages on a month's last day, year groups and compulsory school age
depend on the month of birth only (the prescribed days are month ends), so
every figure the reports give is unchanged, while the exact birthday, which
with a school identifies a child, is gone. Rows the reports count (home visits,
escalation decisions, tracking steps, reopenings, the closure details) are
kept with their dates and codes and no text. Anything not listed as kept is
blanked, so a column added later is erased unless it is added to the lists.

The audit log is not touched: its rows hold ids, kinds and the names of the
officers who acted, never the child's details (``models.audit.AuditEvent``), so
the hash chain still verifies; erasure adds one row (who, when, which case,
"erased under the retention rule").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Table, delete, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from cme_desktop.models import Base, Case, Family, Setting, TimelineEntry, load_all
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.drafts import PREFIX as DRAFT_PREFIX
from cme_desktop.services.cases.retention import RetentionRule, RetentionService, due_on
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.rules.dates import format_uk_date
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, checkpoint

#: The name an erased case is listed under.
ERASED_NAME = "Erased record"
#: The audit action of an erasure.
ERASED_ACTION = "case_erased"

#: Tables whose rows of the case are deleted outright: nothing in them is counted.
DELETED_TABLES = frozenset(
    {"attachments", "referrals", "carers", "addresses", "tasks", "meetings", "school_returns"}
)
#: Text columns kept on the case shell: codes and schools the reports count by.
KEPT_CASE_TEXT = frozenset(
    {
        "status",
        "closing_outcome",
        "identification_route",
        "referring_agency",
        "reason_missing",
        "gender",
        "sex",
        "dfe_reason",
        "school",
        "new_school",
    }
)
#: Facts on the case that are not text but are about the child, and no report counts.
ERASED_CASE_FACTS = frozenset({"child_in_care"})
#: Text columns kept on the other rows of the case: codes only, never typed text.
KEPT_CODES = frozenset(
    {
        "kind",
        "outcome",
        "step",
        "decision",
        "recommendation",
        "agency",
        "group_key",
        "checklist",
        "item",
        "passed_on_to",
        "receiving_authority",
        "ground",
    }
)
#: Timeline kinds kept: the visits the reports count. Reopenings are kept too (below).
_KEPT_TIMELINE = ("visit",)
# As ``reports.counting`` reads a reopening: its wording up to the first ")."; the
# officer's reason typed after it goes.
_REOPENED = re.compile(r"^Case reopened \(was closed \d{2}/\d{2}/\d{4}: .*?\)\.")


@dataclass(frozen=True)
class Erased:
    """A case erased: its reference and the day."""

    case_id: int
    erased_on: date

    @property
    def reference(self) -> str:
        return case_reference(self.case_id)


def _blank(column: Any) -> Any:
    """The value an erased text column is left with."""
    if isinstance(column.type, JSON):
        return {}
    return "" if not column.nullable else None


def _kept_type(column: Any) -> bool:
    """Dates, times, numbers and flags stay; text is erased unless listed."""
    return isinstance(column.type, Date | DateTime | Integer | Boolean)


def case_tables() -> list[Table]:
    """Every table with rows belonging to a case: a foreign key to ``cases.id``, or a
    ``case_id`` column (a copy kept without the key, e.g. a checked-out record)."""
    # The models are imported when first named: a table whose module nothing has named
    # yet would otherwise be missing here, and its rows left out of an erasure or a pack.
    load_all()
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name != "cases" and case_column(table) is not None
    ]


def case_column(table: Table) -> Any:
    """The column of ``table`` holding the case's id (``None``: not a table of cases)."""
    for fk in table.foreign_keys:
        if fk.column.table.name == "cases":
            return fk.parent
    return table.c.get("case_id")


def _minimise_rows(session: Session, table: Table, case_id: int) -> None:
    """Blank every column of the case's rows in ``table`` but keys, dates and codes."""
    blanks = {
        c.name: _blank(c)
        for c in table.columns
        if not c.primary_key
        and not c.foreign_keys
        and not _kept_type(c)
        and c.name not in KEPT_CODES
    }
    if blanks:
        session.execute(sql_update(table).where(case_column(table) == case_id).values(blanks))


def _erase_timeline(session: Session, case_id: int) -> None:
    entries = session.scalars(select(TimelineEntry).where(TimelineEntry.case_id == case_id))
    for entry in entries:
        reopened = _REOPENED.match(entry.summary) if entry.kind in ("note", "system") else None
        if entry.kind not in _KEPT_TIMELINE and reopened is None:
            session.delete(entry)
            continue
        entry.summary = reopened[0] if reopened else ""
        entry.who_seen = ""
        entry.next_step = ""
        entry.author = ""
        entry.deleted_reason = ""


def _erase_case_row(case: Case) -> None:
    table = Case.__table__
    for column in table.columns:
        if column.name in ERASED_CASE_FACTS:
            setattr(case, column.key, None)
            continue
        if column.primary_key or column.name in KEPT_CASE_TEXT or _kept_type(column):
            continue
        if column.name == "surname_key":
            continue  # set with the name below
        setattr(case, column.key, _blank(column))
    case.full_name = ERASED_NAME
    case.family_id = None
    if case.date_of_birth is not None:
        # The month of birth is all the reports need (see the module docstring).
        case.date_of_birth = case.date_of_birth.replace(day=1)


class ErasureService:
    """Erases closed cases the retention rule says are due."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def erase(self, case_id: int, *, confirmation: str, today: date | None = None) -> Erased:
        """Erase the personal data of one case due under the retention rule.

        ``confirmation`` must be the case's reference typed by the officer
        (``CME-000123``): erasure cannot be undone. Refused for an open case, a case not
        yet due, or one already erased. One transaction: the case is erased and the
        audit row written together, or neither.
        """
        today = today or local_today()
        reference = case_reference(case_id)
        if confirmation.strip().upper() != reference:
            raise InvalidInput(
                f"Type the case reference {reference} to confirm: erasure cannot be undone.",
                field="confirmation",
            )
        rule = RetentionService(self.db).rule()
        with self.db.write() as session:
            conn = session.connection()
            # Rows deleted or rewritten now leave zeros behind, not their old text.
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
            try:
                case = session.get(Case, case_id)
                if case is None:
                    raise NotFound(f"Case {reference} does not exist.")
                self._check_due(case, rule=rule, today=today)
                for table in case_tables():
                    if table.name == "timeline":
                        _erase_timeline(session, case_id)
                    elif table.name in DELETED_TABLES:
                        # Referrals point at attachments: referrals go first (sorted_tables
                        # lists a table after those it points at, so go backwards).
                        continue
                    else:
                        _minimise_rows(session, table, case_id)
                for table in reversed(case_tables()):
                    if table.name in DELETED_TABLES:
                        session.execute(delete(table).where(case_column(table) == case_id))
                self._drop_drafts(session, case_id)
                family_id = case.family_id
                _erase_case_row(case)
                case.erased_on = today
                case.retain_until = None
                case.retention_reason = ""
                session.flush()
                self._drop_family(session, family_id)
                # The search index keeps the old words in its segments until they are
                # merged: merge them now, so no token of the name survives.
                conn.exec_driver_sql("INSERT INTO case_search(case_search) VALUES ('optimize')")
                audit.record(
                    session,
                    self.db,
                    action=ERASED_ACTION,
                    entity="case",
                    entity_id=case_id,
                    detail="rule=retention",
                )
            finally:
                conn.exec_driver_sql("PRAGMA secure_delete = OFF")
        # The old pages still sit in the write-ahead log: fold it into the file now.
        checkpoint(self.db)
        return Erased(case_id, today)

    @staticmethod
    def _check_due(case: Case, *, rule: RetentionRule, today: date) -> None:
        reference = case_reference(case.id)
        if case.erased_on is not None:
            raise InvalidInput(f"Case {reference} was erased on {format_uk_date(case.erased_on)}.")
        if case.status != "closed" or case.closed_on is None:
            raise InvalidInput(f"Case {reference} is open: only a closed case can be erased.")
        day = due_on(
            rule,
            closed_on=case.closed_on,
            date_of_birth=case.date_of_birth,
            retain_until=case.retain_until,
        )
        if day > today:
            raise InvalidInput(
                f"Case {reference} is kept until {format_uk_date(day)} under the retention "
                "rule: it cannot be erased before then."
            )

    @staticmethod
    def _drop_drafts(session: Session, case_id: int) -> None:
        """Unsaved edits of the case kept at an idle lock (``cases.drafts``)."""
        for setting in session.scalars(select(Setting).where(Setting.key.startswith(DRAFT_PREFIX))):
            value = setting.value
            if isinstance(value, dict) and value.get("case_id") == case_id:
                session.delete(setting)

    @staticmethod
    def _drop_family(session: Session, family_id: int | None) -> None:
        """The sibling link goes; the family row too when no case is left in it."""
        if family_id is None:
            return
        left = session.scalar(select(Case.id).where(Case.family_id == family_id).limit(1))
        if left is None:
            family = session.get(Family, family_id)
            if family is not None:
                session.delete(family)
