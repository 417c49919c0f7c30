"""The ``Database`` every service receives, on a shared PostgreSQL server.

``ServerDatabase`` is a ``Database``: the services run unchanged on it (``read()``,
``write()``, ``joined()``). What differs:

- each ``write()`` first takes one transaction-level advisory lock, so changes are made
  one at a time as in the vault (where ``BEGIN IMMEDIATE`` does it): the audit chain is
  extended by one writer at a time and never forks;
- a row saved by someone else since it was read (its ``version`` moved on) is refused
  with ``ChangedElsewhere`` (services.server.concurrency), never overwritten;
- the operations on the vault's file (an encrypted copy, SQLCipher's page check, the
  raw key) do not exist here: backups of a server are the DBA's (pg_dump, PITR).
"""

from __future__ import annotations

import contextlib
import getpass
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cme_desktop.services.errors import (
    CmeError,
    ServerLoginFailed,
    ServerUnavailable,
    VaultBusy,
)
from cme_desktop.services.server import connection
from cme_desktop.services.server.concurrency import changed_elsewhere, note_flushed_cases
from cme_desktop.services.server.connection import ServerAddress
from cme_desktop.services.vault.audit import HEAD_KEY
from cme_desktop.services.vault.database import Database

#: The advisory lock every write takes (any fixed number; "CME" in ASCII).
WRITE_LOCK = 0x434D45
#: On the server the audit chain is guarded by the table's privileges, not by a key
#: only the vault's owner holds: this fixed label keys its hashes, so anyone allowed to
#: read the log can check it.
SERVER_AUDIT_KEY = b"cme-desktop-server-audit-chain"
#: SQLSTATEs: wrong password or no such login; database missing; serialization failure,
#: deadlock, lock wait timed out.
_LOGIN_FAILED = {"28P01", "28000"}
_NO_DATABASE = {"3D000"}
_BUSY = {"40001", "40P01", "55P03", "57014"}


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE code of a pg8000 error wrapped by SQLAlchemy ("" when none)."""
    original = getattr(exc, "orig", exc)
    for arg in getattr(original, "args", ()):
        if isinstance(arg, dict):
            return str(arg.get("C", ""))
    return ""


def translate(exc: BaseException, address: ServerAddress) -> CmeError | None:
    """The typed error a driver error means, or ``None`` when it is not one of these."""
    code = sqlstate(exc)
    where = f"{address.host}:{address.port}"
    if code in _LOGIN_FAILED:
        return ServerLoginFailed(
            f"The server at {where} refused the login {address.username!r}: the password is "
            "wrong or the login does not exist."
        )
    if code in _NO_DATABASE:
        return ServerUnavailable(
            f"The server at {where} has no database {address.database!r}. Check the address."
        )
    if code in _BUSY:
        return VaultBusy("The server is busy with another change; try again in a moment.")
    message = str(getattr(exc, "orig", exc))
    lowered = message.lower()
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return ServerUnavailable(
            f"The server at {where} could not be trusted: its certificate was not accepted "
            f"(sslmode={address.sslmode}). Nothing was sent. Ask IT for the council's "
            "authority certificate (sslrootcert)."
        )
    lost = getattr(exc, "connection_invalidated", False) or any(
        word in lowered for word in ("connection", "network", "timed out", "timeout")
    )
    if isinstance(exc, InterfaceError | OperationalError | OSError) and lost:
        known = connection.resolves(address.host)
        why = "is not answering" if known else "is not a known host name"
        return ServerUnavailable(
            f"The server at {where} {why}. Check the address and the network, then try again."
        )
    return None


@dataclass
class ServerDatabase(Database):
    """A connected server database: the same units of work as the vault's ``Database``."""

    kind: ClassVar[str] = "server"

    address: ServerAddress = field(
        default_factory=lambda: connection.parse("postgresql://nobody@localhost/none")
    )
    #: The name the server gives this program's connections (``live``).
    application_name: str = "CME Desktop"

    @classmethod
    def connect(
        cls,
        address: ServerAddress,
        password: str | None,
        *,
        actor: str = "",
        pool_size: int = 4,
    ) -> ServerDatabase:
        """Log in to ``address`` and check the connection works.

        Raises ``ServerLoginFailed`` for a refused login, ``ServerUnavailable`` for a
        server that cannot be reached or trusted. ``actor``: who is named in the audit log
        (the login name when empty).
        """
        # One name per running program: its own changes are told from others' by it.
        application_name = f"CME Desktop {secrets.token_hex(4)}"
        engine = connection.make_engine(
            address, password, pool_size=pool_size, application_name=application_name
        )
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (DBAPIError, OSError) as exc:
            engine.dispose()
            raise (translate(exc, address) or ServerUnavailable(str(exc))) from exc
        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        return cls(
            path=Path(address.profile_name),
            engine=engine,
            sessions=sessions,
            audit_key=SERVER_AUDIT_KEY,
            _key=bytearray(),
            actor=actor or address.username,
            address=address,
            application_name=application_name,
        )

    # -- units of work -------------------------------------------------------

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        self._check_open()
        session = self.sessions()
        try:
            yield session
        except DBAPIError as exc:
            session.rollback()
            raise self.server_error(exc) from exc
        finally:
            session.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one change: committed at the end, rolled back on any error."""
        self._check_open()
        session = self.sessions()
        event.listen(session, "before_flush", note_flushed_cases)
        try:
            # One writer at a time, as in the vault: released when the transaction ends.
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
            yield session
            session.flush()
            head = session.info.get(HEAD_KEY)
            session.commit()
        except StaleDataError as exc:
            # Read from the failed session before it is rolled back and forgets the rows.
            error = changed_elsewhere(self, exc, session)
            session.rollback()
            raise error from exc
        except DBAPIError as exc:
            session.rollback()
            raise self.server_error(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        if head is not None and self.anchor is not None:
            self.anchor.audit_committed(*head)

    def server_error(self, exc: DBAPIError) -> Exception:
        found = translate(exc, self.address)
        if found is not None:
            return found
        # A privilege refused, or a row a row-level security policy does not let through.
        if sqlstate(exc) == "42501":
            return CmeError(
                "Your server login is not allowed to do that. Ask the CME administrator "
                "for the right role."
            )
        return exc

    # -- what only the vault's file has --------------------------------------

    def _no_file(self, what: str) -> CmeError:
        return CmeError(
            f"{what} is not available on the server: the server's backups and checks are "
            "the database administrator's (pg_dump, point-in-time recovery)."
        )

    def integrity_problems(self) -> list[str]:
        """Not on the server (its administrator checks it)."""
        raise self._no_file("The vault file check")

    def export_copy(self, target: Path) -> None:
        """Not on the server (backups are its administrator's)."""
        raise self._no_file("An encrypted copy of the vault")

    def open_other(self, path: Path) -> Any:
        """Not on the server."""
        raise self._no_file("Reading the vault's own file (a check, a backup)")

    @property
    def key(self) -> bytearray:
        """Not on the server: there is no vault key."""
        raise self._no_file("The vault key")


def login_name() -> str:
    """The computer's user name: the login tried when the address names none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""
