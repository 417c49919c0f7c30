"""People on the test server: a login per person, granted one of the CME group roles.

Logins belong to the whole PostgreSQL cluster, so each gets a name of its own run and is
dropped when the test ends. ``Team.as_(person)`` is an engine that logs in as them;
``Team.superuser`` is the tests' superuser on the same database (the DBA, or an intruder).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from cme_desktop.services.server import roles
from cme_desktop.services.server.database import sqlstate

_numbers = itertools.count(1)
#: SQLSTATE of "permission denied" and of a row refused by a row-level security policy.
PERMISSION_DENIED = "42501"


@dataclass
class Team:
    """Logins on one test database, each a member of one group role."""

    url: str
    superuser: Engine
    logins: dict[str, str] = field(default_factory=dict)  # person -> login name
    _password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    _engines: list[Engine] = field(default_factory=list)

    def add(self, person: str, role: str) -> str:
        """Make a login for ``person`` in ``role``; returns the login name."""
        login = f"t{os.getpid()}_{next(_numbers)}_{person}"
        with self.superuser.begin() as conn:
            conn.execute(
                text(f"CREATE ROLE \"{login}\" LOGIN PASSWORD '{self._password}' IN ROLE {role}")
            )
        self.logins[person] = login
        return login

    def as_(self, person: str) -> Engine:
        """An engine logging in as ``person`` (SCRAM, over the loopback)."""
        url = make_url(self.url).set(
            drivername="postgresql+pg8000", username=self.logins[person], password=self._password
        )
        engine = create_engine(url, poolclass=NullPool)
        self._engines.append(engine)
        return engine

    def drop(self) -> None:
        for engine in self._engines:
            engine.dispose()
        with self.superuser.begin() as conn:
            for login in self.logins.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
        self.superuser.dispose()


@pytest.fixture
def team(postgres_url: str) -> Iterator[Team]:
    """An officer, a second officer, an administrator, a manager and an auditor."""
    superuser = create_engine(
        make_url(postgres_url).set(drivername="postgresql+pg8000"), poolclass=NullPool
    )
    people = Team(url=postgres_url, superuser=superuser)
    try:
        people.add("officer", roles.OFFICER)
        people.add("colleague", roles.OFFICER)
        people.add("administrator", roles.ADMINISTRATOR)
        people.add("manager", roles.MANAGER)
        people.add("auditor", roles.AUDITOR)
        yield people
    finally:
        people.drop()


def refused(exc_info: pytest.ExceptionInfo[DBAPIError]) -> str:
    """The SQLSTATE of a refused statement (``PERMISSION_DENIED`` for privileges and RLS)."""
    return sqlstate(exc_info.value)
