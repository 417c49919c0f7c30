"""``cme`` commands for the statistics: snapshot (the monthly save) and report.

The reports read the vault without changing the record, so they wait a little for a
vault another program is writing to (``BusyWait``). The list of pupils without a school
place names children: it is written protected with a password (an Excel workbook or a
PDF) unless ``--plain`` says otherwise, which the audit log records.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from cme_desktop.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    BusyWait,
    UsageError,
    new_file_password,
    open_db,
    vault_authority,
)
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.errors import InvalidInput


def add_commands(sub: Any) -> None:
    """Register ``snapshot`` and ``report`` on the ``cme`` parser."""
    p = sub.add_parser("snapshot", help="the monthly save: encrypted backup and statistics")
    p.set_defaults(func=_snapshot)
    p = sub.add_parser("report", help="the quarterly report, the DfE return, pupils without place")
    kinds = p.add_subparsers(dest="report_kind", required=True, parser_class=type(p))
    q = kinds.add_parser("quarterly", help="for the Departmental Management Team (PDF, CSV)")
    q.add_argument("--quarter", required=True, help="YYYY-Qn, e.g. 2026-Q3 (July-September)")
    q.add_argument("--out", type=Path, required=True, help="FILE.pdf")
    q.add_argument("--csv", type=Path, default=None, help="the same figures as CSV")
    q.set_defaults(func=_quarterly)
    r = kinds.add_parser(
        "recount",
        help="a past quarter's kept figures against the records now (exit 1 if they differ)",
    )
    r.add_argument("--quarter", required=True, help="YYYY-Qn, e.g. 2026-Q3 (July-September)")
    r.add_argument(
        "--replace",
        action="store_true",
        help="keep the figures the records give now in place of those reported (audited)",
    )
    r.set_defaults(func=_recount)
    d = kinds.add_parser("dfe-termly", help="the DfE termly children-missing-education return")
    d.add_argument(
        "--census-date",
        default=None,
        help="YYYY-MM-DD; by default the latest school-census Thursday up to today",
    )
    d.add_argument("--out", type=Path, required=True, help="FILE.csv, in the DfE's layout")
    d.add_argument("--pdf", type=Path, default=None, help="the return for sign-off")
    d.set_defaults(func=_dfe_termly)
    w = kinds.add_parser("without-place", help="pupils of school age without a school place")
    w.add_argument(
        "--out",
        type=Path,
        required=True,
        help="FILE.xlsx or FILE.pdf, protected with a password (it names children); "
        "FILE.csv only with --plain",
    )
    w.add_argument(
        "--password-file", type=Path, default=None, help="the password, on its first line"
    )
    w.add_argument(
        "--plain",
        action="store_true",
        help="write the names unprotected (CSV, PDF or XLSX); the audit log records it",
    )
    w.set_defaults(func=_without_place)


def census_date(text: str) -> date:
    """``YYYY-MM-DD``, or a clear ``InvalidInput`` (exit 2)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"'{text}' is not a census date: write it as YYYY-MM-DD, e.g. 2026-10-01.",
            field="census_date",
        ) from None


def _suffix(path: Path, *allowed: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise InvalidInput(
            f"{path.name}: the file must end in {' or '.join(allowed)}.", field="out"
        )
    return suffix


def _snapshot(args: argparse.Namespace) -> int:
    from cme_desktop.services.vault import backup_files, backups

    db = open_db(args)
    try:
        info = backups.monthly_save(db, today=date.today())
        if info is None:
            saved = backup_files.list_saves(db)[0]
            print(f"This month ({saved.month}) is already saved: {saved.backup_file or ''}")
        else:
            print(f"Saved {info.month}: {info.backup_file}")
    finally:
        db.close()
    return EXIT_OK


def _quarterly(args: argparse.Namespace) -> int:
    from cme_desktop.services.reports import csv as report_csv
    from cme_desktop.services.reports import pdf as report_pdf
    from cme_desktop.services.reports.periods import Quarter
    from cme_desktop.services.reports.quarterly import quarterly
    from cme_desktop.services.reports.service import record_export

    quarter = Quarter.parse(args.quarter)
    _suffix(args.out, ".pdf")
    if args.csv is not None:
        _suffix(args.csv, ".csv")
    busy = BusyWait()
    db = open_db(args, busy=busy)
    try:
        report = quarterly(db, quarter)
        pdf = report_pdf.quarterly_pdf(report, authority=vault_authority(db))
        write_atomically(args.out, pdf)
        written = [args.out]
        if args.csv is not None:
            write_atomically(args.csv, report_csv.quarterly_csv(report).encode("utf-8-sig"))
            written.append(args.csv)
        busy.run(lambda: record_export(db, report="quarterly", detail=f"quarter={quarter}"))
    finally:
        db.close()
    print(f"Quarterly report {quarter} ({quarter.label}): " + ", ".join(map(str, written)))
    return EXIT_OK


def _recount(args: argparse.Namespace) -> int:
    from cme_desktop.services.reports.periods import Quarter
    from cme_desktop.services.reports.quarterly import keep_recount, kept_at, recount
    from cme_desktop.services.rules.dates import format_date
    from cme_desktop.services.rules.local_time import local_date_of_utc

    quarter = Quarter.parse(args.quarter)
    busy = BusyWait()
    db = open_db(args, busy=busy)
    try:
        at = busy.run(lambda: kept_at(db, quarter))
        if at is None:
            print(
                f"No figures are kept for {quarter} ({quarter.label}): they are kept the first "
                "time a report asks for them after the quarter ends."
            )
            return EXIT_OK
        differences = busy.run(lambda: recount(db, quarter))
        reported = f"kept as reported on {format_date(local_date_of_utc(at))}"
        if not differences:
            print(f"{quarter} ({quarter.label}): the figures {reported} agree with the records.")
            return EXIT_OK
        print(f"{quarter} ({quarter.label}): figures {reported} that the records now give")
        print("differently (table / figure: as reported, now):")
        for d in differences:
            print(f"  {d.table} / {d.row}: {_figure(d.kept)}, now {_figure(d.now)}")
        if args.replace:
            busy.run(lambda: keep_recount(db, quarter))
    finally:
        db.close()
    if args.replace:
        print(f"Replaced: the figures of {quarter} are now those the records give (audited).")
        return EXIT_OK
    print(
        f"cme: {len(differences)} figure(s) kept for {quarter} differ from the records; "
        "add --replace to keep the new ones.",
        file=sys.stderr,
    )
    return EXIT_ERROR


def _figure(value: Any) -> str:
    return "–" if value is None else f"{value:,}"


def _dfe_termly(args: argparse.Namespace) -> int:
    from cme_desktop.services.reports import csv as report_csv
    from cme_desktop.services.reports import pdf as report_pdf
    from cme_desktop.services.reports.dfe_return import dfe_termly
    from cme_desktop.services.reports.periods import proposed_census_day
    from cme_desktop.services.reports.service import record_export
    from cme_desktop.services.rules.local_time import local_today
    from cme_desktop.services.settings import SettingsService

    day = None if args.census_date is None else census_date(args.census_date)
    _suffix(args.out, ".csv")
    if args.pdf is not None:
        _suffix(args.pdf, ".pdf")
    busy = BusyWait()
    db = open_db(args, busy=busy)
    try:
        if day is None:
            day = proposed_census_day(local_today(), SettingsService(db).load().census_dates)
        ret = dfe_termly(db, day)
        # Checked (and refused while counted cases lack details) before anything is written.
        text = report_csv.dfe_csv(ret)
        write_atomically(args.out, text.encode("utf-8-sig"))
        if args.pdf is not None:
            write_atomically(args.pdf, report_pdf.dfe_pdf(ret, authority=vault_authority(db)))
        busy.run(lambda: record_export(db, report="dfe_termly", detail=f"census={day.isoformat()}"))
    finally:
        db.close()
    print(
        f"DfE return at {day.isoformat()}: {ret.missing_total} children missing education; "
        f"{ret.previous_year_total} in {ret.previous_year.label}. Written to {args.out}"
        + (f" and {args.pdf}" if args.pdf is not None else "")
    )
    return EXIT_OK


def _without_place(args: argparse.Namespace) -> int:
    from cme_desktop.services.protection.outputs import ProtectedFiles, check_password, format_of
    from cme_desktop.services.reports import csv as report_csv
    from cme_desktop.services.reports import pdf as report_pdf
    from cme_desktop.services.reports import workbook
    from cme_desktop.services.reports.service import record_export
    from cme_desktop.services.reports.without_place import iter_without_place

    fmt = format_of(args.out, allowed=("xlsx", "pdf", "csv"))
    password: str | None = None
    if args.plain:
        if args.password_file is not None:
            raise UsageError("--plain writes the file unprotected: leave out --password-file.")
    elif fmt == "csv":
        raise InvalidInput(
            f"{args.out.name}: a CSV file cannot be protected and this list names children. "
            "Write FILE.xlsx or FILE.pdf (protected with a password), or add --plain to "
            "write the CSV unprotected.",
            field="out",
        )
    else:
        password = new_file_password(args.password_file, args.out.name)
        check_password(password, fmt=fmt)
    today = date.today()
    busy = BusyWait()
    db = open_db(args, busy=busy)
    try:
        # Streamed from SQL: the PDF and the CSV hold a page of the list at a time.
        stream = busy.run(lambda: iter_without_place(db, today))
        total = stream.total
        if fmt == "pdf":
            data = report_pdf.without_place_pdf(
                stream.rows, today=today, authority=vault_authority(db), total=total
            )
        elif fmt == "xlsx":
            data = workbook.without_place_workbook(list(stream.rows))
        else:
            data = report_csv.without_place_csv(stream.rows).encode("utf-8-sig")
        detail = f"rows={total}"
        saved = busy.run(
            lambda: ProtectedFiles(db).save(
                args.out, data, fmt=fmt, password=password, what="report", detail=detail
            )
        )
        protection = "protected" if saved.protected else "unprotected"
        busy.run(
            lambda: record_export(db, report="without_place", detail=f"{detail} {fmt} {protection}")
        )
    finally:
        db.close()
    if saved.protected:
        print(f"{total} children without a school place: {args.out} (protected with your password)")
    else:
        print(
            f"{total} children without a school place: {args.out} "
            "(unprotected, it names children: keep it safe)"
        )
    return EXIT_OK
