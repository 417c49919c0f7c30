"""``cme register export|import``: a register entry as a protected ``cme-register/1`` PDF.

``export CASE_ID --out FILE.pdf`` writes the child's register entry, AES-256 encrypted
with the password from ``--password-file`` (or asked), the record embedded
(docs/cnis-exchange.md). ``import FILE`` reads one back in the import sandbox and says
which case it matches; it writes nothing unless told where: ``--case ID`` updates that
child's entry, ``--new`` puts a child new to the record on the register, and
``--matched`` updates the one case it matches surely (the same UPN, or one sure match
by name and date of birth).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cme_desktop.cli.common import EXIT_OK, UsageError, file_password, open_db, vault_authority


def add_commands(sub: Any) -> None:
    """Register ``register export`` and ``register import`` on the parser."""
    p = sub.add_parser("register", help="the register of children not in school: exchange")
    inner = p.add_subparsers(dest="register_command", required=True, parser_class=type(p))
    e = inner.add_parser("export", help="a child's register entry as a protected PDF")
    e.add_argument("case_id", type=int)
    e.add_argument("--out", type=Path, required=True, help="FILE.pdf")
    e.add_argument("--password-file", type=Path, default=None)
    e.set_defaults(func=_export)
    i = inner.add_parser("import", help="a register entry exported by another authority")
    i.add_argument("file", type=Path, metavar="FILE")
    i.add_argument("--password-file", type=Path, default=None)
    where = i.add_mutually_exclusive_group()
    where.add_argument("--case", type=int, default=None, help="update this case's entry")
    where.add_argument("--new", action="store_true", help="a child new to the record")
    where.add_argument("--matched", action="store_true", help="update the one sure match")
    i.add_argument("--json", action="store_true", help="print the record and the matches")
    i.set_defaults(func=_import)


def _export(args: argparse.Namespace) -> int:
    from cme_desktop.services.register.exchange import export_entry

    if args.out.suffix.lower() != ".pdf":
        raise UsageError("--out must name a .pdf file.")
    password = file_password(args.password_file, args.out.name)
    db = open_db(args)
    try:
        size = export_entry(
            db,
            args.case_id,
            target=args.out,
            password=password,
            authority=vault_authority(db).name,
        )
    finally:
        db.close()
    print(f"Exported to {args.out} (PDF, AES-256, {size} bytes).")
    print(
        "Send the password by another channel (phone or text), never in the same email.",
        file=sys.stderr,
    )
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from cme_desktop.services.importing.input_files import read_input_file
    from cme_desktop.services.importing.sandbox import run_isolated
    from cme_desktop.services.register import exchange

    data = read_input_file(args.file)
    password = file_password(args.password_file, args.file.name)
    transfer: exchange.RegisterTransfer = run_isolated(
        exchange.read_transfer, data, password=password
    )
    db = open_db(args)
    try:
        matches = exchange.find_matches(db, transfer)
        sure = exchange.proposed_case(matches)
        if args.json:
            shown = [
                {"case_id": m.case_id, "reference": m.reference, "reason": m.reason}
                for m in matches
            ]
            print(
                json.dumps(
                    {"record": transfer.record, "matches": shown, "proposed": sure},
                    ensure_ascii=False,
                    indent=2,
                )
            )
        if args.case is None and not args.new and not args.matched:
            for m in matches:
                print(f"May be {m.reference} {m.full_name} ({m.reason}).", file=sys.stderr)
            if sure is not None:
                hint = f"--case {sure} (or --matched) to update it"
            elif matches:
                hint = "--case ID to update one of them, or --new"
            else:
                hint = "--new to put the child on the register"
            print(f"Nothing written: run again with {hint}.", file=sys.stderr)
            return EXIT_OK
        if args.matched and sure is None:
            raise UsageError("the file matches no case surely: choose with --case ID or --new.")
        case_id = None if args.new else (args.case if args.case is not None else sure)
        done = exchange.import_entry(db, transfer, case_id=case_id)
    finally:
        db.close()
    from cme_desktop.services.cases.detail import case_reference

    verb = "Put on the register as" if done.created else "Updated the register entry of"
    print(f"{verb} {case_reference(done.case_id)}; {done.events_added} event(s) added.")
    return EXIT_OK
