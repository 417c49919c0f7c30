"""The tests' PostgreSQL: found, or a failure that says what to install (never a skip)."""

from __future__ import annotations

import pytest

from tests.support import postgres
from tools import test_postgres


def test_no_postgresql_fails_the_server_tests_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(test_postgres.glob, "glob", lambda _pattern: [])
    monkeypatch.setattr(test_postgres.shutil, "which", lambda _name: None)
    with pytest.raises(test_postgres.PostgresUnavailable) as missing:
        test_postgres.find_bin()
    assert "apt-get install postgresql" in str(missing.value)
    assert "CME_TEST_POSTGRES_URL" in str(missing.value)

    monkeypatch.delenv(postgres.ENV, raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        postgres.server_url()


def test_the_server_url_given_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(postgres.ENV, "postgresql://someone@db.example/cme")
    assert postgres.server_url() == "postgresql://someone@db.example/cme"
