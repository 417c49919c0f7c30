"""The ``cme`` parser: every command reaches its function, and starting it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cme_desktop.cli import files, letters, reports, vault
from cme_desktop.cli.main import build_parser

COMMANDS = (
    (["init"], vault, "_init"),
    (["demo", "--cases", "1"], vault, "_demo"),
    (["list"], vault, "_list"),
    (["audit", "verify"], vault, "_audit"),
    (["check"], vault, "_check"),
    (["import", "form.docx"], files, "_import"),
    (["export", "1", "--out", "referral.pdf"], files, "_export"),
    (["blank-form", "--out", "form.pdf"], files, "_blank_form"),
    (["visit-sheet", "1", "2", "--out", "sheets.pdf"], files, "_visit_sheet"),
    (["snapshot"], reports, "_snapshot"),
    (["report", "quarterly", "--quarter", "2026-Q3", "--out", "q.pdf"], reports, "_quarterly"),
    (
        ["report", "dfe-termly", "--census-date", "2026-10-01", "--out", "dfe.csv"],
        reports,
        "_dfe_termly",
    ),
    (["report", "without-place", "--out", "rows.csv"], reports, "_without_place"),
    (["letter", "1", "--template", "school-enquiry", "--out", "l.pdf"], letters, "_letter"),
)


@pytest.mark.parametrize(("argv", "module", "function"), COMMANDS)
def test_each_command_runs_its_own_function(argv: list[str], module: object, function: str) -> None:
    args = build_parser().parse_args(argv)
    assert args.func is getattr(module, function)


def test_the_help_lists_the_commands_in_the_order_of_the_spec() -> None:
    usage = build_parser().format_usage()
    # ``check`` (beyond the spec) sits with the other commands on the vault, after ``audit``;
    # the data protection commands (beyond the spec too) come last.
    commands = (
        "{init,demo,list,audit,check,import,export,blank-form,visit-sheet,snapshot,report,"
        "retention,erase,subject-access"
    )
    assert commands in usage


def test_starting_the_command_loads_no_heavy_library() -> None:
    heavy = (
        "PySide6 sqlalchemy sqlcipher3 alembic cryptography keyring reportlab pikepdf pypdf "
        "msoffcrypto docx olefile lxml faker multiprocessing"
    )
    check = (
        "import sys; import cme_desktop.cli.main;"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy.split()!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], check=True, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
