"""Pruning the monthly saves' backup files; their statistics stay.

The rule (``prune_plan``): every month's save is kept for
``backup_keep_monthly`` months (the current month counts as the first);
older saves are kept one per calendar quarter, the newest save of that
quarter, if ``backup_keep_quarterly_after``, and deleted otherwise. A save
dated after today is never deleted. The statistics snapshot of a pruned
month stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cme_desktop.models.settings import Snapshot
from cme_desktop.services.errors import InvalidInput, OutputError
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.backup_files import list_saves, slots_path
from cme_desktop.services.vault.database import Database


@dataclass(frozen=True)
class PruneRule:
    keep_monthly: int = 24
    keep_quarterly_after: bool = True


def _index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def _quarter(month: str) -> tuple[int, int]:
    index = _index(month)
    return index // 12, (index % 12) // 3


def prune_plan(
    months: Iterable[str], today: date, rule: PruneRule
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which saved months (``YYYY-MM``) to keep and which to delete, both sorted.

    Kept: months less than ``rule.keep_monthly`` months old (this month is 0 months
    old), months after today, and, if ``rule.keep_quarterly_after``, the newest saved
    month of each calendar quarter.
    """
    if rule.keep_monthly < 1:
        raise InvalidInput("Keep at least one monthly backup.", field="backup_keep_monthly")
    saved = sorted(set(months))
    now = today.year * 12 + today.month - 1
    newest_of_quarter: dict[tuple[int, int], str] = {}
    for month in saved:
        newest_of_quarter[_quarter(month)] = month  # sorted: the last one wins
    keep: list[str] = []
    delete: list[str] = []
    for month in saved:
        age = now - _index(month)
        recent = age < rule.keep_monthly
        quarterly = rule.keep_quarterly_after and newest_of_quarter[_quarter(month)] == month
        (keep if recent or quarterly else delete).append(month)
    return tuple(keep), tuple(delete)


def prune(db: Database, *, today: date) -> tuple[str, ...]:
    """Delete the backup files the rule no longer keeps; their statistics stay. Audited."""
    settings = SettingsService(db).load()
    rule = PruneRule(settings.backup_keep_monthly, settings.backup_keep_quarterly_after)
    saves = [s for s in list_saves(db) if s.backup_file is not None]
    _keep, delete = prune_plan([s.month for s in saves], today, rule)
    doomed = [s for s in saves if s.month in set(delete)]
    if not doomed:
        return ()
    for save in doomed:
        assert save.backup_file is not None
        for path in (save.backup_file, slots_path(save.backup_file)):
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise OutputError(
                    f"The old backup {path.name} could not be deleted: {exc.strerror or exc}."
                ) from exc
    with db.write() as session:
        for save in doomed:
            row = session.get(Snapshot, save.id)
            if row is not None:
                row.backup_file = ""
        audit.record(
            session,
            db,
            action="backups_pruned",
            entity="snapshot",
            detail="months=" + ",".join(s.month for s in doomed),
        )
    return tuple(s.month for s in doomed)
