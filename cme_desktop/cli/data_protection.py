"""``cme`` commands for data protection: the retention queue, erasure, subject access."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from cme_desktop.cli.common import EXIT_OK, UsageError, new_file_password, open_db, vault_authority

_REFERENCE = re.compile(r"^\s*(?:CME-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def case_id_of(text: str) -> int:
    """``CME-000123``, ``cme-123`` or ``123`` -> 123."""
    match = _REFERENCE.match(text)
    if not match or int(match[1]) == 0:
        raise UsageError(f"'{text}' is not a case reference: write it as CME-000123.")
    return int(match[1])


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a date: write it as YYYY-MM-DD.") from None


def add_commands(sub: Any) -> None:
    """Register ``retention``, ``erase`` and ``subject-access`` on the ``cme`` parser."""
    p = sub.add_parser("retention", help="closed cases due for review under the retention rule")
    kinds = p.add_subparsers(dest="retention_command", required=True, parser_class=type(p))
    q = kinds.add_parser("list", help="the cases due for review")
    q.add_argument("--on", default=None, help="YYYY-MM-DD; by default today (UK date)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_due)
    e = kinds.add_parser("extend", help="keep a case beyond the rule, to a date, for a reason")
    e.add_argument("case", metavar="REF", help="the case reference, e.g. CME-000123")
    e.add_argument("--until", required=True, help="YYYY-MM-DD")
    e.add_argument("--reason", required=True, help="why it is kept longer")
    e.set_defaults(func=_extend)
    p = sub.add_parser("erase", help="erase a case due under the retention rule (cannot be undone)")
    p.add_argument("case", metavar="REF", help="the case reference, e.g. CME-000123")
    p.add_argument(
        "--confirm",
        required=True,
        metavar="REF",
        help="the case reference typed again, to confirm",
    )
    p.set_defaults(func=_erase)
    p = sub.add_parser(
        "subject-access", help="the whole record of one child as a password-protected PDF"
    )
    p.add_argument("case", metavar="REF", help="the case reference, e.g. CME-000123")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write to")
    p.add_argument(
        "--password-file", type=Path, default=None, help="the password, on its first line"
    )
    p.set_defaults(func=_subject_access)


def _due(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases.retention import RetentionService

    on = _day(args.on) if args.on else None
    db = open_db(args)
    try:
        service = RetentionService(db)
        rule = service.rule()
        due = service.due(today=on)
    finally:
        db.close()
    if args.json:
        rows = [
            {
                "reference": c.reference,
                "full_name": c.full_name,
                "date_of_birth": c.date_of_birth.isoformat() if c.date_of_birth else None,
                "closed_on": c.closed_on.isoformat(),
                "closing_outcome": c.closing_outcome,
                "due_on": c.due_on.isoformat(),
                "kept_longer_because": c.retention_reason,
            }
            for c in due
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(rule.describe())
    if not due:
        print("No case is due for review.")
    for c in due:
        print(
            f"{c.reference}  due {c.due_on:%d/%m/%Y}  closed {c.closed_on:%d/%m/%Y}  {c.full_name}"
        )
    return EXIT_OK


def _extend(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases.retention import RetentionService

    case_id, until = case_id_of(args.case), _day(args.until)
    db = open_db(args)
    try:
        RetentionService(db).extend(case_id, until=until, reason=args.reason)
    finally:
        db.close()
    print(f"Case {args.case.strip().upper()} is kept until {until:%d/%m/%Y}.")
    return EXIT_OK


def _erase(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases.erasure import ErasureService

    case_id = case_id_of(args.case)
    db = open_db(args)
    try:
        erased = ErasureService(db).erase(case_id, confirmation=args.confirm)
    finally:
        db.close()
    print(
        f"Case {erased.reference} erased: its personal data is gone; the statistics and an "
        "audit row remain."
    )
    return EXIT_OK


def _subject_access(args: argparse.Namespace) -> int:
    from cme_desktop.services.documents.subject_access import SubjectAccessService, pack_name

    case_id = case_id_of(args.case)
    if not args.out.is_dir():
        raise UsageError(f"--out must be a folder that exists: {args.out}")
    target = args.out / pack_name(case_id)
    password = new_file_password(args.password_file, target.name)
    db = open_db(args)
    try:
        pack = SubjectAccessService(db).produce(
            case_id, target=target, password=password, authority=vault_authority(db)
        )
    finally:
        db.close()
    print(
        f"Written {pack.path} (PDF, AES-256, {pack.size} bytes): {len(pack.sections)} sections, "
        f"{pack.files} files attached, {pack.audit_rows} audit rows; the record as JSON inside."
    )
    print(
        "Check it before it is disclosed (other people named in it). Send the password by "
        "another channel (phone or text), never in the same email.",
        file=sys.stderr,
    )
    return EXIT_OK
