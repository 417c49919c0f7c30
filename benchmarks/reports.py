"""The statistics' speed: the quarterly report, the DfE return, pupils without a place (the
first page the window shows) and the monthly save, over a demo vault.

Targets: each report's figures within 300 ms at every size, and the process's peak
memory within 250 MB.
"""

from __future__ import annotations

import io
import sys
import tempfile
from datetime import date
from functools import partial
from pathlib import Path

from benchmarks.common import Bench, Result, stopwatch
from cme_desktop.services.reports import csv as report_csv
from cme_desktop.services.reports import pdf as report_pdf
from cme_desktop.services.reports.dfe_return import dfe_termly
from cme_desktop.services.reports.periods import Quarter
from cme_desktop.services.reports.quarterly import quarterly
from cme_desktop.services.reports.snapshot import snapshot_figures
from cme_desktop.services.reports.without_place import iter_without_place, without_place_page
from cme_desktop.services.vault import backups, health
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

REPORT_TARGET_MS = 300
#: The monthly save holds the vault (no change can be committed) for at most this long.
SAVE_TARGET_MS = 1000
MEMORY_TARGET_MB = 250
#: Rows of the list of pupils without a place the window shows at a time.
PAGE = 200


def _db(bench: Bench) -> Database:
    if "reports_db" not in bench.shared:
        bench.shared["reports_db"] = Vault(bench.path()).unlock(bench.passphrase, actor="benchmark")
    db: Database = bench.shared["reports_db"]
    return db


def _quarter() -> Quarter:
    # The last complete quarter: the demo's cases cluster in the year before today.
    return Quarter.containing(date.today()).previous()


def measure_quarterly_report(bench: Bench) -> list[Result]:
    """The quarterly figures (with three previous quarters), then the PDF from them.

    The four quarters are over, so after the first report they are read from their
    kept figures (``stored_figures``); the figures worked out from the cases, as the
    first report after a quarter's end does, are a row of their own.
    """
    db = _db(bench)
    with stopwatch() as first:
        report = quarterly(db, _quarter())
    worked_out = [
        bench.timed(lambda: quarterly(db, _quarter(), use_kept=False)) for _ in range(bench.repeat)
    ]
    figures = [bench.timed(lambda: quarterly(db, _quarter())) for _ in range(bench.repeat)]
    pdf = [bench.timed(lambda: report_pdf.quarterly_pdf(report)) for _ in range(bench.repeat)]
    return [
        Result(
            "report_quarterly",
            "Quarterly report: figures (past quarters as kept)",
            tuple(figures),
            target=REPORT_TARGET_MS,
            note=f"first run in the process {first[0]:.0f} ms",
        ),
        Result(
            "report_quarterly_counted",
            "Quarterly report: figures worked out from the cases (once, after a quarter ends)",
            tuple(worked_out),
        ),
        Result("report_quarterly_pdf", "Quarterly report: PDF with charts", tuple(pdf)),
    ]


def measure_dfe_return(bench: Bench) -> list[Result]:
    """The DfE termly return at the last autumn census date."""
    db = _db(bench)
    today = date.today()
    census = date(today.year if today.month >= 10 else today.year - 1, 10, 2)
    samples = [bench.timed(lambda: dfe_termly(db, census)) for _ in range(bench.repeat)]
    return [Result("report_dfe", "DfE termly return", tuple(samples), target=REPORT_TARGET_MS)]


def measure_without_place(bench: Bench) -> list[Result]:
    """Pupils of compulsory school age without a school place (a named list, audited)."""
    db = _db(bench)
    samples = [
        bench.timed(lambda: without_place_page(db, date.today(), offset=0, limit=PAGE))
        for _ in range(bench.repeat)
    ]
    whole: list[float] = []
    for _ in range(bench.repeat):
        with stopwatch() as took:
            stream = iter_without_place(db, date.today())
            report_csv.write_without_place_csv(stream.rows, io.StringIO())
        whole += took
    return [
        Result(
            "report_without_place",
            f"Pupils without a school place: the count and the first {PAGE}",
            tuple(samples),
            target=REPORT_TARGET_MS,
        ),
        Result(
            "report_without_place_csv",
            "Pupils without a school place: the whole list as CSV, streamed from SQL",
            tuple(whole),
            note=f"{stream.total:,} children",
        ),
    ]


def measure_monthly_backup(bench: Bench) -> list[Result]:
    """What the monthly save does: the month's statistics, the copy of the vault (the time
    the vault is held: no change is committed meanwhile) and the full check of the copy
    before it counts (the vault is not held then).

    Measured without writing the snapshot row, so the cached demo vault is not changed.
    """
    db = _db(bench)
    stats: list[float] = []
    copies: list[float] = []
    checks: list[float] = []
    size_mb = 0.0
    with tempfile.TemporaryDirectory(dir=bench.path().parent) as folder:
        for i in range(bench.repeat):
            stats.append(bench.timed(lambda: snapshot_figures(db, today=date.today())))
            target = Path(folder) / f"backup-{i}.cme"
            copies.append(bench.timed(partial(backups.copy_vault, db, target)))
            checks.append(bench.timed(partial(health.file_check, db, target)))
            size_mb = target.stat().st_size / 1e6
            target.unlink()
    return [
        Result(
            "backup_stats",
            "Monthly save: statistics snapshot",
            tuple(stats),
            target=REPORT_TARGET_MS,
        ),
        Result(
            "backup_copy",
            "Monthly save: the vault copied (held meanwhile)",
            tuple(copies),
            target=SAVE_TARGET_MS,
            note=f"{size_mb:.0f} MB",
        ),
        Result(
            "backup_check",
            "Monthly save: full check of the copy, before it counts (the vault not held)",
            tuple(checks),
        ),
    ]


def close(bench: Bench) -> None:
    db = bench.shared.pop("reports_db", None)
    if db is not None:
        db.close()


def main(argv: list[str]) -> int:
    """``python -m benchmarks.reports [CASES]``: these rows alone, for one cached vault."""
    from benchmarks.vaults import PASSPHRASE, ensure_vault

    cases = int(argv[0]) if argv else 100_000
    bench = Bench(cases=cases, vault_path=ensure_vault(cases), passphrase=PASSPHRASE, repeat=5)
    try:
        for measure in (
            measure_quarterly_report,
            measure_dfe_return,
            measure_without_place,
            measure_monthly_backup,
        ):
            for r in measure(bench):
                target = f" (target {r.target:.0f})" if r.target else ""
                print(f"{r.label:<50} median {r.median:8.0f} {r.unit}{target} {r.note}")
    finally:
        close(bench)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
