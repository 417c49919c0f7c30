"""``cme`` commands for files out: export, blank-form, visit-sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cme_desktop.cli import EXIT_OK, command, file_password, open_db
from cme_desktop.services.atomic_file import write_atomically


def add_commands(sub: Any) -> None:
    p = sub.add_parser("export", help="a case's referral as an encrypted PDF or Word file")
    p.add_argument("case_id", type=int)
    p.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.docx")
    p.add_argument("--password-file", type=Path, default=None)
    p.add_argument("--for", dest="recipient", default="", help="partner agency key")
    p = sub.add_parser("blank-form", help="the fillable referral form for schools")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("visit-sheet", help="home-visit sheets as one PDF")
    p.add_argument("case_ids", type=int, nargs="+")
    p.add_argument("--out", type=Path, required=True)


def _authority(db: Any) -> Any:
    from cme_desktop.services.settings import SettingsService, authority_of

    return authority_of(SettingsService(db).load())


@command("export")
def _export(args: argparse.Namespace) -> int:
    from cme_desktop.services.exporting import ExportService, format_of

    format_of(args.out)
    password = file_password(args.password_file, args.out.name)
    db = open_db(args)
    try:
        result = ExportService(db).export_referral(
            args.case_id,
            target=args.out,
            password=password,
            authority=_authority(db),
            recipient=args.recipient,
        )
    finally:
        db.close()
    print(f"Exported to {result.path} ({result.format.upper()}, AES-256, {result.size} bytes).")
    print(
        "Send the password by another channel (phone or text), never in the same email.",
        file=sys.stderr,
    )
    return EXIT_OK


@command("blank-form")
def _blank_form(args: argparse.Namespace) -> int:
    from cme_desktop.services.blank_form import render_blank_form
    from cme_desktop.services.documents import DEFAULT

    authority = DEFAULT
    if args.db is not None:
        db = open_db(args)
        try:
            authority = _authority(db)
        finally:
            db.close()
    write_atomically(args.out, render_blank_form(authority=authority))
    print(f"Blank referral form written to {args.out}.")
    return EXIT_OK


@command("visit-sheet")
def _visit_sheet(args: argparse.Namespace) -> int:
    from cme_desktop.services.visit_sheets import VisitSheetService

    db = open_db(args)
    try:
        pdf = VisitSheetService(db).render_for(args.case_ids, authority=_authority(db))
    finally:
        db.close()
    write_atomically(args.out, pdf)
    print(f"{len(args.case_ids)} visit sheet(s) written to {args.out}.")
    return EXIT_OK
