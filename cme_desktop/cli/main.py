"""The ``cme`` command: the services, headless (spec/cli.md).

Builds the parser from the command modules, each of which registers its subcommands
with the function that runs them; ``cli.common.run`` turns any failure into one line
on stderr and an exit code. ``cme --version`` prints the version; each command is
logged (its name and exit code, nothing personal) as ``services.diagnostics`` says.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from cme_desktop.cli import (
    data_protection,
    field_visits,
    files,
    letters,
    owners,
    register,
    reports,
    server,
    vault,
)
from cme_desktop.cli.common import Parser, run
from cme_desktop.services import diagnostics


def build_parser() -> argparse.ArgumentParser:
    """The ``cme`` parser: ``--db`` and every subcommand, in the order of spec/cli.md."""
    parser = Parser(prog="cme", description="CME Desktop, headless.")
    parser.add_argument("--version", action="version", version=diagnostics.version_line())
    parser.add_argument(
        "--db", type=Path, default=None, help="the vault (default: the one in your data folder)"
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="work on a shared PostgreSQL server instead of a vault "
        "(postgresql://login@host/database; password from PGPASSWORD or asked)",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    vault.add_commands(sub)
    files.add_commands(sub)
    reports.add_commands(sub)
    data_protection.add_commands(sub)
    server.add_commands(sub)
    owners.add_commands(sub)
    field_visits.add_commands(sub)  # checkout/checkin for home visits offline
    letters.add_commands(sub)  # a standard letter for a case (beyond the spec)
    register.add_commands(sub)  # the register of children not in school: exchange
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cme`` console script."""
    if getattr(sys, "frozen", False):
        # In a frozen build the import sandbox's worker process starts this same program:
        # this runs the worker instead of a command. Unfrozen it does nothing, so the
        # import is skipped to keep every start quick.
        import multiprocessing

        multiprocessing.freeze_support()
    args = build_parser().parse_args(argv)
    # The command's name only: its arguments name files, and a file's name may name a child.
    with diagnostics.start_log("cme"):
        code = run(args.func, args)
        logging.getLogger(__name__).info("cme %s ended with exit code %d", args.command, code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
