"""Actions on many cases at once, from the cases selected in the list.

Each action is one transaction: every case changes, or (a case gone, one
already closed, a bad date) none does. Each case gets the audit row the
single-case action gives it, and the action one more row saying how many cases
it touched, so the log shows a bulk close as one decision. The list of the
selected cases leaves the vault only through ``protection.outputs`` (a
protected workbook, or a CSV the officer has confirmed unprotected), and the
export is audited with its count and format, never a name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Case, Task
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.case_list import CaseList, CaseRow
from cme_desktop.services.cases.closing import ClosureDetails, apply_closure
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.list_columns import refresh_next_task_due
from cme_desktop.services.cases.register_only import refuse_if_register_only
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.protection.outputs import ProtectedFiles, SavedFile, format_of
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

#: At most this many cases in one action: a slip of Ctrl+A on 100,000 cases is refused.
MAX_CASES = 2_000

#: The columns of an exported list (one value each per case).
LIST_COLUMNS = (
    "Reference",
    "Name",
    "Date of birth",
    "Last known address",
    "School",
    "Tracking step",
    "Status",
    "Next task due",
)


@dataclass(frozen=True)
class BulkResult:
    """How many cases an action changed."""

    count: int


def _ids(case_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    if not ids:
        raise InvalidInput("Select one or more cases in the list first.")
    if len(ids) > MAX_CASES:
        raise InvalidInput(
            f"Choose at most {MAX_CASES:,} cases at a time ({len(ids):,} are selected)."
        )
    return ids


def _cases(session: Session, ids: list[int]) -> list[Case]:
    found = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"Case {case_reference(missing[0])} is no longer in the vault: nothing was changed."
        )
    return [found[i] for i in ids]


class BulkCases:
    """Add a task to, close, and export the list of many cases."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def _audit(self, session: Session, action: str, case_id: int | None, detail: str) -> None:
        audit.record(
            session, self.db, action=action, entity="case", entity_id=case_id, detail=detail
        )

    def add_task(self, case_ids: Sequence[int], *, title: str, due_on: date) -> BulkResult:
        """The same task (what, and when it is due) on every case, in one transaction."""
        ids = _ids(case_ids)
        if not title.strip():
            raise InvalidInput("Say what needs doing.", field="title")
        with self.db.write() as session:
            cases = _cases(session, ids)
            for case in cases:
                row = Task(case_id=case.id, title=title.strip(), due_on=due_on, origin="bulk")
                session.add(row)
                session.flush()
                refresh_next_task_due(session, case)
                self._audit(session, "task_added", case.id, f"task={row.id};bulk=yes")
            self._audit(session, "bulk_task_added", None, f"cases={len(cases)}")
        return BulkResult(len(ids))

    def close(
        self, case_ids: Sequence[int], *, outcome: str, on: date | None = None, note: str = ""
    ) -> BulkResult:
        """Close every case with one outcome, in one transaction; none if one cannot close."""
        ids = _ids(case_ids)
        if outcome not in vocab.INDEX["closing_outcomes"]:
            raise InvalidInput("Choose why the cases are closed.", field="outcome")
        day = on or date.today()
        with self.db.write() as session:
            cases = _cases(session, ids)
            for case in cases:
                refuse_if_register_only(
                    case.cohort, f"Closing case {case_reference(case.id)} ({case.full_name}) is"
                )
                # The outcome's own checks (``cases.closing``): an outcome needing details
                # per child (a school, an authority, enquiries) is refused here.
                apply_closure(
                    session,
                    self.db,
                    case,
                    outcome=outcome,
                    on=day,
                    note=note,
                    details=ClosureDetails(),
                    bulk=True,
                )
            self._audit(session, "bulk_closed", None, f"cases={len(cases)};outcome={outcome}")
        return BulkResult(len(ids))

    def export_list(
        self,
        case_ids: Sequence[int],
        target: Path,
        *,
        password: str | None,
        today: date | None = None,
    ) -> SavedFile:
        """The selected cases as a table: a workbook protected with ``password``, or (with
        ``password=None``, once the officer confirmed it) an unprotected workbook or CSV.

        Written through ``ProtectedFiles`` (which audits an unprotected file); the export
        itself is audited here with its count and format (``list_exported``).
        """
        ids = _ids(case_ids)
        fmt = format_of(target, allowed=("xlsx", "csv"))
        if fmt == "csv" and password is not None:
            raise InvalidInput(
                f"{Path(target).name}: a CSV file cannot be protected with a password. "
                "Save the list as an Excel workbook (.xlsx).",
                field="target",
            )
        rows = CaseList(self.db).rows(ids)
        missing = [i for i in ids if i not in rows]
        if missing:
            raise NotFound(f"Case {case_reference(missing[0])} is no longer in the vault.")
        table = [list_row(rows[i], today=today or date.today()) for i in ids]
        if fmt == "xlsx":
            from cme_desktop.services.reports.workbook import workbook

            document = workbook("Cases", LIST_COLUMNS, table)
        else:
            document = list_csv(table).encode("utf-8-sig")
        detail = f"cases={len(ids)}"
        saved = ProtectedFiles(self.db).save(
            target, document, fmt=fmt, password=password, what="case_list", detail=detail
        )
        with self.db.write() as session:
            audit.record(
                session,
                self.db,
                action="list_exported",
                entity="case_list",
                detail=(
                    f"output={fmt};{detail};"
                    f"protected={'yes' if saved.protected else 'no'};selected=yes"
                ),
            )
        return saved


def list_row(row: CaseRow, *, today: date) -> list[str | int | date]:
    """One case as a line of the exported list (``LIST_COLUMNS``)."""
    address = ", ".join(p.strip() for p in row.last_known_address.splitlines() if p.strip())
    due = row.next_task_due if row.status == "open" and row.next_task_due else ""
    return [
        case_reference(row.id),
        row.full_name,
        row.date_of_birth or "",
        address,
        row.school,
        row.step_text(),
        row.status,
        due,
    ]


def _cell(value: str | int | date) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    # A cell starting with = + - @ (or a tab/CR) runs as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def list_csv(table: Sequence[Sequence[str | int | date]]) -> str:
    """The exported list as CSV, cells that a spreadsheet would run as formulas defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LIST_COLUMNS)
    for line in table:
        writer.writerow([_cell(v) for v in line])
    return out.getvalue()
