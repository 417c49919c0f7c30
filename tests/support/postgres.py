"""PostgreSQL for the tests: the server, and a fresh database for each test.

The server is ``CME_TEST_POSTGRES_URL`` when set (``make test`` sets it), else the
throwaway cluster of ``tools/test_postgres.py``, started on first use. Without
PostgreSQL the tests that need it fail, saying what to install: they are never skipped.

Each test's database is a copy of a template migrated once per schema (``CREATE
DATABASE ... TEMPLATE``: a few milliseconds), dropped when the test ends. The template's
name carries a digest of the migration scripts, so changing a migration makes a new one.

Fixtures (made available to every test by tests/conftest.py):

- ``postgres_server``: the ``PostgresServer`` (session);
- ``postgres_url``: the URL of a fresh database at the newest schema (str);
- ``postgres_empty_url``: the URL of a fresh, empty database (no schema);
- ``server_db``: a ``ServerDatabase`` connected to a fresh database, actor "Test Officer";
- ``engine_db``: parametrised over ``sqlite`` and ``postgresql``: an open ``Database``
  of either kind, at the newest schema, for tests that must give the same results on both.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from cme_desktop.services.server import schema
from cme_desktop.services.server.connection import parse
from cme_desktop.services.server.database import ServerDatabase
from cme_desktop.services.vault.database import Database

ENV = "CME_TEST_POSTGRES_URL"
MIGRATIONS = Path(__file__).resolve().parents[2] / "cme_desktop" / "migrations" / "versions"
#: The modules under services/server whose SQL a migration runs.
SERVER_SQL = ("roles.py", "audit_server.py")
_counter = itertools.count(1)


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server whose login may create and drop databases."""

    url: URL  # its maintenance database, as the superuser of the tests

    def database_url(self, name: str) -> str:
        """The URL of the database ``name`` on this server, as a string with its password."""
        return self.url.set(database=name).render_as_string(hide_password=False)

    def admin_engine(self) -> Engine:
        """An engine on the maintenance database, outside any transaction (for DDL)."""
        return create_engine(
            self.url.set(drivername="postgresql+pg8000"),
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
        )

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create the database ``name`` (a copy of ``template`` if given); its URL."""
        engine = self.admin_engine()
        try:
            with engine.connect() as conn:
                copy = f' TEMPLATE "{template}"' if template else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        finally:
            engine.dispose()
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected to it."""
        engine = self.admin_engine()
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()

    def fresh_name(self) -> str:
        """A database name of this process alone (each pytest-xdist worker is one)."""
        return f"cme_t_{os.getpid()}_{next(_counter)}"


def server_url() -> str:
    """The test server's URL: the environment's, else the throwaway cluster's.

    Fails the test, saying what to install, when there is no PostgreSQL at all.
    """
    url = os.environ.get(ENV, "").strip()
    if url:
        return url
    from tools.test_postgres import PostgresUnavailable, ensure

    try:
        url = ensure()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    os.environ[ENV] = url  # the programs the tests start find it too
    return url


def schema_digest() -> str:
    """A digest of the migration scripts: the template's name changes with them."""
    digest = hashlib.sha256()
    # Migration 0010 runs the SQL of these modules: a change to them is a new schema too.
    server_sql = [MIGRATIONS.parents[1] / "services" / "server" / n for n in SERVER_SQL]
    for path in [*sorted(MIGRATIONS.glob("*.py")), *server_sql]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def ensure_template(server: PostgresServer) -> str:
    """The name of the migrated template database, made now if this schema has none."""
    name = f"cme_tpl_{schema_digest()}"
    engine = server.admin_engine()
    try:
        with engine.connect() as conn:
            # One process builds it while any other waits (session-level lock): the other
            # pytest-xdist workers of this run, and any other run on the same server.
            conn.execute(text("SELECT pg_advisory_lock(4345)"))
            try:
                exists = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
                if exists is None:
                    building = f"{name}_building"
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
                    conn.execute(text(f'CREATE DATABASE "{building}"'))
                    target = create_engine(
                        make_url(server.database_url(building)).set(drivername="postgresql+pg8000"),
                        poolclass=NullPool,
                    )
                    try:
                        schema.upgrade(target)
                    finally:
                        target.dispose()
                    # Renamed only once whole: a failed build is never taken for a template.
                    conn.execute(text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
                    _drop_old_templates(conn, keep=name)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(4345)"))
    finally:
        engine.dispose()
    return name


def _drop_old_templates(conn: Connection, *, keep: str) -> None:
    """Drop the templates and test databases left from more than a day ago.

    Not younger ones: another test run (another checkout, or one started before a
    migration was edited) may still be copying its own template.
    """
    try:
        old = _older_than_a_day(conn, keep)
    except DBAPIError:
        return  # a login that may not read file times (not a superuser): nothing is dropped
    for (name,) in old:
        # In use elsewhere after all: then it stays until next time.
        with contextlib.suppress(Exception):
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def _older_than_a_day(conn: Connection, keep: str) -> list[Any]:
    return conn.execute(
        text(
            "SELECT datname FROM pg_database WHERE (datname LIKE 'cme\\_tpl\\_%' "
            "OR datname LIKE 'cme\\_t\\_%') AND datname <> :k AND "
            "(pg_stat_file('base/' || oid || '/PG_VERSION')).modification "
            "< now() - interval '1 day'"
        ),
        {"k": keep},
    ).fetchall()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The PostgreSQL server of this test run."""
    return PostgresServer(url=make_url(server_url()))


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The migrated template database's name."""
    return ensure_template(postgres_server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_template: str) -> Iterator[str]:
    """The URL of a fresh database at the newest schema, dropped after the test."""
    name = postgres_server.fresh_name()
    url = postgres_server.create_database(name, template=postgres_template)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_empty_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database with no schema at all, dropped after the test."""
    name = postgres_server.fresh_name()
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        postgres_server.drop_database(name)


def connect(url: str, *, actor: str = "Test Officer") -> ServerDatabase:
    """A ``ServerDatabase`` on ``url`` (the test server's loopback: TLS if offered)."""
    address = parse(url)
    return ServerDatabase.connect(address, address.password, actor=actor)


@pytest.fixture
def server_db(postgres_url: str) -> Iterator[ServerDatabase]:
    """A connected ``ServerDatabase`` on a fresh database, actor "Test Officer"."""
    database = connect(postgres_url)
    try:
        yield database
    finally:
        database.close()


ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def engine_db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """An open ``Database`` at the newest schema: the vault (SQLCipher), then the server."""
    if request.param == "sqlite":
        database: Database = request.getfixturevalue("db")
    else:
        database = request.getfixturevalue("server_db")
    yield database


@contextlib.contextmanager
def engine_database(
    kind: str, folder: Path, request: pytest.FixtureRequest, *, actor: str = "Test Officer"
) -> Iterator[Database]:
    """A ``Database`` of ``kind`` (``sqlite`` or ``postgresql``) at the newest schema,
    closed (and the server's dropped) at the end: for fixtures of a wider scope than
    ``engine_db``'s, that fill one database for many tests. ``request`` gives the
    session's server fixtures; ``folder`` holds the vault."""
    if kind == "sqlite":
        from cme_desktop.services.vault.unlock import Vault
        from tests.support.credentials import FAST_SCRYPT, PASSPHRASE

        vault = Vault(folder / "cases.cme", scrypt=FAST_SCRYPT)
        database: Database = vault.create(PASSPHRASE, actor=actor).db
        try:
            yield database
        finally:
            database.close()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    name = server.fresh_name()
    url = server.create_database(name, template=template)
    database = connect(url, actor=actor)
    try:
        yield database
    finally:
        database.close()
        server.drop_database(name)


def server_authority() -> Path:
    """The certificate of the authority that signed the test server's (for sslrootcert):
    ``CME_TEST_POSTGRES_CA`` with a server of one's own, else the throwaway cluster's."""
    own = os.environ.get("CME_TEST_POSTGRES_CA", "").strip()
    if own:
        return Path(own)
    from tools.test_postgres import ca_certificate

    return ca_certificate()
