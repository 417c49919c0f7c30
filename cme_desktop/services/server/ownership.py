"""Whose case it is, on a shared server: giving cases to another officer.

``cases.owner`` is guarded by the database (``roles``): only an officer may change it,
only to an officer's login or to nobody, and the database writes each change into the
audit log (``case_reassigned``). These functions are the application's way to do it;
they refuse what the database would refuse with the same words, before asking it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from cme_desktop.models import Case
from cme_desktop.services.errors import CmeError, InvalidInput, NotFound
from cme_desktop.services.server.database import sqlstate
from cme_desktop.services.server.roles import OFFICER
from cme_desktop.services.vault.database import UnitOfWork

NOBODY = ""
_NOT_AN_OFFICER = "A case can only be given to the login of a CME officer."
#: Why the window offers "Give to…" to officers only.
ONLY_OFFICERS = "Only a CME officer can give a case to someone else."


@dataclass(frozen=True)
class Handover:
    """What a reassignment changed."""

    cases: int
    to: str


def login(db: UnitOfWork) -> str:
    """The server login this program works as: whose cases are "mine"."""
    _require_server(db)
    with db.read() as session:
        return str(session.execute(text("SELECT session_user")).scalar_one())


def may_give(db: UnitOfWork) -> bool:
    """Whether this login may give cases to someone (a member of the officers' role)."""
    _require_server(db)
    return _is_officer(db)


def officers(db: UnitOfWork) -> list[str]:
    """The logins a case may be given to: members of the officers' role, by name.

    Superusers are left out: PostgreSQL counts them members of every role.
    """
    _require_server(db)
    with db.read() as session:
        rows = session.execute(
            text(
                "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper "
                "AND pg_has_role(oid, :role, 'MEMBER') ORDER BY rolname"
            ),
            {"role": OFFICER},
        )
        return [str(r[0]) for r in rows]


def give(db: UnitOfWork, *, case_ids: list[int], to: str) -> Handover:
    """Give each case of ``case_ids`` to the officer ``to`` (``NOBODY``: not allocated).

    All or none: a case that does not exist refuses the lot (``NotFound``).
    """
    _check(db, to)
    try:
        with db.write() as session:
            cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
            missing = sorted(set(case_ids) - {c.id for c in cases})
            if missing:
                raise NotFound(f"There is no case {missing[0]}: no case was given to anyone.")
            changed = [c for c in cases if c.owner != to]
            for case in changed:
                # Through the model, so its version moves on and an officer who has the
                # case open is told it changed.
                case.owner = to
    except DBAPIError as exc:
        _refused(exc)
        raise
    return Handover(len(changed), to)


def hand_over(db: UnitOfWork, *, owner: str, to: str) -> Handover:
    """Give every case of ``owner`` (someone leaving) to the officer ``to``."""
    if owner == to:
        raise InvalidInput("The cases already belong to that login.", field="to")
    _check(db, to)
    try:
        with db.write() as session:
            result = session.execute(
                update(Case)
                .where(Case.owner == owner)
                .values(owner=to, version=Case.version + 1)
                .execution_options(synchronize_session=False)
            )
            changed = int(getattr(result, "rowcount", 0) or 0)
    except DBAPIError as exc:
        _refused(exc)
        raise
    return Handover(changed, to)


def _check(db: UnitOfWork, to: str) -> None:
    """Refuse early what the database's trigger would refuse (``roles._owner_sql``)."""
    _require_server(db)
    if not _is_officer(db):
        raise CmeError(ONLY_OFFICERS)
    if to != NOBODY and to not in officers(db):
        raise InvalidInput(_NOT_AN_OFFICER, field="to")


def _is_officer(db: UnitOfWork) -> bool:
    with db.read() as session:
        return bool(
            session.execute(
                text("SELECT pg_has_role(current_user, :role, 'MEMBER')"), {"role": OFFICER}
            ).scalar()
        )


def _require_server(db: UnitOfWork) -> None:
    with db.read() as session:
        if session.get_bind().dialect.name != "postgresql":
            raise CmeError("Cases have owners on a shared server only, not in a vault.")


def _refused(exc: DBAPIError) -> None:
    # The trigger's own refusal, should a login stop being an officer in between.
    if sqlstate(exc) == "23514":
        raise InvalidInput(_NOT_AN_OFFICER, field="to") from exc
