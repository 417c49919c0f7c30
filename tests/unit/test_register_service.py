"""The register's service: on, off, content, moves between CME and the register, deadlines.

Deadlines by hand (the defaults of ``register.config``): a child registered on
2 November 2026 has a home visit offered by 17 November (15 days, a placeholder awaiting
regulations) and an eligibility review by 2 November 2027 (365 days); information asked
of a parent on 3 November is due on 18 November (15 days, s.436D); a notice before a
school attendance order served on 10 November gives until 25 November (s.437(2): at
least 15 days).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Case, RegisterEvent, Task, TimelineEntry
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import ChangedElsewhere, InvalidInput
from cme_desktop.services.register.config import (
    DEFAULT,
    Deadline,
    RegisterConfig,
    RegisterSettings,
)
from cme_desktop.services.register.duties import DutyService, sao_path
from cme_desktop.services.register.eligibility import Result
from cme_desktop.services.register.entry import (
    EntryDraft,
    NewChild,
    ParentDraft,
    ProviderDraft,
    RegisterService,
)
from cme_desktop.services.vault.database import Database
from cme_desktop.services.vault.unlock import Vault

DAY = date(2026, 11, 2)
TODAY = date(2026, 12, 1)


@pytest.fixture
def vault(copied_vault: Vault) -> Vault:
    return copied_vault


def _new(db: Database, **entry: object) -> int:
    draft = EntryDraft(**entry) if entry else None  # type: ignore[arg-type]
    return RegisterService(db).register_new(
        NewChild(
            "Rowan Hartley", date_of_birth=date(2014, 5, 1), home_address="1 Elm Row, Leicester"
        ),
        on=DAY,
        entry=draft,
        today=TODAY,
    )


def _tasks(db: Database, case_id: int) -> dict[str, date]:
    with db.read() as session:
        rows = session.execute(
            select(Task.origin, Task.due_on).where(Task.case_id == case_id)
        ).all()
    return {str(origin): due for origin, due in rows}


def _events(db: Database, case_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(RegisterEvent.kind)
                .where(RegisterEvent.case_id == case_id)
                .order_by(RegisterEvent.id)
            )
        )


def _actions(db: Database, case_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_id == case_id)
                .order_by(AuditEvent.id)
            )
        )


def _case(db: Database, case_id: int) -> Case:
    with db.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        session.expunge(case)
        return case


def test_a_new_child_goes_on_the_register_with_its_deadlines(db: Database) -> None:
    case_id = _new(db, lives_in_area="yes", school_status="not_registered")
    case = _case(db, case_id)
    assert (case.cohort, case.status, case.opened_on) == ("cnis", "open", DAY)
    assert _events(db, case_id) == ["joined"]
    assert _tasks(db, case_id) == {
        "register:home_visit": date(2026, 11, 17),
        "register:review": date(2027, 11, 2),
    }
    assert case.next_task_due == date(2026, 11, 17)
    assert {"case_created", "register_joined", "register_event"} <= set(_actions(db, case_id))
    record = RegisterService(db).get(case_id, today=TODAY)
    assert record is not None and record.on_register
    assert record.eligibility.result is Result.MET
    assert record.home_address == "1 Elm Row, Leicester"


def test_a_cme_case_put_on_the_register_keeps_its_history(db: Database) -> None:
    cases = CaseService(db)
    case_id = cases.create(draft=CaseDraft(full_name="Ezra Moss", notified_on=DAY), today=DAY)
    cases.close(case_id, outcome="ehe", on=date(2026, 11, 20))
    RegisterService(db).put_on(case_id, on=date(2026, 11, 20), today=TODAY)
    case = _case(db, case_id)
    assert (case.cohort, case.status, case.closing_outcome) == ("both", "closed", "ehe")
    assert _events(db, case_id) == ["from_cme", "joined"]
    with db.read() as session:
        summaries = list(
            session.scalars(select(TimelineEntry.summary).where(TimelineEntry.case_id == case_id))
        )
    assert any("Put on the register of children not in school" in s for s in summaries)
    assert any(s.startswith("Case closed") for s in summaries)
    with pytest.raises(InvalidInput, match="on the register already"):
        RegisterService(db).put_on(case_id, today=TODAY)


def test_taking_a_register_only_child_off_closes_the_row(db: Database) -> None:
    case_id = _new(db)
    service = RegisterService(db)
    with pytest.raises(InvalidInput, match="cannot leave it before"):
        service.take_off(case_id, reason="moved_away", on=date(2026, 11, 1), today=TODAY)
    with pytest.raises(InvalidInput, match="Say why"):
        service.take_off(case_id, reason="other", on=DAY, today=TODAY)
    service.take_off(case_id, reason="moved_away", on=date(2026, 11, 30), today=TODAY)
    case = _case(db, case_id)
    assert (case.status, case.closed_on) == ("closed", date(2026, 11, 30))
    record = service.get(case_id, today=TODAY)
    assert record is not None
    assert (record.status, record.left_reason) == ("off", "moved_away")
    assert _events(db, case_id)[-1] == "left"
    # Back on later, with a new registration date.
    service.put_on(case_id, on=TODAY, today=TODAY)
    assert _case(db, case_id).status == "open"


def test_education_stopping_opens_a_cme_case_on_the_same_record(db: Database) -> None:
    case_id = _new(db)
    RegisterService(db).education_stopped(
        case_id, on=date(2026, 11, 25), note="Tutor left", today=TODAY
    )
    case = _case(db, case_id)
    assert (case.cohort, case.status) == ("both", "open")
    assert (case.opened_on, case.notified_on) == (date(2026, 11, 25), date(2026, 11, 25))
    assert _events(db, case_id)[-2:] == ["left", "to_cme"]
    record = RegisterService(db).get(case_id, today=TODAY)
    assert record is not None and record.left_reason == "to_cme"
    detail = CaseService(db).get(case_id)
    assert any("opened as a CME case" in t.summary for t in detail.timeline)
    assert "register_to_cme" in _actions(db, case_id)


def test_education_stopping_reopens_an_earlier_cme_case_as_reports_read_it(db: Database) -> None:
    cases = CaseService(db)
    case_id = cases.create(draft=CaseDraft(full_name="Ivy Cole", notified_on=DAY), today=DAY)
    cases.close(case_id, outcome="ehe", on=date(2026, 11, 5))
    RegisterService(db).put_on(case_id, on=date(2026, 11, 5), today=TODAY)
    RegisterService(db).education_stopped(case_id, on=date(2026, 11, 28), today=TODAY)
    case = _case(db, case_id)
    assert (case.status, case.opened_on, case.closed_on) == ("open", DAY, None)
    detail = cases.get(case_id)
    assert any(
        t.summary.startswith("Case reopened (was closed 05/11/2026") for t in detail.timeline
    )


def test_content_is_saved_and_a_stale_save_refused(db: Database) -> None:
    case_id = _new(db)
    service = RegisterService(db)
    record = service.get(case_id, today=TODAY)
    assert record is not None
    saved = service.save(
        case_id,
        version=record.version,
        entry=EntryDraft(
            lives_in_area="yes",
            school_status="registered_elsewhere",
            arrangement="flexi",
            school="Oak Academy",
            optional_info={"sen": "Dyslexia", "religion": "  "},
        ),
        parents=[
            ParentDraft("Sam Hartley", "1 Elm Row", provides_education=True, hours_per_week=12.5),
            ParentDraft("Lee Hartley", "", provides_education=False, hours_per_week=9),
        ],
        providers=[
            ProviderDraft("Maths Online Ltd", "", "online_school", "online", 4, 4),
        ],
    )
    assert saved.version > record.version
    assert saved.entry.optional_info == {"sen": "Dyslexia"}
    assert [(p.name, p.hours_per_week) for p in saved.parents] == [
        ("Sam Hartley", 12.5),
        ("Lee Hartley", None),  # an estimate only for a parent who educates
    ]
    assert saved.providers[0].mode == "online"
    assert saved.eligibility.result is Result.MET
    with pytest.raises(ChangedElsewhere):
        service.save(case_id, version=record.version, entry=EntryDraft(), parents=[], providers=[])


@pytest.mark.parametrize(
    ("entry", "parents", "providers", "message"),
    [
        (EntryDraft(lives_in_area="maybe"), [], [], "lives in the area"),
        (
            EntryDraft(school_status="registered_elsewhere", arrangement="zzz"),
            [],
            [],
            "arrangement",
        ),
        (EntryDraft(optional_info={"shoe_size": "5"}), [], [], "not one of the optional"),
        (EntryDraft(), [ParentDraft("  ")], [], "Parent 1 needs a name"),
        (
            EntryDraft(),
            [ParentDraft("Al", provides_education=True, hours_per_week=200)],
            [],
            "0 to 168",
        ),
        (EntryDraft(), [], [ProviderDraft("Tutor", kind="wizard")], "Choose what provider 1"),
        (
            EntryDraft(),
            [],
            [ProviderDraft("Tutor", hours_per_week=2, hours_without_parent=3)],
            "more than",
        ),
    ],
)
def test_bad_content_is_refused_and_nothing_saved(
    db: Database,
    entry: EntryDraft,
    parents: list[ParentDraft],
    providers: list[ProviderDraft],
    message: str,
) -> None:
    case_id = _new(db)
    service = RegisterService(db)
    record = service.get(case_id, today=TODAY)
    assert record is not None
    with pytest.raises(InvalidInput, match=message):
        service.save(
            case_id, version=record.version, entry=entry, parents=parents, providers=providers
        )
    after = service.get(case_id, today=TODAY)
    assert after is not None and after.version == record.version and after.parents == ()


def test_duties_set_their_deadlines_as_tasks(db: Database) -> None:
    case_id = _new(db)
    duties = DutyService(db)
    duties.record(case_id, kind="information_requested", on=date(2026, 11, 3), today=TODAY)
    duties.record(case_id, kind="parent_notification", on=date(2026, 11, 4), today=TODAY)
    duties.record(case_id, kind="information_not_given", on=date(2026, 11, 19), today=TODAY)
    duties.record(case_id, kind="sao_notice", on=date(2026, 11, 20), today=TODAY)
    tasks = _tasks(db, case_id)
    assert tasks["register:parent_information"] == date(2026, 11, 18)
    assert tasks["register:consider_sao"] == date(2026, 11, 24)
    assert tasks["register:sao_answer"] == date(2026, 12, 5)
    steps = duties.path(case_id)
    assert [s.done_on for s in steps] == [
        date(2026, 11, 3),
        date(2026, 11, 19),
        date(2026, 11, 20),
        None,
    ]
    assert [s.is_next for s in steps] == [False, False, False, True]
    with pytest.raises(InvalidInput, match="future"):
        duties.record(case_id, kind="visit_done", on=date(2026, 12, 2), today=TODAY)
    with pytest.raises(InvalidInput, match="Choose what happened"):
        duties.record(case_id, kind="joined", today=TODAY)


def test_a_refused_visit_opens_the_path_to_an_order() -> None:
    steps = sao_path([("visit_refused", DAY)])
    assert steps[1].done_on == DAY and steps[0].is_next


def test_deadlines_are_configurable(db: Database) -> None:
    settings = RegisterSettings(db)
    mine = Deadline("home_visit", "Offer a home visit", "joined", 10, "local")
    settings.save(RegisterConfig(deadlines=(mine,)))
    case_id = _new(db)
    assert _tasks(db, case_id) == {"register:home_visit": date(2026, 11, 12)}
    with pytest.raises(InvalidInput, match="1 to 366"):
        settings.save(RegisterConfig(deadlines=(Deadline("x", "X", "joined", 0, "act"),)))
    with pytest.raises(InvalidInput, match="no known event"):
        settings.save(RegisterConfig(deadlines=(Deadline("x", "X", "teatime", 3, "act"),)))
    assert settings.load().deadlines == (mine,)
    assert DEFAULT.deadlines != (mine,)


def test_an_optional_field_taken_off_the_list_keeps_what_an_entry_holds(db: Database) -> None:
    case_id = _new(db, optional_info={"sen": "EHC plan in place"})
    RegisterSettings(db).save(RegisterConfig(optional_fields=DEFAULT.optional_fields[:2]))
    service = RegisterService(db)
    record = service.get(case_id, today=TODAY)
    assert record is not None
    saved = service.save(
        case_id,
        version=record.version,
        entry=record.entry,
        parents=[ParentDraft("Sam Hartley")],
        providers=[],
    )
    assert saved.entry.optional_info == {"sen": "EHC plan in place"}
    with pytest.raises(InvalidInput, match="not one of the optional"):
        service.save(
            case_id,
            version=saved.version,
            entry=EntryDraft(optional_info={"child_in_need": "Yes"}),
            parents=[],
            providers=[],
        )
