"""Is the vault sound? The quick check at unlock, the full check, and what to do about damage.

- ``quick_check`` runs at every unlock: SQLite's ``quick_check`` table by table,
  starting at a different table each time, stopped when its time budget is
  spent (``QUICK_BUDGET``), so unlocking stays quick at 100,000 cases while
  repeated unlocks cover the whole file. The ``cme`` command runs it as the
  vault opens; the window runs it once the case list is painted, in the
  background, with every page's HMAC after it (``after_unlock_check``), so the
  officer does not wait for it before seeing the list.
- ``full_check`` is ``cme check``: SQLCipher's HMAC check of every page,
  SQLite's ``integrity_check`` and ``foreign_key_check``, and the audit chain
  against its anchors. Every monthly save runs the same check of pages,
  structure and links on its copy (``file_check``), which holds the vault's
  pages as they were, before the copy counts.
- ``last_good_save`` and ``restore_advice`` say which monthly save to restore
  and how, for the notice the officer sees.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy.exc import SQLAlchemyError

from cme_desktop.services.errors import CmeError, VaultDamaged
from cme_desktop.services.rules.dates import format_date
from cme_desktop.services.vault import anchor, audit
from cme_desktop.services.vault.audit import AuditCheck
from cme_desktop.services.vault.backup_files import SnapshotInfo, list_saves, slots_path
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.findings import Finding
from cme_desktop.services.vault.keyslots import seal_key_of

#: Seconds the unlock may spend checking pages (measured in docs/security.md).
QUICK_BUDGET = 0.25
#: How often (in SQLite virtual machine steps) the budget is looked at.
_PROGRESS_STEPS = 2000
#: Monthly saves checked, newest first, when looking for the last good one.
SAVES_TRIED = 3


_HMAC_FAILED = re.compile(r"HMAC verification failed for page (\d+)")


def _pages(problems: list[str]) -> list[int]:
    # SQLCipher names exactly the pages that changed; SQLite's checks also name the pages
    # that merely point to them, so those are used only when SQLCipher named none.
    exact = [int(m.group(1)) for p in problems for m in _HMAC_FAILED.finditer(p)]
    if exact:
        return sorted(set(exact))
    found: list[int] = []
    for problem in problems:
        for match in re.finditer(r"page (\d+)", problem):
            number = int(match.group(1))
            if number not in found:
                found.append(number)
    return found


def _first_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("***")]
    return (lines[0] if lines else text).strip()[:200]


def describe_damage(problems: list[str]) -> str:
    """Where the damage is, in a few words ("page 50 cannot be read")."""
    pages = _pages(problems)
    if pages:
        shown = ", ".join(str(p) for p in sorted(pages)[:5])
        more = f" and {len(pages) - 5} more" if len(pages) > 5 else ""
        noun = "page" if len(pages) == 1 else "pages"
        return f"{noun} {shown}{more} of the vault file cannot be read"
    return _first_line(problems[0]) if problems else "the vault file cannot be read"


# --- the quick check at unlock ----------------------------------------------------------


@dataclass(frozen=True)
class QuickCheck:
    """What the bounded check at unlock covered and found."""

    problems: tuple[str, ...]
    tables_checked: int
    tables: int
    seconds: float

    @property
    def complete(self) -> bool:
        return self.tables_checked == self.tables

    @property
    def damaged(self) -> bool:
        return bool(self.problems)


def quick_check(
    db: Database, *, budget: float = QUICK_BUDGET, first: int | None = None
) -> QuickCheck:
    """SQLite's ``quick_check`` table by table, for at most ``budget`` seconds.

    Starts at table ``first`` (default: a random one), so that unlocks spread
    over the whole file what one budget cannot cover on a large vault.
    """
    started = time.perf_counter()
    conn = db.open_other(db.path)
    problems: list[str] = []
    checked = 0
    try:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
            )
        ]
        if not names:
            return QuickCheck(problems=(), tables_checked=0, tables=0, seconds=0.0)
        start = random.randrange(len(names)) if first is None else first % len(names)
        order = names[start:] + names[:start]
        deadline = started + budget
        conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), _PROGRESS_STEPS)
        for name in order:
            if time.perf_counter() > deadline:
                break  # small tables end between two looks of the progress handler
            quoted = name.replace("'", "''")
            try:
                rows = conn.execute(f"PRAGMA quick_check('{quoted}')").fetchall()
            except sqlcipher.OperationalError as exc:
                if "interrupt" in str(exc).lower():
                    break  # the budget is spent: the next unlock starts elsewhere
                problems.append(f"table {name}: {exc}")
                break
            except sqlcipher.DatabaseError as exc:
                # An unreadable page stops the whole connection: one is enough to report.
                problems.append(f"table {name}: {exc}")
                break
            checked += 1
            problems += [str(r[0]) for r in rows if r[0] != "ok"]
            if problems:
                break
    finally:
        conn.close()
    return QuickCheck(
        problems=tuple(problems),
        tables_checked=checked,
        tables=len(names),
        seconds=time.perf_counter() - started,
    )


def damage_finding(db: Database, problems: list[str] | tuple[str, ...]) -> Finding:
    """The finding an unlock reports for damaged pages, named by SQLCipher's page check."""
    conn = db.open_other(db.path)
    try:
        exact = _pragma(conn, "PRAGMA cipher_integrity_check")
    finally:
        conn.close()
    problems = [*exact, *problems]
    where = describe_damage(problems)
    return Finding(
        kind="damage_found",
        message=(
            f"The vault is damaged: {where}. Some records may not open, and the monthly "
            "save will not copy a damaged vault."
        ),
        detail="pages=" + (",".join(str(p) for p in _pages(problems)[:20]) or "unknown"),
        damage=True,
    )


# --- the full check -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    """What ``full_check`` found, part by part."""

    page_count: int
    #: SQLCipher's HMAC check: pages changed since they were written.
    pages: tuple[str, ...]
    #: SQLite's integrity_check: the database's structure.
    structure: tuple[str, ...]
    #: SQLite's foreign_key_check: records that refer to a record that is not there.
    links: tuple[str, ...]
    audit: AuditCheck | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def damaged(self) -> bool:
        return bool(self.pages or self.structure or self.links)

    @property
    def sound(self) -> bool:
        return not self.damaged and (self.audit is None or self.audit.ok)

    def damage_summary(self) -> str:
        """One line on the damage ("page 50 of the vault file cannot be read")."""
        if self.pages or self.structure:
            return describe_damage(list(self.pages or self.structure))
        if self.links:
            return f"{len(self.links)} records refer to records that are not there"
        return ""


def _pragma(conn: sqlcipher.Connection, sql: str, *, skip_ok: bool = False) -> list[str]:
    try:
        rows = conn.execute(sql).fetchall()
    except sqlcipher.DatabaseError as exc:
        return [str(exc)]
    return [str(r[0]) for r in rows if not (skip_ok and r[0] == "ok")]


def _links(conn: sqlcipher.Connection) -> list[str]:
    try:
        rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlcipher.DatabaseError as exc:
        return [str(exc)]
    return [
        f"{table} row {rowid} refers to a missing {parent} row" for table, rowid, parent, _ in rows
    ]


def _confirmed_pages(conn: sqlcipher.Connection) -> list[str]:
    pages = _pragma(conn, "PRAGMA cipher_integrity_check")
    if pages:
        # SQLCipher reads the file's pages directly: a page being written back from the
        # write-ahead log by another connection at that moment could read as damaged.
        # Only pages that fail twice are reported.
        again = set(_pragma(conn, "PRAGMA cipher_integrity_check"))
        pages = [p for p in pages if p in again]
    return pages


def page_check(db: Database) -> Finding | None:
    """Every page against its HMAC (SQLCipher), nothing else: the window's check after unlock.

    About 0.7 s at 100,000 cases, run in the background; ``None`` when no page is damaged.
    """
    conn = db.open_other(db.path)
    try:
        pages = _confirmed_pages(conn)
    finally:
        conn.close()
    return damage_finding(db, pages) if pages else None


def after_unlock_check(db: Database) -> Finding | None:
    """The unlock's bounded ``quick_check``, then every page against its HMAC.

    For a caller that opened the vault without the check (``Vault.check_pages_at_open``
    False), once the officer can see the list. Damage found is written to the audit
    log as at unlock, where the vault still takes a write, and returned for the notice;
    ``None`` when none was found.
    """
    quick = quick_check(db)
    found = damage_finding(db, quick.problems) if quick.damaged else page_check(db)
    if found is not None:
        # A damaged vault may refuse the write (SQLite can turn read-only on finding a bad
        # page): the notice matters more than the record.
        with contextlib.suppress(CmeError, SQLAlchemyError), db.write() as session:
            audit.record(session, db, action=found.kind, entity="vault", detail=found.detail)
    else:
        correct_case_counts(db)
        correct_task_counts(db)
    return found


@dataclass(frozen=True)
class _Kept:
    """Counts a vault keeps by triggers: its table, the columns they are kept by, and the
    same counted from the rows (``SELECT <columns>, count(*) ...``)."""

    table: str
    columns: str
    counted: str
    what: str  # what is counted again, for the audit row

    def kept(self, conn: Any) -> dict[tuple[Any, ...], int]:
        rows = conn.exec_driver_sql(f"SELECT {self.columns}, n FROM {self.table}")
        return {tuple(row[:-1]): int(row[-1]) for row in rows if row[-1]}

    def real(self, conn: Any) -> dict[tuple[Any, ...], int]:
        return {tuple(row[:-1]): int(row[-1]) for row in conn.exec_driver_sql(self.counted)}


#: Migration 0017's counts of the cases, by status, record, tracking step, escalated,
#: whereabouts unknown and visited: what the list says it shows.
_CASE_COUNTS = _Kept(
    "case_counts",
    "status, cohort, step, escalated, unknown, visited",
    "SELECT status, cohort, current_step, (escalated_police = 1 OR escalated_social_care = 1),"
    " (whereabouts_unknown = 1), (last_visit_on IS NOT NULL), count(*)"
    " FROM cases GROUP BY 1, 2, 3, 4, 5, 6",
    "cases",
)
#: Migration 0018's counts of the tasks due each day, not done, not struck through, on an
#: open case: the dashboard's tasks due today and in the next 7 days.
_TASK_COUNTS = _Kept(
    "task_counts",
    "due_on",
    "SELECT tasks.due_on, count(*) FROM tasks JOIN cases ON cases.id = tasks.case_id"
    " WHERE tasks.done_on IS NULL AND tasks.deleted_at IS NULL AND cases.status = 'open'"
    " GROUP BY tasks.due_on",
    "tasks",
)


def correct_case_counts(db: Database) -> bool:
    """Compare the counts the vault keeps of its cases (``case_counts``, migration 0017:
    what the list says it shows) with the cases, and put them right if they differ
    (audited, ``case_counts_corrected``). True when they were put right.

    Triggers keep them; they could differ only after a change made around them (a table
    rebuilt without its triggers, the file edited by hand), and then the list would show
    too few or too many rows: checked after each unlock, in the background.
    """
    return _correct(db, _CASE_COUNTS)


def correct_task_counts(db: Database) -> bool:
    """As ``correct_case_counts``, for the tasks due each day the vault keeps for the
    dashboard (``task_counts``, migration 0018; audited ``task_counts_corrected``)."""
    return _correct(db, _TASK_COUNTS)


def _correct(db: Database, counts: _Kept) -> bool:
    if db.kind != "vault":
        return False
    with db.read() as session:
        conn = session.connection()
        kept_table = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (counts.table,)
        ).first()
        if kept_table is None or counts.kept(conn) == counts.real(conn):
            return False
    with db.write() as session:
        conn = session.connection()
        real = counts.real(conn)
        if counts.kept(conn) == real:
            return False  # put right meanwhile
        conn.exec_driver_sql(f"DELETE FROM {counts.table}")
        conn.exec_driver_sql(f"INSERT INTO {counts.table} ({counts.columns}, n) {counts.counted}")
        audit.record(
            session,
            db,
            action=f"{counts.table}_corrected",
            entity="vault",
            detail=f"{counts.what} counted again: {sum(real.values())}",
        )
    return True


def full_check(db: Database, *, with_audit: bool = True) -> CheckReport:
    """Every page, the structure, the links and (``with_audit``) the audit log and its anchors."""
    started = time.perf_counter()
    report = _file_report(db, db.path)
    timings = dict(report.timings)
    check = None
    if with_audit and not report.damaged:
        t = time.perf_counter()
        check = check_audit(db)
        timings["audit"] = time.perf_counter() - t
    return CheckReport(
        page_count=report.page_count,
        pages=report.pages,
        structure=report.structure,
        links=report.links,
        audit=check,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


def file_check(db: Database, path: Path) -> CheckReport:
    """Every page, the structure and the links of a file encrypted with the vault's key (a
    monthly save's copy, checked before it counts): ``full_check`` without the audit log."""
    return _file_report(db, path)


#: The page cache of a check's own connection, in KiB. A check reads each page about once,
#: beside a vault whose connections keep their own large caches: with the vault's cache
#: (``database.CACHE_KIB``) the monthly save's check added 128 MiB to the process's peak
#: (359 MB at 100,000 cases); with this one, 8 MiB, for about twice the time (the check
#: runs in the background, the vault not held).
CHECK_CACHE_KIB = 8192


def _file_report(db: Database, path: Path) -> CheckReport:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    conn = db.open_other(path)
    try:
        conn.execute(f"PRAGMA cache_size = -{CHECK_CACHE_KIB}")
        page_count = int(conn.execute("PRAGMA page_count").fetchone()[0])
        t = time.perf_counter()
        pages = _confirmed_pages(conn)
        timings["pages"] = time.perf_counter() - t
        t = time.perf_counter()
        structure = _pragma(conn, "PRAGMA integrity_check", skip_ok=True)
        timings["structure"] = time.perf_counter() - t
        t = time.perf_counter()
        links = _links(conn) if not structure else []
        timings["links"] = time.perf_counter() - t
    finally:
        conn.close()
    return CheckReport(
        page_count=page_count,
        pages=tuple(pages),
        structure=tuple(structure),
        links=tuple(links),
        seconds=time.perf_counter() - started,
        timings=timings,
    )


def check_audit(db: Database) -> AuditCheck:
    """The whole chain, what earlier unlocks recorded, and the anchors outside the database.

    The anchors are the key file's and those of the monthly saves on record.
    """
    with db.read() as session:
        chain = audit.verify(session, db.audit_key)
    saves = [s.backup_file for s in list_saves(db) if s.backup_exists and s.backup_file]
    problems = anchor.check_log(
        db, slots_path(db.path), seal_key_of(db.key), saves=saves[:SAVES_TRIED]
    )
    return AuditCheck(
        rows=chain.rows,
        first_bad_id=chain.first_bad_id,
        problem=chain.problem,
        incidents=chain.incidents,
        anchor_problems=problems,
    )


def refuse_if_damaged(db: Database) -> CheckReport:
    """The full check of the vault: ``VaultDamaged`` (saying what to do) if damaged.

    The monthly save calls this only when its copy failed ``file_check``: the copy is
    the vault's pages as they were, so this tells damage in the vault from a copy that
    went wrong.
    """
    report = full_check(db, with_audit=False)
    if report.damaged:
        good = last_good_save(db)
        kept = f" The save of {good.month} is kept as it is." if good is not None else ""
        raise VaultDamaged(
            f"The vault is damaged ({report.damage_summary()}), so this month's save was not "
            f"made: a damaged copy must not take the place of a good one.{kept} "
            + restore_advice(good)
        )
    return report


def report_lines(report: CheckReport, found: Sequence[Finding] = ()) -> list[str]:
    """``cme check``'s report, one line per part, before its verdict."""
    lines = [
        f"Pages: {report.page_count:,}, each checked against its HMAC (SQLCipher): "
        + (
            "none damaged."
            if not report.pages
            else f"{len(report.pages)} damaged ({describe_damage(list(report.pages))})."
        ),
        "Structure (SQLite integrity_check): "
        + ("sound." if not report.structure else _first_line(report.structure[0]) + "."),
    ]
    if report.structure:
        lines.append("Links between records: not checked, the structure is damaged.")
    else:
        lines.append(
            "Links between records (SQLite foreign_key_check): "
            + (
                "every record refers to one that exists."
                if not report.links
                else f"{len(report.links)} broken, e.g. {report.links[0]}."
            )
        )
    check = report.audit
    if check is None:
        lines.append("Audit log: not checked, the vault is damaged.")
    elif check.problem:
        lines.append(f"Audit log: {check.rows:,} events; altered: {check.problem}.")
    else:
        anchored = "" if check.anchor_problems else "; its newest rows match the anchors kept"
        lines.append(f"Audit log: {check.rows:,} events, hash chain verified{anchored}.")
    if check is not None:
        lines += [f"Audit log: {problem}" for problem in check.anchor_problems]
        lines += [f"Noted in audit row {i.row_id}: {i.summary}." for i in check.incidents]
    lines += [f"Found at this unlock: {f.message}" for f in found]
    lines.append(f"Checked in {report.seconds:.1f} s.")
    return lines


# --- what to do -------------------------------------------------------------------------------


def backup_problems(db: Database, backup: Path) -> list[str]:
    """Why the monthly save ``backup`` cannot be trusted; empty when its pages are sound."""
    try:
        conn = db.open_other(backup)
    except CmeError as exc:
        return [exc.message]
    try:
        problems = _pragma(conn, "PRAGMA cipher_integrity_check")
        problems += _pragma(conn, "PRAGMA quick_check", skip_ok=True)
    finally:
        conn.close()
    return problems


def last_good_save(db: Database, *, tries: int = SAVES_TRIED) -> SnapshotInfo | None:
    """The newest monthly save whose file is still there and passes the page checks."""
    tried = 0
    for save in list_saves(db):
        if not save.backup_exists or save.backup_file is None:
            continue
        if not backup_problems(db, save.backup_file):
            return save
        tried += 1
        if tried >= tries:
            break
    return None


def restore_advice(save: SnapshotInfo | None) -> str:
    """What the officer does about damage: which save to restore, and how."""
    if save is None or save.backup_file is None:
        return (
            "No good monthly save was found. Do not delete anything: copy the vault's folder "
            "somewhere safe and contact IT support."
        )
    saved_on = format_date(save.taken_at.date())
    return (
        f"Restore the last good monthly save, {save.month} (made on {saved_on}, "
        f"{save.backup_file}): in CME Desktop open Reports and monthly saves (Ctrl+R), "
        f"the Monthly saves tab, choose {save.month} and Restore into a new file…; then lock, "
        "and open the restored file (cme-desktop --db FILE). Changes made since "
        f"{saved_on} must be entered again."
    )
