"""The ``cme`` command: the services, headless (spec/cli.md).

Exit codes: 0 done; 2 usage; 3 wrong or missing passphrase or password;
4 an input file that cannot be read as what it should be; 1 anything else.
Every failure prints one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from cme_desktop.services.errors import CmeError, PassphraseRequired, PasswordRequired

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: dict[str, Handler] = {}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"cme: {message} (see cme --help)\n")


def command(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _COMMANDS[name] = func
        return func

    return register


# --- passphrases and passwords ----------------------------------------------------


def _ask(prompt: str) -> str | None:
    if not sys.stdin or not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def vault_passphrase(*, confirm: bool = False) -> str:
    """From ``CME_PASSPHRASE``, else asked on the terminal (never echoed)."""
    value = os.environ.get("CME_PASSPHRASE")
    if value:
        return value
    value = _ask("Vault passphrase: ")
    if not value:
        raise PassphraseRequired(
            "A vault passphrase is needed: set CME_PASSPHRASE or run from a terminal."
        )
    if confirm and _ask("Type it again: ") != value:
        raise PassphraseRequired("The two passphrases differ.")
    return value


def file_password(password_file: Path | None, name: str) -> str:
    """The first line of ``--password-file``, else asked on the terminal."""
    if password_file is not None:
        try:
            lines = password_file.read_text("utf-8").splitlines()
        except OSError as exc:
            raise PasswordRequired(f"Cannot read the password file: {exc.strerror}.") from exc
        if lines and lines[0]:
            return lines[0]
        raise PasswordRequired("The password file is empty.")
    value = _ask(f"Password for {name}: ")
    if not value:
        raise PasswordRequired(f"{name} is password-protected: give --password-file.")
    return value


# --- opening the vault ---------------------------------------------------------------


def _vault(args: argparse.Namespace) -> Any:
    from cme_desktop.services.vault.secret_store import system_secret_store
    from cme_desktop.services.vault.vault import Vault

    return Vault(args.db, secret_store=system_secret_store())


def open_db(args: argparse.Namespace) -> Any:
    """Unlock the vault named by ``--db`` (or the default one)."""
    from cme_desktop.services import settings

    vault = _vault(args)
    db = vault.unlock(vault_passphrase(), actor=os.environ.get("CME_ACTOR", "cme command"))
    officer = settings.SettingsService(db).load().officer_name
    if officer and "CME_ACTOR" not in os.environ:
        db.actor = f"{officer} (cme command)"
    return db


# --- the commands ------------------------------------------------------------------------


@command("init")
def _init(args: argparse.Namespace) -> int:
    vault = _vault(args)
    created = vault.create(vault_passphrase(confirm=True), actor="cme command")
    created.db.close()
    print(f"Vault created at {vault.path}")
    print()
    print("Recovery key (shown once - print it or write it down for your manager's safe):")
    print(f"    {created.recovery_key}")
    return EXIT_OK


@command("demo")
def _demo(args: argparse.Namespace) -> int:
    from cme_desktop.services.cases import demo

    if args.cases < 1:
        raise _usage("--cases must be at least 1")
    db = open_db(args)
    try:
        result = demo.fill(db, cases=args.cases, seed=args.seed)
    finally:
        db.close()
    print(f"Added {result.cases} synthetic cases ({result.families} families of siblings).")
    return EXIT_OK


@command("list")
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


@command("audit")
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


# --- the parser ---------------------------------------------------------------------------


class _UsageError(Exception):
    pass


def _usage(message: str) -> _UsageError:
    return _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cme", description="CME Desktop, headless.")
    parser.add_argument(
        "--db", type=Path, default=None, help="the vault (default: the one in your data folder)"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("init", help="create a vault; print the recovery key once")
    p = sub.add_parser("demo", help="fill the vault with synthetic cases (Faker en_GB)")
    p.add_argument("--cases", type=int, required=True)
    p.add_argument("--seed", type=int, default=2026)
    p = sub.add_parser("list", help="list cases")
    p.add_argument("--json", action="store_true")
    p.add_argument("--status", choices=["all", "open", "closed"], default="all")
    p.add_argument("--search", default="")
    p = sub.add_parser("audit", help="the audit log")
    p.add_argument("action", choices=["verify"])
    from cme_desktop.cli import files as cli_files

    cli_files.add_commands(sub)
    __import__("cme_desktop.cli.reports", fromlist=["add_commands"]).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cme`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = _COMMANDS[args.command]
    try:
        return handler(args)
    except _UsageError as exc:
        print(f"cme: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CmeError as exc:
        print(f"cme: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return EXIT_OK  # the reader (e.g. `head`) stopped early; nothing went wrong
    except KeyboardInterrupt:
        print("cme: stopped.", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"cme: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the command never shows a traceback
        print(f"cme: unexpected error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
