"""``cme audit verify --server URL`` and ``cme --server URL audit verify``: the server
reaches the command either way (the run against a real server: e2e/test_server_audit)."""

from __future__ import annotations

import pytest

from cme_desktop.cli import vault
from cme_desktop.cli.main import build_parser

URL = "postgresql://dpo@cme-db.council.local/cme"


@pytest.mark.parametrize(
    "argv",
    [["audit", "verify", "--server", URL], ["--server", URL, "audit", "verify"]],
    ids=["the command's own", "the global flag"],
)
def test_either_place_of_server_reaches_audit_verify(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.func is vault._audit
    assert args.server == URL


def test_without_server_audit_verify_checks_the_vault() -> None:
    args = build_parser().parse_args(["audit", "verify"])
    assert args.func is vault._audit
    assert getattr(args, "server", None) is None
