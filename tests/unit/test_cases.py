"""The case service: create, read, update, close, reopen, steps, tasks, visits, families."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Case, Escalation
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft, case_reference
from cme_desktop.services.cases.list_columns import escalation_flags
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.errors import InvalidInput, NotFound
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

TODAY = date.today()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def db(template: Template, tmp_path: Path) -> Iterator[Database]:
    opened = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE, actor="Test Officer")
    yield opened
    opened.close()


@pytest.fixture
def cases(db: Database) -> CaseService:
    return CaseService(db)


DRAFT = CaseDraft(
    full_name="  Ellis   Marchbank ",
    aka="Elly Marsh",
    date_of_birth=date(2014, 9, 1),
    upn=" k938 162754013 ",
    last_known_address="12 Bramble Court\nLoughborough",
    school="Hollowfield Primary School",
    identification_route="pupil_database",
    referring_agency="housing",
    reason_missing="ceased",
    groups=("traveller", "homeless", "traveller"),
)


def _events(db: Database, since: int = 0) -> list[AuditEvent]:
    with db.read() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.id > since).order_by(AuditEvent.id))
        )


def _last_event_id(db: Database) -> int:
    events = _events(db)
    return events[-1].id if events else 0


# --- create / read / update -------------------------------------------------------------


def test_create_and_read(cases: CaseService) -> None:
    case_id = cases.create(draft=DRAFT)
    detail = cases.get(case_id)
    assert detail.id == case_id
    assert detail.reference == case_reference(case_id) == f"CME-{case_id:06d}"
    assert detail.full_name == "Ellis Marchbank"
    assert detail.draft.upn == "K938162754013"
    assert detail.draft.groups == ("homeless", "traveller")
    assert detail.draft.notified_on == TODAY
    assert (detail.status, detail.opened_on, detail.closed_on) == ("open", TODAY, None)
    done = [s.step for s in detail.steps if s.done_on]
    assert done == ["receive", "log"], "logging the case does steps 1 and 3"
    assert [s.number for s in detail.steps] == list(range(1, 10))
    assert detail.steps[0].label == vocab.TRACKING_STEPS[0].label
    assert detail.steps[0].done_by == "Test Officer"
    assert detail.current_step == 2
    (address,) = detail.addresses
    assert address.is_last_known
    assert address.address == "12 Bramble Court\nLoughborough"


def test_case_reference() -> None:
    assert case_reference(123) == "CME-000123"
    assert case_reference(1234567) == "CME-1234567"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": "   "}, "full_name"),
        ({"upn": "A12"}, "upn"),
        ({"identification_route": "rumour"}, "identification_route"),
        ({"referring_agency": "the_press"}, "referring_agency"),
        ({"reason_missing": "bored"}, "reason_missing"),
        ({"groups": ("pirates",)}, "groups"),
        ({"date_of_birth": TODAY + timedelta(days=1)}, "date_of_birth"),
    ],
)
def test_create_refuses_invalid_details(
    cases: CaseService, db: Database, change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        cases.create(draft=replace(DRAFT, **change))  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.exit_code == 2
    with db.read() as session:
        assert session.scalars(select(Case)).all() == []


def test_a_missing_case(cases: CaseService) -> None:
    with pytest.raises(NotFound, match="CME-000999"):
        cases.get(999)


def test_update_and_version_conflict(cases: CaseService, db: Database) -> None:
    case_id = cases.create(draft=DRAFT)
    first = cases.get(case_id)
    mark = _last_event_id(db)
    edited = replace(
        first.draft,
        full_name="Ellis Marchbank-Reed",
        last_known_address="3 Canal Side\nMelton Mowbray",
        groups=("homeless",),
        notified_on=None,
    )
    after = cases.update(case_id, draft=edited, version=first.version)
    assert after.version == first.version + 1
    assert after.full_name == "Ellis Marchbank-Reed"
    assert after.draft.notified_on == TODAY, "a draft without a date keeps the case's date"
    assert [a.address for a in after.addresses] == [
        "3 Canal Side\nMelton Mowbray",
        "12 Bramble Court\nLoughborough",
    ]
    assert after.addresses[0].is_last_known and not after.addresses[1].is_last_known
    assert after.addresses[1].moved_out == TODAY
    (event,) = _events(db, mark)
    assert event.action == "case_updated"
    assert event.detail == "fields=full_name,groups,last_known_address"

    # Someone else saved in between: the stale version is refused, nothing changes.
    with pytest.raises(InvalidInput, match="changed elsewhere"):
        cases.update(case_id, draft=replace(edited, full_name="Other"), version=first.version)
    assert cases.get(case_id).full_name == "Ellis Marchbank-Reed"


# --- close / reopen ---------------------------------------------------------------------------


def test_close_and_reopen(cases: CaseService) -> None:
    case_id = cases.create(draft=DRAFT, today=TODAY - timedelta(days=30))
    with pytest.raises(InvalidInput):
        cases.close(case_id, outcome="gave_up")
    with pytest.raises(InvalidInput, match="before it opened"):
        cases.close(case_id, outcome="ehe", on=TODAY - timedelta(days=31))
    assert cases.get(case_id).status == "open"

    closed_on = TODAY - timedelta(days=2)
    cases.close(case_id, outcome="ehe", on=closed_on, note=" Letter from parents ")
    detail = cases.get(case_id)
    assert (detail.status, detail.closed_on, detail.closing_outcome, detail.closing_note) == (
        "closed",
        closed_on,
        "ehe",
        "Letter from parents",
    )
    with pytest.raises(InvalidInput, match="already closed"):
        cases.close(case_id, outcome="ehe")

    cases.reopen(case_id, reason="Home education stopped.")
    detail = cases.get(case_id)
    assert (detail.status, detail.closed_on, detail.closing_outcome) == ("open", None, "")
    note = detail.timeline[0]
    assert note.kind == "system"
    assert note.summary == (
        f"Case reopened (was closed {closed_on:%d/%m/%Y}: "
        f"{vocab.label_of(vocab.CLOSING_OUTCOMES, 'ehe')}). Home education stopped."
    )
    with pytest.raises(InvalidInput, match="open already"):
        cases.reopen(case_id)


# --- tracking steps, tasks, visits --------------------------------------------------------------


def test_steps_make_the_current_step(cases: CaseService) -> None:
    case_id = cases.create(draft=DRAFT)
    assert cases.get(case_id).current_step == 2
    cases.set_step(case_id, step="check_place", done_on=TODAY, note="Not on roll anywhere")
    detail = cases.get(case_id)
    assert detail.current_step == 4
    assert detail.steps[1].note == "Not on roll anywhere"
    cases.set_step(case_id, step="receive", done_on=None)
    assert cases.get(case_id).current_step == 1
    for key in vocab.TRACKING_STEP_KEYS:
        cases.set_step(case_id, step=key, done_on=TODAY, done_by="Duty Officer")
    detail = cases.get(case_id)
    assert detail.current_step == 9
    assert all(s.done_on == TODAY for s in detail.steps)
    assert detail.steps[0].done_by == "Duty Officer"
    cases.set_step(case_id, step="track", done_on=None)
    assert cases.get(case_id).current_step == 9
    cases.set_step(case_id, step="locate", done_on=None)
    assert cases.get(case_id).current_step == 4
    with pytest.raises(InvalidInput):
        cases.set_step(case_id, step="step_ten", done_on=TODAY)


def test_tasks_make_the_next_task_due(cases: CaseService) -> None:
    case_id = cases.create(draft=DRAFT)
    assert cases.get(case_id).next_task_due is None
    later = cases.add_task(case_id, title="Phone school", due_on=TODAY + timedelta(days=5))
    sooner = cases.add_task(case_id, title="Check housing", due_on=TODAY - timedelta(days=1))
    assert cases.get(case_id).next_task_due == TODAY - timedelta(days=1)
    cases.complete_task(sooner)
    detail = cases.get(case_id)
    assert detail.next_task_due == TODAY + timedelta(days=5)
    assert [(t.id, t.done_on) for t in detail.tasks] == [(later, None), (sooner, TODAY)]
    cases.complete_task(later, done_on=TODAY - timedelta(days=3))
    cases.complete_task(later)  # already done: stays done on its day
    detail = cases.get(case_id)
    assert detail.next_task_due is None
    assert {t.id: t.done_on for t in detail.tasks}[later] == TODAY - timedelta(days=3)
    with pytest.raises(InvalidInput):
        cases.add_task(case_id, title="  ", due_on=TODAY)
    with pytest.raises(NotFound):
        cases.complete_task(9999)


def test_a_visit_ticks_step_five_and_sets_the_last_visit(cases: CaseService) -> None:
    case_id = cases.create(draft=replace(DRAFT, whereabouts_unknown=True))
    cases.set_step(case_id, step="check_place", done_on=TODAY)
    cases.set_step(case_id, step="locate", done_on=TODAY)
    visited = datetime(2026, 3, 10, 14, 30)
    cases.add_timeline(
        case_id,
        kind="visit",
        occurred_at=visited,
        summary="Curtains drawn",
        outcome="no_reply_occupied",
    )
    detail = cases.get(case_id)
    assert detail.last_visit_on == visited.date()
    assert detail.steps[4].step == "home_visit"
    assert detail.steps[4].done_on == visited.date()
    assert detail.current_step == 6
    assert detail.draft.whereabouts_unknown

    cases.add_timeline(
        case_id, kind="visit", occurred_at=datetime(2026, 3, 1, 9), summary="", outcome="seen"
    )
    detail = cases.get(case_id)
    assert detail.last_visit_on == visited.date(), "an earlier visit keeps the latest date"
    assert detail.steps[4].done_on == visited.date()
    assert not detail.draft.whereabouts_unknown, "the child was seen"
    assert [t.outcome for t in detail.timeline] == ["no_reply_occupied", "seen"]

    with pytest.raises(InvalidInput):
        cases.add_timeline(case_id, kind="rumour", occurred_at=visited, summary="x")
    with pytest.raises(InvalidInput):
        cases.add_timeline(case_id, kind="visit", occurred_at=visited, summary="x", outcome="meh")
    with pytest.raises(InvalidInput):
        cases.add_timeline(case_id, kind="note", occurred_at=visited, summary="  ")


def test_link_family(cases: CaseService, db: Database) -> None:
    a, b, c, d = (
        cases.create(draft=replace(DRAFT, full_name=n, date_of_birth=date(2010 + i, 1, 1)))
        for i, n in enumerate(("Ann Lee", "Ben Lee", "Cai Lee", "Dot Lee"))
    )
    with pytest.raises(InvalidInput):
        cases.link_family([a, a])
    first = cases.link_family([a, b])
    second = cases.link_family([c, d])
    assert first != second
    assert [s.full_name for s in cases.get(a).siblings] == ["Ben Lee"]
    merged = cases.link_family([b, c])
    assert merged == first
    siblings = cases.get(d).siblings
    assert [s.full_name for s in siblings] == ["Ann Lee", "Ben Lee", "Cai Lee"]
    assert {cases.get(i).family_id for i in (a, b, c, d)} == {first}


def test_addresses_carers_agencies_meetings(cases: CaseService) -> None:
    case_id = cases.create(draft=DRAFT)
    cases.add_address(case_id, address="  Old Farm Cottage ", moved_out=date(2025, 1, 1))
    cases.add_address(case_id, address="Caravan 4, Riverside Site", last_known=True)
    detail = cases.get(case_id)
    assert detail.draft.last_known_address == "Caravan 4, Riverside Site"
    assert [a.address for a in detail.addresses if a.is_last_known] == ["Caravan 4, Riverside Site"]
    assert len(detail.addresses) == 3
    with pytest.raises(InvalidInput):
        cases.add_address(case_id, address=" ")

    carer = cases.save_carer(case_id, name="Fay Marchbank", relationship="Mother")
    cases.save_carer(case_id, carer_id=carer, name="Fay Marchbank", telephone="0116 496 0000")
    (row,) = cases.get(case_id).carers
    assert (row.name, row.relationship, row.telephone) == ("Fay Marchbank", "", "0116 496 0000")
    other = cases.create(draft=replace(DRAFT, full_name="Someone Else"))
    with pytest.raises(NotFound):
        cases.save_carer(other, carer_id=carer, name="Fay Marchbank")
    with pytest.raises(InvalidInput):
        cases.save_carer(case_id, name=" ")
    cases.remove_carer(case_id, carer_id=carer)
    assert cases.get(case_id).carers == ()

    cases.add_agency_referral(case_id, agency="health", referred_on=date(2026, 1, 5))
    with pytest.raises(InvalidInput):
        cases.add_agency_referral(case_id, agency="the_press", referred_on=date(2026, 1, 5))
    cases.add_meeting(case_id, held_on=date(2026, 1, 9), attendees="School, Health", actions="")
    detail = cases.get(case_id)
    assert [r.agency for r in detail.agency_referrals] == ["health"]
    assert [m.attendees for m in detail.meetings] == ["School, Health"]


def test_escalation_flags_follow_the_latest_decision(cases: CaseService, db: Database) -> None:
    case_id = cases.create(draft=DRAFT)
    for n, decision in enumerate(("refer_both", "refer_police", "no_escalation")):
        with db.write() as session:
            session.add(
                Escalation(
                    case_id=case_id,
                    decided_at=datetime(2026, 1, 1 + n),
                    answers={},
                    recommendation=decision,
                    decision=decision,
                )
            )
            session.flush()
            case = session.get(Case, case_id)
            assert case is not None
            escalation_flags(session, case)
            flags = (case.escalated_police, case.escalated_social_care)
        assert (
            flags
            == {
                "refer_both": (True, True),
                "refer_police": (True, False),
                "no_escalation": (False, False),
            }[decision]
        )
    assert [e.decision for e in cases.get(case_id).escalations][0] == "no_escalation"


# --- every call is audited, without names ---------------------------------------------------------


def test_every_call_is_audited_without_personal_details(cases: CaseService, db: Database) -> None:
    case_id = cases.create(draft=DRAFT)
    sibling = cases.create(draft=replace(DRAFT, full_name="Frankie Marchbank"))
    task = cases.add_task(case_id, title="Phone Hollowfield", due_on=TODAY)
    carer = cases.save_carer(case_id, name="Gwen Marchbank")
    version = cases.get(case_id).version

    calls: list[tuple[str, Callable[[], object]]] = [
        ("case_created", lambda: cases.create(draft=replace(DRAFT, full_name="Hal Marchbank"))),
        ("case_read", lambda: cases.get(case_id)),
        ("case_updated", lambda: cases.update(case_id, draft=DRAFT, version=version)),
        ("step_set", lambda: cases.set_step(case_id, step="locate", done_on=TODAY)),
        ("step_cleared", lambda: cases.set_step(case_id, step="locate", done_on=None)),
        ("address_added", lambda: cases.add_address(case_id, address="9 Marchbank Way")),
        ("carer_saved", lambda: cases.save_carer(case_id, name="Ida Marchbank")),
        ("carer_removed", lambda: cases.remove_carer(case_id, carer_id=carer)),
        (
            "timeline_visit",
            lambda: cases.add_timeline(
                case_id, kind="visit", occurred_at=datetime.now(), summary="Gwen at the door"
            ),
        ),
        (
            "timeline_phone",
            lambda: cases.add_timeline(
                case_id, kind="phone", occurred_at=datetime.now(), summary="Rang Gwen"
            ),
        ),
        ("task_added", lambda: cases.add_task(case_id, title="Visit Gwen", due_on=TODAY)),
        ("task_done", lambda: cases.complete_task(task)),
        (
            "agency_referral_added",
            lambda: cases.add_agency_referral(case_id, agency="police", referred_on=TODAY),
        ),
        (
            "meeting_added",
            lambda: cases.add_meeting(case_id, held_on=TODAY, attendees="Gwen", actions=""),
        ),
        ("family_linked", lambda: cases.link_family([case_id, sibling])),
        (
            "case_closed",
            lambda: cases.close(
                case_id,
                outcome="on_roll",
                note="Marchbank",
                details=ClosureDetails(school="Marchbank", school_start=TODAY),
            ),
        ),
        ("case_reopened", lambda: cases.reopen(case_id, reason="Gwen rang")),
    ]
    for action, call in calls:
        mark = _last_event_id(db)
        call()
        events = _events(db, mark)
        assert events, f"{action} left no audit event"
        assert {e.action for e in events} == {action}
        assert all(e.entity == "case" and e.actor == "Test Officer" for e in events)
        assert case_id in {e.entity_id for e in events} or action == "case_created"

    personal = ("Ellis", "Marchbank", "Elly", "Bramble", "Hollowfield", "Gwen", "K938")
    with db.read() as session:
        assert audit.verify(session, db.audit_key).ok
        for event in session.scalars(select(AuditEvent)):
            text = " ".join(
                [event.actor, event.action, event.entity, str(event.entity_id), event.detail]
            )
            assert not [p for p in personal if p.lower() in text.lower()], text
