"""Logging in to the shared server for a ``cme`` command (``cme --server URL ...``).

The password is the address's own, else ``PGPASSWORD`` (as PostgreSQL's own programs
read it), else the one kept in the OS credential store for that address, else asked on
the terminal (never echoed). The audit log names the database login, as the server
itself does (``CME_ACTOR`` adds a name to it).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from cme_desktop.services.errors import CmeError, ServerLoginRequired


def server_password(address: Any) -> str:
    """The login's password for ``address`` (see the module), or ``ServerLoginRequired``."""
    from cme_desktop.services.server.connection import stored_password
    from cme_desktop.services.vault.secret_store import system_secret_store

    found = address.password or os.environ.get("PGPASSWORD")
    if not found:
        found = stored_password(address, system_secret_store())
    if not found and sys.stdin and sys.stdin.isatty():
        try:
            found = getpass.getpass(f"Password for {address}: ")
        except (EOFError, KeyboardInterrupt):
            found = None
    if not found:
        raise ServerLoginRequired(
            f"The server needs the password of {address.username}: set PGPASSWORD, keep it "
            "in the computer's credential store, or run the command from a terminal."
        )
    return str(found)


def connect(url: str, *, actor: str = "") -> Any:
    """A ``ServerDatabase`` for ``url``, logged in (its schema not checked)."""
    from cme_desktop.services.server.connection import parse
    from cme_desktop.services.server.database import ServerDatabase, login_name

    address = parse(url, default_user=login_name())
    return ServerDatabase.connect(address, server_password(address), actor=actor)


def open_server(args: argparse.Namespace) -> Any:
    """The server named by ``--server``, logged in, its schema this program's."""
    from cme_desktop.services.server import schema

    db = connect(args.server)
    login = db.address.username
    extra = os.environ.get("CME_ACTOR", "")
    db.actor = f"{extra} ({login})" if extra else f"{login} (cme command)"
    if not schema.is_current(db.engine):
        db.close()
        raise CmeError(
            f"The database at {db.address} is not set up for this version of CME Desktop. "
            f"Its administrator runs: cme --server {db.address} server-upgrade"
        )
    return db
