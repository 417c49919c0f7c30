"""``cme`` commands on the vault and the cases in it: init, demo, list, audit."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from cme_desktop.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    UsageError,
    open_db,
    vault_of,
    vault_passphrase,
)


def add_commands(sub: Any) -> None:
    """Register ``init``, ``demo``, ``list`` and ``audit`` on the ``cme`` parser."""
    p = sub.add_parser("init", help="create a vault; print the recovery key once")
    p.set_defaults(func=_init)
    p = sub.add_parser("demo", help="fill the vault with synthetic cases (Faker en_GB)")
    p.add_argument("--cases", type=int, required=True)
    p.add_argument("--seed", type=int, default=2026)
    p.set_defaults(func=_demo)
    p = sub.add_parser("list", help="list cases")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", choices=["all", "open", "closed"], default="all")
    p.add_argument("--search", default="")
    p.set_defaults(func=_list)
    p = sub.add_parser("audit", help="the audit log")
    p.add_argument("action", choices=["verify"])
    p.set_defaults(func=_audit)


def _init(args: argparse.Namespace) -> int:
    vault = vault_of(args)
    created = vault.create(vault_passphrase(confirm=True), actor="cme command")
    created.db.close()
    print(f"Vault created at {vault.path}")
    print()
    print("Recovery key (shown once - print it or write it down for your manager's safe):")
    print(f"    {created.recovery_key}")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases import demo

    if args.cases < 1:
        raise UsageError("--cases must be at least 1")
    db = open_db(args)
    try:
        result = demo.fill(db, cases=args.cases, seed=args.seed)
    finally:
        db.close()
    print(f"Added {result.cases} synthetic cases ({result.families} families of siblings).")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases.case_list import CaseList, CaseQuery

    db = open_db(args)
    try:
        listing = CaseList(db)
        query = CaseQuery(quick=args.status, search=args.search or "", sort="id")
        ids = listing.matching_ids(query)
        rows = listing.rows(ids)
    finally:
        db.close()
    today = date.today()
    if args.json:
        out = [
            {
                "id": r.id,
                "full_name": r.full_name,
                "date_of_birth": r.date_of_birth.isoformat() if r.date_of_birth else None,
                "status": r.status,
                "aka": r.aka,
                "school": r.school,
                "tracking_step": r.current_step,
                "opened_on": r.opened_on.isoformat(),
                "closed_on": r.closed_on.isoformat() if r.closed_on else None,
                "next_task_due": r.next_task_due.isoformat() if r.next_task_due else None,
                "escalated_police": r.escalated_police,
                "escalated_social_care": r.escalated_social_care,
            }
            for r in (rows[i] for i in ids)
        ]
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return EXIT_OK
    for i in ids:
        r = rows[i]
        dob = r.date_of_birth.strftime("%d/%m/%Y") if r.date_of_birth else "          "
        print(
            f"{r.id:>7}  {r.status:<6}  {dob}  step {r.current_step}  "
            f"{r.days_open(today):>4}d  {r.full_name}"
        )
    print(f"{len(ids)} case(s)", file=sys.stderr)
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    from cme_desktop.services.vault import audit

    db = open_db(args)
    try:
        with db.read() as session:
            check = audit.verify(session, db.audit_key)
    finally:
        db.close()
    if check.ok:
        print(f"Audit log intact: {check.rows} events, hash chain verified.")
        return EXIT_OK
    print(f"cme: the audit log has been altered: {check.problem}.", file=sys.stderr)
    return EXIT_ERROR
