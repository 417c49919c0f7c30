"""A server address (``postgresql://officer@host/cme``), and the engine that opens it.

The driver is pg8000 (BSD licence, pure Python: nothing to compile, nothing more to
ship in the frozen build); it logs in with SCRAM-SHA-256 when the server asks for it.

TLS follows libpq's ``sslmode``:

- ``verify-full`` (the default for any host but this computer's loopback): the server's
  certificate must chain to a trusted authority and name the host;
- ``verify-ca``: the chain only;
- ``require``, ``prefer``, ``allow``, ``disable``: weaker, and accepted for a loopback host
  only (``prefer`` is the default there), so that case records never cross a network in
  the clear or to a server that could be anyone.

``sslrootcert`` names the authority's certificate file (``system`` or none: the
computer's trusted authorities, or ``~/.postgresql/root.crt`` when that exists, as libpq).

The password comes from the address itself, from the caller (a login prompt), or from
the OS credential store under the address without its password (``profile_name``).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.vault.secret_store import SecretStore

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
#: Modes that check who the server is; the only ones accepted across a network.
VERIFYING = ("verify-ca", "verify-full")
#: Seconds to wait for the server to answer before saying it cannot be reached.
CONNECT_TIMEOUT = 10
#: Query parameters of a libpq address that this module reads itself.
_OWN_PARAMETERS = {"sslmode", "sslrootcert", "application_name", "connect_timeout"}


@dataclass(frozen=True)
class ServerAddress:
    """Where the server is and how to reach it; never holds a password (see ``password``)."""

    host: str
    port: int
    database: str
    username: str
    sslmode: str
    sslrootcert: str
    #: The password written in the address itself, if any (not shown, not stored).
    password: str | None = field(default=None, repr=False)

    @property
    def loopback(self) -> bool:
        """True when the server runs on this computer (traffic never leaves it)."""
        return is_loopback(self.host)

    @property
    def profile_name(self) -> str:
        """The address without password: the name a password is kept under, and shown."""
        return f"postgresql://{self.username}@{self.host}:{self.port}/{self.database}"

    def __str__(self) -> str:
        return self.profile_name

    def sqlalchemy_url(self, password: str | None) -> URL:
        return URL.create(
            "postgresql+pg8000",
            username=self.username,
            password=password,
            host=self.host,
            port=self.port,
            database=self.database,
        )


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_server_url(text: str) -> bool:
    """Whether ``text`` is a PostgreSQL address rather than a vault file."""
    return text.lower().startswith(("postgresql://", "postgres://", "postgresql+pg8000://"))


def parse(text: str, *, default_user: str = "") -> ServerAddress:
    """Read ``postgresql://[user[:password]@]host[:port]/database[?sslmode=...]``.

    Raises ``InvalidInput`` naming what is wrong with the address.
    """
    if not is_server_url(text):
        raise InvalidInput(
            "A server address starts with postgresql:// (for example "
            "postgresql://officer@cme-db.council.local/cme).",
            field="server",
        )
    try:
        url = make_url(text.replace("postgres://", "postgresql://", 1))
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput(f"The server address cannot be read: {exc}.", field="server") from exc
    if not url.host:
        raise InvalidInput("The server address has no host name.", field="server")
    if not url.database:
        raise InvalidInput(
            "The server address has no database name (…/cme at the end).", field="server"
        )
    unknown = sorted(set(url.query) - _OWN_PARAMETERS)
    if unknown:
        raise InvalidInput(
            f"The server address has settings this program does not use: {', '.join(unknown)}.",
            field="server",
        )
    query = {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}
    loopback = is_loopback(url.host)
    sslmode = query.get("sslmode", "prefer" if loopback else "verify-full")
    if sslmode not in SSL_MODES:
        raise InvalidInput(
            f"sslmode={sslmode} is not a TLS mode; use one of {', '.join(SSL_MODES)}.",
            field="server",
        )
    if not loopback and sslmode not in VERIFYING:
        raise InvalidInput(
            f"sslmode={sslmode} would send case records to {url.host} without checking the "
            "server's certificate. Use sslmode=verify-full (the default) or verify-ca.",
            field="server",
        )
    username = url.username or default_user
    if not username:
        raise InvalidInput(
            "The server address has no login name (postgresql://NAME@host/database).",
            field="server",
        )
    return ServerAddress(
        host=url.host,
        port=url.port or 5432,
        database=url.database,
        username=username,
        sslmode=sslmode,
        sslrootcert=query.get("sslrootcert", ""),
        password=url.password,
    )


def ssl_context(address: ServerAddress) -> ssl.SSLContext | None:
    """The TLS settings ``address.sslmode`` asks for; ``None`` for no TLS."""
    if address.sslmode == "disable":
        return None
    if address.sslmode in VERIFYING:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        root = _root_certificate(address.sslrootcert)
        if root is not None:
            try:
                context.load_verify_locations(cafile=str(root))
            except (OSError, ssl.SSLError) as exc:
                raise InvalidInput(
                    f"The server's authority certificate {root} cannot be read: {exc}.",
                    field="server",
                ) from exc
        context.check_hostname = address.sslmode == "verify-full"
        context.verify_mode = ssl.CERT_REQUIRED
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
    # allow / prefer / require: encrypted, the server not checked (loopback only, see parse).
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _root_certificate(setting: str) -> Path | None:
    if setting == "system":
        return None
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise InvalidInput(
                f"The server's authority certificate {path} (sslrootcert) does not exist.",
                field="server",
            )
        return path
    default = Path.home() / ".postgresql" / "root.crt"
    return default if default.is_file() else None


def stored_password(address: ServerAddress, store: SecretStore | None) -> str | None:
    """The password kept for ``address`` in the OS credential store, if any."""
    if store is None:
        return None
    return store.get(address.profile_name)


def remember_password(address: ServerAddress, store: SecretStore, password: str) -> None:
    """Keep ``password`` for ``address`` in the OS credential store."""
    store.set(address.profile_name, password)


def make_engine(
    address: ServerAddress,
    password: str | None,
    *,
    pool_size: int = 4,
    application_name: str = "CME Desktop",
) -> Engine:
    """An engine for ``address``; nothing is connected until first used.

    ``application_name``: how the server names this program's connections (the DBA sees
    it in ``pg_stat_activity``; live refresh tells this program's changes by it).
    """
    context = ssl_context(address)
    connect_args: dict[str, Any] = {
        "timeout": CONNECT_TIMEOUT,
        "application_name": application_name,
    }
    if context is not None:
        connect_args["ssl_context"] = context
    url = address.sqlalchemy_url(password)
    creator = None
    if address.sslmode in ("allow", "prefer"):
        # Like libpq: TLS when the server offers it, else in the clear (loopback only).
        creator = _falling_back(url, connect_args)
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 4, "pool_pre_ping": True}
    if creator is not None:
        kwargs["creator"] = creator
    else:
        kwargs["connect_args"] = connect_args
    return create_engine(url, **kwargs)


def _falling_back(url: URL, connect_args: dict[str, Any]) -> Any:
    import pg8000.dbapi

    def connect() -> Any:
        args = {
            "user": url.username,
            "password": url.password,
            "host": url.host,
            "port": url.port,
            "database": url.database,
            **connect_args,
        }
        try:
            return pg8000.dbapi.connect(**args)
        except pg8000.dbapi.InterfaceError as exc:
            if "ssl" not in str(exc).lower():
                raise
            args.pop("ssl_context", None)
            return pg8000.dbapi.connect(**args)

    return connect


def resolves(host: str) -> bool:
    """Whether ``host`` has an address (to tell a typo from a server that is down)."""
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        return False
    return True
