"""Files out (issue 6): one home-visit sheet, a day of 50 sheets, one encrypted export.

Targets: one sheet under 100 ms, 50 sheets under 3 s, one encrypted export under
300 ms. Each figure is the whole service call the window makes: the cases read
(audited), the PDF made in memory, the print audited; for an export, the file
encrypted and written atomically.

Runs with the others (``python -m benchmarks.run``) or alone:
``python -m benchmarks.exports [--cases 1000]``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from benchmarks.common import Bench, Result, stopwatch
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.documents.styles import AuthorityDetails
from cme_desktop.services.documents.visit_sheet import VisitSheetService
from cme_desktop.services.protection.exports import ExportService
from cme_desktop.services.protection.passwords import generate_short_password
from cme_desktop.services.settings import SettingsService, authority_of
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

SHEET_TARGET_MS = 100
BATCH_TARGET_S = 3
BATCH = 50
EXPORT_TARGET_MS = 300


def _db(bench: Bench) -> Database:
    if "exports_db" not in bench.shared:
        bench.shared["exports_db"] = Vault(bench.path()).unlock(bench.passphrase, actor="benchmark")
    db: Database = bench.shared["exports_db"]
    return db


def _authority(db: Database) -> AuthorityDetails:
    return authority_of(SettingsService(db).load())


def _case_ids(db: Database, count: int) -> list[int]:
    """``count`` open cases spread over the vault (not only the newest)."""
    ids = CaseList(db).matching_ids(CaseQuery(quick="open", sort="id"))
    step = max(1, len(ids) // count)
    return ids[::step][:count]


def measure_visit_sheet(bench: Bench) -> list[Result]:
    """One home-visit sheet: the case read, the page made, the print audited."""
    db = _db(bench)
    sheets, authority = VisitSheetService(db), _authority(db)
    ids = _case_ids(db, bench.repeat * 2 + 1)
    with stopwatch() as first:  # registers the typeface once per process
        sheets.render_for(ids[:1], authority=authority)
    samples = [bench.timed(partial(sheets.render_for, [i], authority=authority)) for i in ids[1:]]
    return [
        Result(
            "visit_sheet",
            "Home-visit sheet, one case",
            tuple(samples),
            target=SHEET_TARGET_MS,
            note=f"first in the process {first[0]:.0f} ms",
        )
    ]


def measure_visit_sheet_batch(bench: Bench) -> list[Result]:
    """A day's visits: 50 sheets in one print job."""
    db = _db(bench)
    sheets, authority = VisitSheetService(db), _authority(db)
    ids = _case_ids(db, BATCH)
    runs = bench.repeat
    samples = [
        bench.timed(lambda: sheets.render_for(ids, authority=authority)) / 1000 for _ in range(runs)
    ]
    return [
        Result(
            "visit_sheet_batch",
            f"Home-visit sheets, {len(ids)} in one print job",
            tuple(samples),
            unit="s",
            target=BATCH_TARGET_S,
        )
    ]


def measure_export(bench: Bench) -> list[Result]:
    """A case's referral exported as an encrypted PDF and as an encrypted Word file."""
    db = _db(bench)
    exports, authority = ExportService(db), _authority(db)
    ids = _case_ids(db, bench.repeat + 1)
    folder = Path(tempfile.mkdtemp(prefix="cme-bench-"))
    results = []
    try:
        for fmt, label in (("pdf", "PDF, AES-256"), ("docx", "Word, agile AES-256")):
            password = generate_short_password()

            def export(case_id: int, fmt: str = fmt, password: str = password) -> None:
                exports.export_referral(
                    case_id,
                    target=folder / f"referral.{fmt}",
                    password=password,
                    authority=authority,
                    recipient="police",
                )

            export(ids[0])  # the first loads the document libraries
            samples = [bench.timed(partial(export, i)) for i in ids[1:]]
            results.append(
                Result(
                    f"export_{fmt}",
                    f"Encrypted referral export ({label})",
                    tuple(samples),
                    target=EXPORT_TARGET_MS,
                )
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def close(bench: Bench) -> None:
    """Close the vault (``run.py`` calls this after the module's measures)."""
    db = bench.shared.pop("exports_db", None)
    if db is not None:
        db.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure this module alone on a cached demo vault and print the figures."""
    from benchmarks.vaults import PASSPHRASE, ensure_vault

    parser = argparse.ArgumentParser(prog="python -m benchmarks.exports")
    parser.add_argument("--cases", type=int, default=1_000, help="the demo vault's size")
    parser.add_argument("--repeat", type=int, default=5, help="samples per figure")
    args = parser.parse_args(argv)
    bench = Bench(
        cases=args.cases,
        vault_path=ensure_vault(args.cases),
        passphrase=PASSPHRASE,
        repeat=args.repeat,
    )
    try:
        results = [
            r
            for measure in (measure_visit_sheet, measure_visit_sheet_batch, measure_export)
            for r in measure(bench)
        ]
    finally:
        close(bench)
    for r in results:
        met = "" if r.target is None else ("  met" if r.median < r.target else "  MISSED")
        target = "" if r.target is None else f" (target < {r.target:g} {r.unit})"
        figure = f"{r.median:.2f} {r.unit}" if r.unit == "s" else f"{r.median:.0f} {r.unit}"
        note = f"; {r.note}" if r.note else ""
        print(f"{r.label}: median {figure}, worst {r.worst:.2f}{target}{met}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
