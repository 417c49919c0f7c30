"""Reaching the server: the address, TLS as sslmode says, SCRAM logins, stored passwords."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cme_desktop.services.errors import (
    InvalidInput,
    ServerLoginFailed,
    ServerUnavailable,
)
from cme_desktop.services.server.connection import (
    parse,
    remember_password,
    ssl_context,
    stored_password,
)
from cme_desktop.services.server.database import ServerDatabase
from tests.support.postgres import server_authority


class MemoryStore:
    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        return self.secrets.get(name)

    def set(self, name: str, secret: str) -> None:
        self.secrets[name] = secret

    def delete(self, name: str) -> None:
        self.secrets.pop(name, None)


def test_a_remote_server_is_checked_by_default() -> None:
    address = parse("postgresql://officer@cme-db.council.local/cme")
    assert (address.host, address.port, address.database) == ("cme-db.council.local", 5432, "cme")
    assert address.sslmode == "verify-full"
    context = ssl_context(address)
    assert context is not None and context.check_hostname


def test_the_loopback_prefers_tls_without_requiring_it() -> None:
    assert parse("postgresql://officer@localhost/cme").sslmode == "prefer"
    assert parse("postgresql://officer@127.0.0.1:5433/cme").port == 5433
    assert ssl_context(parse("postgresql://officer@[::1]/cme?sslmode=disable")) is None


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require"])
def test_a_remote_server_is_never_reached_unchecked(mode: str) -> None:
    with pytest.raises(InvalidInput, match="without checking the server's certificate"):
        parse(f"postgresql://officer@10.1.2.3/cme?sslmode={mode}")


@pytest.mark.parametrize(
    ("address", "says"),
    [
        ("cases.cme", "starts with postgresql://"),
        ("postgresql://officer@/cme", "no host name"),
        ("postgresql://officer@db.council.local", "no database name"),
        ("postgresql://officer@db.council.local/cme?sslmode=maybe", "not a TLS mode"),
        ("postgresql://officer@db.council.local/cme?target_session_attrs=any", "does not use"),
        ("postgresql://db.council.local/cme", "no login name"),
        ("postgresql://o@db.council.local/cme?sslrootcert=/nowhere/ca.crt", "does not exist"),
    ],
)
def test_a_bad_address_says_what_is_wrong(address: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        ssl_context(parse(address))


def test_the_address_never_shows_its_password() -> None:
    address = parse("postgresql://officer:s3cret@db.council.local/cme")
    assert address.password == "s3cret"
    assert "s3cret" not in repr(address) and "s3cret" not in str(address)
    assert str(address) == "postgresql://officer@db.council.local:5432/cme"


def test_a_password_is_kept_under_the_address_without_it() -> None:
    store = MemoryStore()
    address = parse("postgresql://officer@db.council.local/cme")
    assert stored_password(address, store) is None
    remember_password(address, store, "pw")
    assert stored_password(parse("postgresql://officer@db.council.local:5432/cme"), store) == "pw"
    assert stored_password(parse("postgresql://other@db.council.local/cme"), store) is None


def _address(postgres_url: str, **query: str) -> tuple[str, str]:
    url = make_url(postgres_url)
    password = url.password or ""
    plain = url._replace(password=None).set(query=query).render_as_string(hide_password=False)
    return plain, str(password)


def test_verify_full_logs_in_over_tls_with_scram(postgres_url: str) -> None:
    url, password = _address(
        postgres_url, sslmode="verify-full", sslrootcert=str(server_authority())
    )
    db = ServerDatabase.connect(parse(url.replace("127.0.0.1", "localhost")), password)
    try:
        with db.read() as session:
            tls = session.execute(
                text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            ).scalar_one()
            method = session.execute(
                text("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = :u"),
                {"u": db.address.username},
            ).scalar_one()
        assert tls is True
        assert method is True  # the login's password is kept and checked as SCRAM
    finally:
        db.close()


def test_a_server_whose_certificate_is_not_trusted_is_refused(postgres_url: str) -> None:
    # The computer's own authorities do not know the test authority.
    url, password = _address(postgres_url, sslmode="verify-full", sslrootcert="system")
    with pytest.raises(ServerUnavailable, match="could not be trusted"):
        ServerDatabase.connect(parse(url.replace("127.0.0.1", "localhost")), password)


def test_a_wrong_password_is_a_refused_login(postgres_url: str) -> None:
    url, _password = _address(postgres_url)
    with pytest.raises(ServerLoginFailed, match="refused the login"):
        ServerDatabase.connect(parse(url), "not the password")


def test_a_server_that_does_not_answer_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(ServerUnavailable, match="not answering"):
        ServerDatabase.connect(parse(f"postgresql://officer@127.0.0.1:{port}/cme"), "pw")


def test_a_missing_database_is_named(postgres_url: str) -> None:
    url, password = _address(postgres_url)
    missing = make_url(url).set(database="no_such_cme").render_as_string(hide_password=False)
    with pytest.raises(ServerUnavailable, match="no database 'no_such_cme'"):
        ServerDatabase.connect(parse(missing), password)


def test_the_vaults_own_file_operations_are_not_offered_on_the_server(
    server_db: ServerDatabase, tmp_path: Path
) -> None:
    from datetime import date

    from cme_desktop.services.errors import CmeError
    from cme_desktop.services.vault.backups import due_monthly_save, monthly_save

    assert server_db.kind == "server"
    assert not due_monthly_save(server_db, date(2025, 3, 18))  # backups are the DBA's
    with pytest.raises(CmeError, match="administrator's"):
        monthly_save(server_db, today=date(2025, 3, 18))
    with pytest.raises(CmeError, match="database administrator"):
        server_db.export_copy(tmp_path / "copy.cme")
    with pytest.raises(CmeError, match="database administrator"):
        server_db.integrity_problems()
    assert not (tmp_path / "copy.cme").exists()
