"""``cme --server URL checkout`` and ``checkin``: the day's cases on a laptop, offline.

``checkout --vault PATH [--case N ...]`` copies cases from the server into the field
vault at PATH (created, with its own passphrase, when it does not exist; the recovery
key is printed once). Without ``--case``: your own open cases with a visit or task due
today or overdue. ``checkin --vault PATH`` sends back what was done offline; records
changed on the server meanwhile are listed and nothing is applied, unless
``--keep-mine`` (your changed fields on top of theirs) or ``--keep-theirs``.
The field vault's passphrase comes from ``CME_PASSPHRASE`` or is asked.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cme_desktop.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    UsageError,
    open_db,
    say,
    unlock_backoff,
    vault_passphrase,
)


def add_commands(sub: Any) -> None:
    """Register ``checkout`` and ``checkin`` on the ``cme`` parser."""
    p = sub.add_parser(
        "checkout", help="copy cases from the server given by --server into a field vault"
    )
    p.add_argument("--vault", type=Path, required=True, metavar="PATH", help="the field vault")
    p.add_argument("--case", dest="case_ids", type=int, action="append", default=None, metavar="N")
    p.set_defaults(func=_checkout)
    p = sub.add_parser("checkin", help="send a field vault's cases back to the server")
    p.add_argument("--vault", type=Path, required=True, metavar="PATH", help="the field vault")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep-mine", action="store_true", help="conflicts: my changes on top")
    keep.add_argument("--keep-theirs", action="store_true", help="conflicts: the server's stay")
    p.set_defaults(func=_checkin)


def _field_vault(path: Path, *, create: bool, actor: str) -> Any:
    from cme_desktop.services.vault.secret_store import system_secret_store
    from cme_desktop.services.vault.unlock import Vault

    vault = Vault(path, secret_store=system_secret_store())
    if vault.exists:
        unlock_backoff(vault)
        return vault.unlock(vault_passphrase(), actor=actor)
    if not create:
        raise UsageError(f"there is no field vault at {path}")
    created = vault.create(vault_passphrase(confirm=True), actor=actor)
    print("A field vault was created. Its recovery key (shown once; keep it apart):")
    print(f"    {created.recovery_key}")
    return created.db


def _needs_server(args: argparse.Namespace) -> None:
    if not getattr(args, "server", None):
        raise UsageError(f"{args.command} works with a shared server: cme --server URL ...")


def _checkout(args: argparse.Namespace) -> int:
    from cme_desktop.services.server.checkout import check_out

    _needs_server(args)
    server = open_db(args)
    try:
        field = _field_vault(args.vault, create=True, actor=server.address.username)
        try:
            done = check_out(server, field, case_ids=args.case_ids)
        finally:
            field.close()
    finally:
        server.close()
    for left in done.left_out:
        say(f"case {left.case_id} was left out: {left.description}.")
    ids = ", ".join(str(c) for c in done.case_ids)
    print(
        f"Checked out {len(done.case_ids)} case{'' if len(done.case_ids) == 1 else 's'} "
        f"({ids}; {done.records} records) to {args.vault}. Check them in when back."
    )
    return EXIT_OK


def _checkin(args: argparse.Namespace) -> int:
    from cme_desktop.services.server.checkin import CheckinConflicts, Choice, check_in

    _needs_server(args)
    default: Choice | None = "mine" if args.keep_mine else "theirs" if args.keep_theirs else None
    server = open_db(args)
    try:
        field = _field_vault(args.vault, create=False, actor=server.address.username)
        try:
            done = check_in(field, server, default=default)
        except CheckinConflicts as conflicts:
            for change in conflicts.conflicts:
                print(f"conflict: {change.description}")
            say(
                f"{len(conflicts.conflicts)} conflicts: nothing was checked in. Run again with "
                "--keep-mine (your changed fields on top of theirs) or --keep-theirs."
            )
            return EXIT_ERROR
        finally:
            field.close()
    finally:
        server.close()
    if done.finished_earlier:
        print("The server had this check-in already; the field vault's cases are released.")
        return EXIT_OK
    for change in done.applied:
        print(f"applied: {change.description}")
    for change in done.kept_theirs:
        print(f"kept the server's: {change.description}")
    print(
        f"Checked in {len(done.cases)} case{'' if len(done.cases) == 1 else 's'}: "
        f"{len(done.applied)} records applied, {len(done.kept_theirs)} left as on the server. "
        "The field vault no longer holds them."
    )
    return EXIT_OK
