"""Synthetic children on the register of children not in school, for demonstrations.

Made from the synthetic cases ``cases.demo.fill`` has just added (never from real ones):

- children whose CME case closed as electively home educated go on the register (cohort
  ``both``), as the closing dialog offers, with their carers as parents;
- a few open cases that have gone no further than being logged become children only on
  the register (cohort ``cnis``): their CME tracking is taken off, and they are put on
  the register with parents, sometimes a provider, and a parent's notification.

Each goes through ``RegisterService``, so the entries, events, deadlines and audit rows
are those an officer's work would make.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import delete, select

from cme_desktop.models import Carer, Case, Escalation, StepProgress
from cme_desktop.services.register.duties import DutyService
from cme_desktop.services.register.entry import (
    EntryDraft,
    ParentDraft,
    ProviderDraft,
    RegisterService,
)
from cme_desktop.services.vault.database import Database

__all__ = ["add_register_children"]

#: At most this many of each kind: enough to see, quick even after 100,000 cases.
MOST = 120
#: One open case in this many, of those only logged, becomes a register-only child.
ONE_IN = 12
_PROVIDERS = (
    ("Northfield Maths Tuition", "tuition_centre", "in_person"),
    ("Oak Online Academy", "online_school", "online"),
    ("Hillside Music Tutor", "tutor", "both"),
)


def add_register_children(
    db: Database, *, first_id: int, last_id: int, seed: int = 2026, today: date | None = None
) -> int:
    """Put some of the synthetic cases ``first_id``..``last_id`` on the register; how many."""
    today = today or date.today()
    rng = random.Random(seed)
    with db.read() as session:
        in_range = (Case.id >= first_id, Case.id <= last_id)
        home_educated = list(
            session.scalars(
                select(Case.id)
                .where(*in_range, Case.status == "closed", Case.closing_outcome == "ehe")
                .order_by(Case.id)
                .limit(MOST)
            )
        )
        escalated = select(Escalation.case_id)
        logged_only = [
            case_id
            for case_id in session.scalars(
                select(Case.id)
                .where(*in_range, Case.status == "open", Case.current_step <= 2)
                .where(Case.id.not_in(escalated))
                .order_by(Case.id)
            )
            if rng.randrange(ONE_IN) == 0
        ][:MOST]
        carers: dict[int, list[tuple[int, str, str]]] = {}
        for carer_id, case_id, name, address in session.execute(
            select(Carer.id, Carer.case_id, Carer.name, Carer.address).where(
                Carer.case_id.in_([*home_educated, *logged_only])
            )
        ):
            carers.setdefault(case_id, []).append((carer_id, name, address))
    register = RegisterService(db)
    duties = DutyService(db)
    for case_id in logged_only:
        with db.write() as session:
            # Never a CME case: its tracking is not the register's.
            session.execute(delete(StepProgress).where(StepProgress.case_id == case_id))
            case = session.get(Case, case_id)
            assert case is not None
            case.cohort, case.current_step = "cnis", 1
    made = 0
    for case_id in [*home_educated, *logged_only]:
        on = today - timedelta(days=rng.randrange(5, 200))
        with db.read() as session:
            case = session.get(Case, case_id)
            assert case is not None
            if case.closed_on is not None and case.cohort != "cnis":
                on = max(on, case.closed_on)
            if case.cohort == "cnis":
                on = max(on, case.opened_on)
        on = min(on, today)
        entry = EntryDraft(
            lives_in_area=rng.choice(("yes", "yes", "yes", "unknown")),
            school_status=rng.choice(("not_registered",) * 4 + ("registered_elsewhere",)),
            arrangement="flexi",
            optional_info={"eligibility_reason": "Electively home educated"},
        )
        register.put_on(case_id, on=on, entry=entry, today=today)
        record = register.get(case_id, today=today)
        assert record is not None
        parents = tuple(
            ParentDraft(
                name=name,
                home_address=address,
                provides_education=index == 0,
                hours_per_week=float(rng.choice((10, 15, 20, 25))) if index == 0 else None,
                carer_id=carer_id,
            )
            for index, (carer_id, name, address) in enumerate(carers.get(case_id, []))
        )
        providers: tuple[ProviderDraft, ...] = ()
        if rng.random() < 0.4:
            name, kind, mode = rng.choice(_PROVIDERS)
            hours = float(rng.choice((2, 4, 6)))
            providers = (
                ProviderDraft(name, "", kind, mode, hours, hours if mode == "online" else 0),
            )
        register.save(
            case_id, version=record.version, entry=entry, parents=parents, providers=providers
        )
        if rng.random() < 0.6:
            duties.record(case_id, kind="parent_notification", on=on, detail="Letter", today=today)
        made += 1
    return made
