"""Realistic synthetic cases (Faker ``en_GB``) for demonstrations, tests and benchmarks.

Never real people. The cases spread over every tracking step, status,
closing outcome, reason, group, identification route and escalation
decision, with carers, addresses, timelines, tasks and referrals. Rows are
written in bulk so that 100,000 cases take a minute, not an hour. The people,
places and wording come from ``demo_people``.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from faker import Faker
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cme_desktop.models import (
    Address,
    Carer,
    Case,
    CaseGroup,
    Escalation,
    Family,
    Referral,
    Setting,
    StepProgress,
    Task,
    TimelineEntry,
)
from cme_desktop.models import vocabularies as vocab
from cme_desktop.models.records import surname_of
from cme_desktop.services.cases.demo_people import (
    ETHNICITIES,
    NOTES,
    Pools,
    random_address,
    referral_form,
)
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.reports.dfe_codes import propose_reason
from cme_desktop.services.rules.upn import make_upn
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

TASK_TITLES = (
    "Phone school to check roll",
    "Home visit to last known address",
    "Check with Health (GP registration)",
    "Chase admissions for school place",
    "Confirm police reference number",
    "Check with Housing for new address",
    "Letter to parents",
    "Review case",
    "Check attendance at new school",
)

T = TypeVar("T")


class _Deal(Generic[T]):
    """Every option once, in random order, before drawing at random as usual.

    Rare values (a referral to both police and social care, a child who left
    the country) would otherwise be missing from a small demo vault.
    """

    def __init__(self, rng: random.Random, options: Sequence[T]) -> None:
        self._first = rng.sample(list(options), k=len(options))

    def next(self, otherwise: Callable[[], T]) -> T:
        return self._first.pop() if self._first else otherwise()


@dataclass(frozen=True)
class _Deals:
    closed: _Deal[bool]
    step: _Deal[int]
    decision: _Deal[str]
    outcome: _Deal[str]
    reason: _Deal[str]
    route: _Deal[str]

    @classmethod
    def new(cls, rng: random.Random) -> _Deals:
        return cls(
            closed=_Deal(rng, (True, False)),
            step=_Deal(rng, range(1, len(vocab.TRACKING_STEPS) + 1)),
            decision=_Deal(rng, [t.key for t in vocab.ESCALATION_DECISIONS]),
            outcome=_Deal(rng, [t.key for t in vocab.CLOSING_OUTCOMES]),
            reason=_Deal(rng, [t.key for t in vocab.REASONS_MISSING]),
            route=_Deal(rng, [t.key for t in vocab.IDENTIFICATION_ROUTES]),
        )


#: Closing outcomes roughly as often as a county team sees them (most children go back
#: on roll; deaths are, thankfully, very rare).
_OUTCOME_SHARE: dict[str, float] = {
    "on_roll": 46,
    "alternative_provision": 6,
    "moved_out": 18,
    "ehe": 10,
    "left_country": 9,
    "over_age": 4,
    "not_cme": 4,
    "untraceable": 2.5,
    "deceased": 0.5,
}
_OUTCOMES = [t.key for t in vocab.CLOSING_OUTCOMES]
_OUTCOME_WEIGHTS = [_OUTCOME_SHARE.get(key, 1) for key in _OUTCOMES]


#: The setting listing the ids of the cases ``fill`` made, as ``[first, last]`` ranges: the
#: cases that are synthetic. ``fill`` refuses a vault with any case outside them.
DEMO_CASES_SETTING = "demo_case_ids"


@dataclass(frozen=True)
class DemoSummary:
    cases: int
    families: int
    first_id: int
    last_id: int


def fill(
    db: Database,
    *,
    cases: int,
    seed: int = 2026,
    today: date | None = None,
    batch: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Add ``cases`` synthetic cases to the vault, one transaction per ``batch``.

    ``progress(done, total)``, when given, is called before the first batch and after
    each one is committed.
    """
    today = today or date.today()
    rng = random.Random(seed)
    random.seed(seed)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    pools = Pools(fake)
    deals = _Deals.new(rng)
    families = 0
    with db.read() as session:
        real = real_case_count(session)
        first_id = int(session.scalar(select(func.coalesce(func.max(Case.id), 0))) or 0) + 1
        next_family = int(session.scalar(select(func.coalesce(func.max(Family.id), 0))) or 0) + 1
    if real:
        raise InvalidInput(
            f"This vault holds {real} case{'s' if real != 1 else ''} that "
            f"{'are' if real != 1 else 'is'} not synthetic, so no synthetic cases are added: "
            "they would be mixed with real records. Fill a new vault for trying things out "
            "instead (cme --db trial.cme init)."
        )
    case_id = first_id
    remaining = cases
    if progress is not None:
        progress(0, cases)
    while remaining > 0:
        n = min(batch, remaining)
        rows: dict[type, list[dict[str, Any]]] = {
            Family: [],
            Case: [],
            CaseGroup: [],
            Address: [],
            Carer: [],
            StepProgress: [],
            TimelineEntry: [],
            Task: [],
            Escalation: [],
            Referral: [],
        }
        made = 0
        while made < n:
            siblings = 1 if rng.random() < 0.85 else rng.choice((2, 2, 3))
            siblings = min(siblings, n - made)
            family_id = None
            if siblings > 1:
                family_id = next_family
                next_family += 1
                families += 1
                rows[Family].append({"id": family_id})
            surname = rng.choice(pools.last)
            address = random_address(rng, pools)
            carer_names = [f"{rng.choice(pools.first_f)} {surname}"]
            if rng.random() < 0.5:
                carer_names.append(f"{rng.choice(pools.first_m)} {surname}")
            for _ in range(siblings):
                _one_case(
                    rng,
                    deals,
                    pools,
                    rows,
                    case_id,
                    family_id,
                    surname,
                    address,
                    carer_names,
                    today,
                    db.actor,
                )
                case_id += 1
                made += 1
        with db.write() as session:
            for model, values in rows.items():
                if values:
                    _insert_rows(session, model, values)
            # In the same transaction as the cases: a fill cut short leaves none unmarked.
            _mark_demo_cases(session, case_id - n, case_id - 1)
            if remaining - n <= 0:
                audit.record(
                    session, db, action="demo_data", entity="vault", detail=f"cases={cases}"
                )
        remaining -= n
        if progress is not None:
            progress(cases - remaining, cases)
    return DemoSummary(cases=cases, families=families, first_id=first_id, last_id=case_id - 1)


def _insert_rows(session: Session, model: type, values: list[dict[str, Any]]) -> None:
    """INSERT ``values`` into ``model``'s table.

    SQLite takes them as one prepared statement run for each row, in the process. A
    PostgreSQL driver (pg8000) would send each row on its own, a round trip apiece over
    the network: there the rows go in one ``COPY`` (100,000 cases in a minute or two).
    """
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(model), values)
        return
    table: Any = model.__table__  # type: ignore[attr-defined]
    columns = [c for c in table.columns if any(c.name in row for row in values) or c.default]
    defaults = {c.name: _default_of(c) for c in columns if c.default is not None}
    text_rows = (
        ",".join(_csv_value(row.get(c.name, defaults.get(c.name))) for c in columns)
        for row in values
    )
    data = io.StringIO("\n".join(text_rows) + "\n")
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f'COPY "{table.name}" ({names}) FROM STDIN WITH (FORMAT csv)', stream=data)
    finally:
        cursor.close()


def _default_of(column: Any) -> Any:
    """The model's Python-side default of ``column`` (COPY knows only the server's)."""
    default = column.default
    if getattr(default, "is_callable", False):
        return default.arg(None)
    return getattr(default, "arg", None)


def _csv_value(value: Any) -> str:
    """One field of PostgreSQL's CSV: empty for NULL, anything else quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return '"' + str(value).replace('"', '""') + '"'


def real_case_count(session: Session) -> int:
    """How many cases of the vault ``fill`` did not make: the officer's real cases."""
    query = select(func.count()).select_from(Case)
    for first, last in _demo_ranges(session):
        query = query.where(~Case.id.between(first, last))
    return int(session.scalar(query) or 0)


def _demo_ranges(session: Session) -> list[list[int]]:
    setting = session.get(Setting, DEMO_CASES_SETTING)
    value = setting.value if setting is not None else None
    if not isinstance(value, list):
        return []
    return [
        [int(r[0]), int(r[1])]
        for r in value
        if isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) for x in r)
    ]


def _mark_demo_cases(session: Session, first: int, last: int) -> None:
    ranges = _demo_ranges(session)
    if ranges and ranges[-1][1] == first - 1:
        ranges[-1][1] = last
    else:
        ranges.append([first, last])
    session.merge(Setting(key=DEMO_CASES_SETTING, value=ranges))


def _one_case(
    rng: random.Random,
    deals: _Deals,
    pools: Pools,
    rows: dict[type, list[dict[str, Any]]],
    case_id: int,
    family_id: int | None,
    surname: str,
    address: str,
    carer_names: list[str],
    today: date,
    actor: str,
) -> None:
    gender = rng.choice(("Female", "Male"))
    first = rng.choice(pools.first_f if gender == "Female" else pools.first_m)
    full_name = f"{first} {surname}"
    age_days = rng.randint(4 * 365, 17 * 365)
    dob = today - timedelta(days=age_days)
    notified = today - timedelta(days=int(rng.expovariate(1 / 200)) % 1500)
    closed = deals.closed.next(lambda: rng.random() < 0.55)
    if closed and (today - notified).days <= 20:
        notified = today - timedelta(days=rng.randint(21, 120))
    step = deals.step.next(lambda: rng.randint(1, 9))
    escalate = rng.random()
    decision = deals.decision.next(
        lambda: (
            "refer_police"
            if escalate < 0.04
            else "refer_social_care"
            if escalate < 0.10
            else "refer_both"
            if escalate < 0.12
            else "no_escalation"
            if escalate < 0.2
            else ""
        )
    )
    whereabouts_unknown = (not closed) and rng.random() < 0.12
    school = rng.choice(pools.schools)
    last_attended = notified - timedelta(days=rng.randint(3, 60))
    upn = (
        make_upn(rng.randint(800, 938), rng.randint(10, 25), rng.randint(0, 999))
        if rng.random() < 0.7
        else ""
    )
    case: dict[str, Any] = {
        "id": case_id,
        "version": 1,
        "full_name": full_name,
        # Written as a bulk insert, past the model that sets it with the name.
        "surname_key": surname_of(full_name),
        "aka": f"{rng.choice(pools.first_f + pools.first_m)} {surname}"
        if rng.random() < 0.1
        else "",
        "date_of_birth": dob,
        "gender": gender,
        "ethnicity": rng.choice(ETHNICITIES),
        "upn": upn,
        "sen_disability": rng.choice(("", "", "", "SEN support", "EHC plan")),
        "child_in_care": rng.random() < 0.05,
        "family_id": family_id,
        "last_known_address": address,
        "school": school,
        "date_last_attended": last_attended,
        "new_school": "",
        "new_school_start": None,
        "identification_route": deals.route.next(
            lambda: rng.choice(("notification",) * 4 + ("pupil_database",))
        ),
        "identified_by": rng.choice(pools.referrers),
        "referring_agency": rng.choice([t.key for t in vocab.PARTNER_AGENCIES]),
        "reason_missing": deals.reason.next(
            lambda: rng.choice([t.key for t in vocab.REASONS_MISSING])
        ),
        "notified_on": notified,
        "status": "closed" if closed else "open",
        "opened_on": notified,
        "closed_on": None,
        "closing_outcome": "",
        "closing_note": "",
        "current_step": step,
        "whereabouts_unknown": whereabouts_unknown,
        "last_visit_on": None,
        "next_task_due": None,
        "escalated_police": decision in ("refer_police", "refer_both"),
        "escalated_social_care": decision in ("refer_social_care", "refer_both"),
    }
    if closed:
        case["closed_on"] = min(today, notified + timedelta(days=rng.randint(5, 240)))
        case["closing_outcome"] = deals.outcome.next(
            lambda: rng.choices(_OUTCOMES, weights=_OUTCOME_WEIGHTS)[0]
        )
        if case["closing_outcome"] == "on_roll":
            case["new_school"] = rng.choice(pools.schools)
            case["new_school_start"] = case["closed_on"]
    group_keys = rng.sample([t.key for t in vocab.ALL_GROUPS], k=rng.choice((0, 0, 1, 1, 2)))
    for key in group_keys:
        rows[CaseGroup].append({"case_id": case_id, "group_key": key})
    # The DfE return's fields, drawn from their own generator so the rest stays as it was.
    dfe = random.Random(f"dfe {case_id} {full_name}")
    case["sex"] = gender.lower()
    case["dfe_reason"] = propose_reason(
        case["reason_missing"], group_keys, whereabouts_unknown=whereabouts_unknown
    )
    still_checking = case["closing_outcome"] == "not_cme" or (not closed and dfe.random() < 0.15)
    case["cme_confirmed_on"] = (
        None
        if still_checking
        else min(case["closed_on"] or today, notified + timedelta(days=dfe.randint(0, 20)))
    )
    rows[Address].append(
        {
            "case_id": case_id,
            "address": address,
            "is_last_known": True,
            "moved_in": None,
            "moved_out": None,
            "note": "",
        }
    )
    if rng.random() < 0.2:
        rows[Address].append(
            {
                "case_id": case_id,
                "address": random_address(rng, pools),
                "is_last_known": False,
                "moved_in": None,
                "moved_out": notified - timedelta(days=rng.randint(30, 900)),
                "note": "Previous address",
            }
        )
    phone = rng.choice(pools.phones)
    for i, name in enumerate(carer_names):
        rows[Carer].append(
            {
                "case_id": case_id,
                "name": name,
                "relationship_to_child": "Mother" if i == 0 else "Father",
                "telephone": phone if i == 0 else rng.choice(pools.phones),
                "email": "",
                "address": "",
                "note": "",
            }
        )
    day = notified
    for key in vocab.TRACKING_STEP_KEYS[: step - 1]:
        day = min(today, day + timedelta(days=rng.randint(0, 6)))
        rows[StepProgress].append(
            {
                "case_id": case_id,
                "step": key,
                "done_on": day,
                "done_by": actor or "CME Officer",
                "note": "",
            }
        )
        if key == "home_visit":
            case["last_visit_on"] = day
            rows[TimelineEntry].append(
                {
                    "case_id": case_id,
                    "kind": "visit",
                    "occurred_at": datetime.combine(day, time(10, 30)),
                    "summary": "Visited last known address.",
                    "outcome": rng.choice([t.key for t in vocab.VISIT_OUTCOMES]),
                    "who_seen": carer_names[0] if rng.random() < 0.5 else "",
                    "next_step": "",
                    "author": actor or "CME Officer",
                }
            )
    for _ in range(rng.randint(0, 3)):
        when = notified + timedelta(days=rng.randint(0, max(1, (today - notified).days)))
        rows[TimelineEntry].append(
            {
                "case_id": case_id,
                "kind": rng.choice(("note", "phone", "contact", "email")),
                "occurred_at": datetime.combine(min(when, today), time(rng.randint(8, 17), 0)),
                "summary": rng.choice(NOTES),
                "outcome": "",
                "who_seen": "",
                "next_step": "",
                "author": actor or "CME Officer",
            }
        )
    if not closed:
        dues = []
        for _ in range(rng.randint(0, 2)):
            due = today + timedelta(days=rng.randint(-20, 30))
            dues.append(due)
            rows[Task].append(
                {
                    "case_id": case_id,
                    "title": rng.choice(TASK_TITLES),
                    "due_on": due,
                    "remind_on": None,
                    "done_on": None,
                    "origin": "demo",
                }
            )
        case["next_task_due"] = min(dues) if dues else None
    if decision:
        answers = {
            f"police.{t.key}": decision in ("refer_police", "refer_both") and i == 0
            for i, t in enumerate(vocab.POLICE_QUESTIONS)
        }
        answers.update(
            {
                f"social_care.{t.key}": decision in ("refer_social_care", "refer_both") and i == 2
                for i, t in enumerate(vocab.SOCIAL_CARE_QUESTIONS)
            }
        )
        rows[Escalation].append(
            {
                "case_id": case_id,
                "decided_at": datetime.combine(min(today, notified + timedelta(days=2)), time(9)),
                "decided_by": actor or "CME Officer",
                "answers": answers,
                "recommendation": decision,
                "decision": decision,
                "rationale": "",
            }
        )
    if rng.random() < 0.3:
        rows[Referral].append(
            {
                "case_id": case_id,
                "received_on": notified,
                "source": "manual",
                "source_name": "",
                "attachment_id": None,
                "data": referral_form(rng, case, pools, " and ".join(carer_names), phone, notified),
            }
        )
    rows[Case].append(case)
