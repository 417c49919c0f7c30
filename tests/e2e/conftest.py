"""Fixtures of the end-to-end tests beyond tests/conftest.py."""

from __future__ import annotations

# People on the test PostgreSQL server, one login per role.
from tests.support.server_logins import team  # noqa: F401
