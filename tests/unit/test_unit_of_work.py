"""Units of work joined to an open session: several services' calls commit or roll back as one."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from cme_desktop.models import AuditEvent, Carer, Case
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import OutputError
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database, SessionUnit

TODAY = date(2026, 10, 5)


def count(db: Database, model: Any) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_two_case_service_calls_roll_back_together_when_the_transaction_fails(
    db: Database,
) -> None:
    before = {model: count(db, model) for model in (Case, Carer, AuditEvent)}
    made: list[int] = []

    with pytest.raises(OSError), db.write() as session:
        cases = CaseService(db.joined(session))
        made.append(cases.create(draft=CaseDraft(full_name="Ada Example"), today=TODAY))
        cases.save_carer(made[0], name="Bea Example", relationship="Mother")
        raise OSError("the disk went away")

    assert made  # the case was made, inside the transaction that then failed
    assert {model: count(db, model) for model in before} == before


def test_calls_through_a_joined_unit_see_each_other_and_commit_with_the_transaction(
    db: Database,
) -> None:
    with db.write() as session:
        cases = CaseService(db.joined(session))
        first = cases.create(draft=CaseDraft(full_name="Cal Example"), today=TODAY)
        second = cases.create(draft=CaseDraft(full_name="Dot Example"), today=TODAY)
        family = cases.link_family([first, second])  # reads the two cases made above

    assert CaseService(db).get(first).family_id == family
    assert [s.id for s in CaseService(db).get(second).siblings] == [first]
    with db.read() as session:
        assert audit.verify(session, db.audit_key).first_bad_id is None


def test_a_joined_unit_acts_as_the_database_and_only_flushes(db: Database) -> None:
    class Undo(Exception):
        pass

    with pytest.raises(Undo), db.write() as session:
        unit = db.joined(session)
        assert isinstance(unit, SessionUnit)
        assert (unit.actor, unit.audit_key) == (db.actor, db.audit_key)
        case_id = CaseService(unit).create(draft=CaseDraft(full_name="Eve Example"), today=TODAY)
        assert not session.new  # flushed, so the units after it see the case
        assert session.in_transaction()  # but not committed: that is the owner's to do
        again = unit.joined(session)
        with again.read() as inner:
            assert inner is session
            assert inner.get(Case, case_id) is not None
        raise Undo

    assert count(db, Case) == 0


def test_a_statement_s_own_words_are_not_read_as_the_disk_being_full(db: Database) -> None:
    """Only the database's own message says what went wrong: a query that names
    ``full_name`` and fails is not "the disk is full"."""
    with pytest.raises(OperationalError) as failed, db.read() as session:
        session.execute(text("SELECT full_name FROM no_such_table"))
    assert not isinstance(failed.value, OutputError)
    assert "no such table" in str(failed.value)
