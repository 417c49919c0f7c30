"""``cme import`` of schools' deletion and new pupil returns (CSV, ``docs/school-returns.md``).

A CSV file whose headings are a school return's (a return type, a ground for
deletion or a start date) is read here; any other CSV stays a pupil database
report. Saving carries out what each row proposes (``importing.school_returns``):
a deletion return opens a case or is kept on the matching open case. Closing a
case on a new pupil return is a decision the officer confirms: without
``--close-on-roll`` it is only reported, with the case it would close.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cme_desktop.services.importing.school_returns_csv import SchoolReturnRow
    from cme_desktop.services.vault.database import Database


def read(data: bytes) -> list[SchoolReturnRow] | None:
    """The rows of a school's return, read in the sandbox; ``None`` if the CSV is not one."""
    from cme_desktop.services.importing.sandbox import run_isolated
    from cme_desktop.services.importing.school_returns_csv import read_school_returns

    rows: list[SchoolReturnRow] | None = run_isolated(read_school_returns, data)
    return rows


def records(returns: list[tuple[Path, list[SchoolReturnRow]]]) -> list[dict[str, Any]]:
    """Each row as a ``cme-referral/1`` record, for ``--dry-run --json``."""
    from cme_desktop.services.importing.school_returns import return_referral

    return [return_referral(row) for _, rows in returns for row in rows]


def lines(returns: list[tuple[Path, list[SchoolReturnRow]]]) -> list[str]:
    """One line per row for ``--dry-run``: kind, name, ground and the row's problems."""
    out = []
    for path, rows in returns:
        for row in rows:
            kind = {"deletion": "deletion", "new_pupil": "new pupil"}.get(row.kind, "?")
            ground = f" 9(1)({row.ground})" if row.ground else ""
            problems = " ".join(row.problems)
            out.append(
                f"{path.name} row {row.row}: {kind}{ground} {row.full_name} {problems}".rstrip()
            )
    return out


def save(
    db: Database, returns: list[tuple[Path, list[SchoolReturnRow]]], *, close_on_roll: bool
) -> list[dict[str, Any]]:
    """Carry out each file's proposals (closings only with ``close_on_roll``); one
    result per row, as ``cme import`` reports them."""
    from cme_desktop.services.importing import school_returns

    done: list[dict[str, Any]] = []
    for path, rows in returns:
        proposals = school_returns.plan(db, rows)
        wanted = {"open", "update"} | (school_returns.ON_ROLL_ACTIONS if close_on_roll else set())
        confirmed = {p.row.row for p in proposals if p.action in wanted}
        result = school_returns.apply(db, proposals, confirmed=confirmed, source_name=path.name)
        for p in result.proposals:
            message = p.message
            if p.action in school_returns.ON_ROLL_ACTIONS and not p.done and not p.problem:
                message = f"proposed: {message} (run again with --close-on-roll to close it)"
            done.append(
                {
                    "source": path.name,
                    "row": p.row.row,
                    "outcome": p.action if p.done or p.action not in wanted else "not_done",
                    "case_id": p.case_id,
                    "line": f"{path.name} row {p.row.row}: {message}",
                }
            )
    return done
