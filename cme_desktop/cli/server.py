"""``cme server-upgrade`` and ``cme migrate-to-server``: setting up the shared server.

``cme --server URL server-upgrade`` creates or upgrades the schema on the server (run by
the login that owns it). ``cme migrate-to-server VAULT URL`` copies a single-user vault
into an empty database on the server and checks the copy table by table.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cme_desktop.cli.common import EXIT_OK, UsageError, say, unlock_backoff, vault_passphrase
from cme_desktop.cli.server_login import connect


def add_commands(sub: Any) -> None:
    """Register ``server-upgrade`` and ``migrate-to-server`` on the ``cme`` parser."""
    p = sub.add_parser(
        "server-upgrade",
        help="create or upgrade the schema on the server given by --server (its owner's login)",
    )
    p.set_defaults(func=_server_upgrade)
    p = sub.add_parser(
        "migrate-to-server",
        help="copy a vault into an empty database on the server, checked by counts and checksums",
    )
    p.add_argument("vault", type=Path, metavar="VAULT", help="the vault file (cases.cme)")
    p.add_argument("url", metavar="URL", help="postgresql://owner@host/database")
    p.set_defaults(func=_migrate_to_server)


def _server_upgrade(args: argparse.Namespace) -> int:
    from cme_desktop.services.server import schema
    from cme_desktop.services.vault.migrations import head_revision

    if not getattr(args, "server", None):
        raise UsageError("server-upgrade needs --server URL (cme --server URL server-upgrade)")
    db = connect(args.server)
    try:
        before = schema.upgrade(db.engine)
    finally:
        db.close()
    head = head_revision()
    if before == head:
        print(f"The database at {db.address} is already at revision {head}.")
    elif before is None:
        print(f"The schema was created at {db.address} (revision {head}).")
    else:
        print(f"The database at {db.address} was upgraded from revision {before} to {head}.")
    return EXIT_OK


def _migrate_to_server(args: argparse.Namespace) -> int:
    from cme_desktop.services.server.move_in import move_in
    from cme_desktop.services.vault.secret_store import system_secret_store
    from cme_desktop.services.vault.unlock import Vault

    vault = Vault(args.vault, secret_store=system_secret_store())
    unlock_backoff(vault)
    vault_db = vault.unlock(vault_passphrase(), actor="cme migrate-to-server")
    try:
        server = connect(args.url, actor="cme migrate-to-server")
        try:
            result = move_in(
                vault_db, server, progress=lambda table, rows: say(f"copied {table}: {rows}")
            )
        finally:
            server.close()
    finally:
        vault_db.close()
    width = max(len(t.table) for t in result.tables)
    print(f"{'table':<{width}}  {'vault':>8}  {'server':>8}  checksum")
    for t in result.tables:
        state = "same" if t.same else "DIFFERENT"
        print(f"{t.table:<{width}}  {t.vault_rows:>8}  {t.server_rows:>8}  {state}")
    print(
        f"Copied {result.rows} rows in {len(result.tables)} tables to {server.address}; every "
        "table's count and checksum match the vault."
    )
    return EXIT_OK
