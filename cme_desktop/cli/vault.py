"""``cme`` commands on the vault and the cases in it: init, demo, list, audit."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any, TextIO

from cme_desktop.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    BusyWait,
    UsageError,
    open_db,
    vault_of,
    vault_passphrase,
)


def add_commands(sub: Any) -> None:
    """Register ``init``, ``demo``, ``list``, ``audit`` and ``check`` on the ``cme`` parser."""
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
    p.add_argument(
        "--server",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="verify a shared server's log instead (postgresql://auditor@host/database; "
        "also as cme --server URL audit verify)",
    )
    p.set_defaults(func=_audit)
    p = sub.add_parser(
        "check", help="check every page, the structure, the links and the audit log of the vault"
    )
    p.set_defaults(func=_check)


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
    try:
        from cme_desktop.services.cases import demo
    except ModuleNotFoundError as exc:
        if exc.name != "faker":
            raise
        # Faker makes the synthetic people; a council's installation leaves it out.
        print(
            "cme: demo needs the synthetic-data part of CME Desktop (the demo extra, with "
            "Faker), which is not installed here: pip install 'cme-desktop[demo]'.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if args.cases < 1:
        raise UsageError("--cases must be at least 1")
    db = open_db(args)
    try:
        result = demo.fill(
            db, cases=args.cases, seed=args.seed, progress=progress_line("Creating demo cases")
        )
        from cme_desktop.services.register.demo import add_register_children

        on_register = add_register_children(
            db, first_id=result.first_id, last_id=result.last_id, seed=args.seed
        )
    finally:
        db.close()
    print(
        f"Added {result.cases} synthetic cases ({result.families} families of siblings; "
        f"{on_register} on the register of children not in school)."
    )
    return EXIT_OK


def progress_line(label: str, *, stream: TextIO | None = None) -> Callable[[int, int], None]:
    """``report(done, total)`` writing "label: done of total" to stderr.

    On a terminal the line is rewritten in place; in a log or a pipe a new line is
    written only at the start, at each further tenth of the work and at the end, so
    that a scheduled task's log holds a few lines, not thousands.
    """
    out = stream if stream is not None else sys.stderr
    in_place = out.isatty()
    last_tenth = -1

    def report(done: int, total: int) -> None:
        nonlocal last_tenth
        text = f"{label}: {done} of {total}"
        if in_place:
            out.write("\r" + text + ("\n" if done >= total else ""))
            out.flush()
            return
        tenth = 10 * done // total if total else 10
        if tenth != last_tenth or done >= total:
            last_tenth = tenth
            print(text, file=out, flush=True)

    return report


def _list(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases.case_list import CaseList, CaseQuery

    busy = BusyWait()
    db = open_db(args, busy=busy)
    try:
        listing = CaseList(db)
        query = CaseQuery(quick=args.status, search=args.search or "", sort="id")
        ids = listing.matching_ids(query)
        rows = listing.rows(ids)
        # The names are shown only once their reading is in the audit log.
        output = "json" if args.json else "text"
        busy.run(lambda: listing.record_read(query, shown=len(ids), output=output))
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
    from cme_desktop.services.vault import health

    if getattr(args, "server", None):
        return _audit_server(args.server)

    db = open_db(args, busy=BusyWait())
    try:
        check = health.check_audit(db)
    finally:
        db.close()
    for incident in check.incidents:
        if not incident.breaks_log:
            print(f"Noted in audit row {incident.row_id}: {incident.summary}.")
    if check.ok:
        print(f"Audit log intact: {check.rows} events, hash chain verified.")
        return EXIT_OK
    print(f"cme: {audit_problem(check)}", file=sys.stderr)
    return EXIT_ERROR


def _audit_server(url: str) -> int:
    from cme_desktop.cli.server_login import server_password
    from cme_desktop.services.server import audit_server, connection
    from cme_desktop.services.server.database import login_name

    address = connection.parse(url, default_user=login_name())
    password = server_password(address)
    found = audit_server.verify_at(address, password)
    check = found.check
    if check.ok:
        print(f"Audit log intact: {check.rows} events, hash chain verified.")
        # Kept outside the server, this shows later whether the log was written again.
        print(f"Newest row: {found.newest_id}, hash {found.newest_hash}")
        return EXIT_OK
    print(f"cme: {audit_problem(check)}", file=sys.stderr)
    return EXIT_ERROR


def audit_problem(check: Any) -> str:
    """One line on why the audit log is not intact (``AuditCheck`` not ``ok``)."""
    if check.problem:
        return f"the audit log has been altered: {check.problem}."
    lost = next((i for i in check.incidents if i.breaks_log), None)
    if lost is not None:
        return f"the audit log has been cut short: {lost.summary}."
    return f"the audit log has been cut short: {check.anchor_problems[0]}"


def _check(args: argparse.Namespace) -> int:
    from cme_desktop.services.errors import VaultDamaged
    from cme_desktop.services.vault import health

    db = open_db(args, busy=BusyWait(), warn=False)
    try:
        report = health.full_check(db)
        found = list(db.findings)
        damaged = report.damaged or any(f.damage for f in found)
        advice = health.restore_advice(health.last_good_save(db)) if damaged else ""
    finally:
        db.close()
    for line in health.report_lines(report, found):
        print(line)
    if damaged:
        summary = report.damage_summary() or next(f.message for f in found if f.damage)
        print("Verdict: the vault is DAMAGED.")
        print(f"cme: the vault is damaged ({summary}). {advice}", file=sys.stderr)
        return VaultDamaged.exit_code
    if report.audit is not None and not report.audit.ok:
        print("Verdict: the pages are sound, but the audit log is NOT intact.")
        print(f"cme: {audit_problem(report.audit)}", file=sys.stderr)
        return EXIT_ERROR
    print("Verdict: the vault is sound.")
    return EXIT_OK
