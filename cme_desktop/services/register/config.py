"""What the register leaves to regulations, as the authority sets it (Settings > Register).

Commencement and the regulations under s.436B–436G are still to come, so three lists
are kept in the vault, with defaults, rather than in the code:

- ``arrangements``: the arrangements under which a registered pupil educated
  elsewhere is on the register (s.436B(1)(c): flexi-schooling, off-site, section 19
  provision, education otherwise than at school — to be prescribed);
- ``optional_fields``: the optional information the Secretary of State may prescribe
  (s.436C(3)), each shown on the record marked "optional";
- ``deadlines``: each deadline the register sets as a task on the case — what starts
  it (an event), how many days, and whether the number is the Act's or a placeholder
  awaiting regulations (``DEFAULT_DEADLINES`` says which).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import Setting
from cme_desktop.models import register_terms as terms
from cme_desktop.models.vocabularies import Term
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import UnitOfWork

__all__ = [
    "BASES",
    "DEFAULT",
    "DEFAULT_DEADLINES",
    "SETTING_KEY",
    "Deadline",
    "RegisterConfig",
    "RegisterSettings",
    "check",
    "read_config",
]

SETTING_KEY: Final = "register_config"
#: Where a deadline's number of days comes from.
BASES: Final[dict[str, str]] = {
    "act": "Set by the Act",
    "placeholder": "Placeholder awaiting regulations",
    "local": "Local practice",
}
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_DAYS: Final = 366
MAX_ENTRIES: Final = 40


@dataclass(frozen=True)
class Deadline:
    """A task the register sets on a case ``days`` after an event of kind ``after``."""

    key: str
    title: str
    after: str
    days: int
    basis: str
    source: str = ""


#: The deadlines by default. The Act's numbers are those of its text as we read it
#: (docs/cnis.md lists them to check once commenced); the others wait for regulations.
DEFAULT_DEADLINES: tuple[Deadline, ...] = (
    Deadline(
        "home_visit",
        "Offer a home visit (registered 15 days ago)",
        "joined",
        15,
        "placeholder",
        "Awaiting regulations and guidance",
    ),
    Deadline(
        "parent_information",
        "Parent's information due (asked 15 days ago)",
        "information_requested",
        15,
        "act",
        "s.436D: information asked of a parent",
    ),
    Deadline(
        "provider_information",
        "Provider's information due (asked 15 days ago)",
        "provider_requested",
        15,
        "act",
        "s.436E: information asked of a provider",
    ),
    Deadline(
        "visit_arranged",
        "Home visit to be made (requested 10 days ago)",
        "visit_requested",
        10,
        "local",
        "The team's own practice",
    ),
    Deadline(
        "consider_sao",
        "Consider a notice before a school attendance order",
        "information_not_given",
        5,
        "local",
        "s.437(1) as amended: information not given",
    ),
    Deadline(
        "consider_sao_after_refusal",
        "Consider a notice before a school attendance order (visit refused)",
        "visit_refused",
        5,
        "local",
        "s.437(1) as amended: a home visit refused",
    ),
    Deadline(
        "sao_answer",
        "Parent's answer to the notice due (at least 15 days after it is served)",
        "sao_notice",
        15,
        "act",
        "s.437(2): not less than 15 days",
    ),
    Deadline(
        "review",
        "Review the child's eligibility and the register entry",
        "joined",
        365,
        "placeholder",
        "Awaiting regulations and guidance",
    ),
)


@dataclass(frozen=True)
class RegisterConfig:
    """The authority's register settings (the defaults for anything never set)."""

    arrangements: tuple[Term, ...] = terms.ARRANGEMENTS
    optional_fields: tuple[Term, ...] = terms.OPTIONAL_FIELDS
    deadlines: tuple[Deadline, ...] = DEFAULT_DEADLINES

    def arrangement_label(self, key: str) -> str:
        """The label of the arrangement ``key`` (the key itself if since removed)."""
        return next((t.label for t in self.arrangements if t.key == key), key)


DEFAULT: Final = RegisterConfig()
#: The event kinds a deadline may follow.
_TRIGGERS: Final = frozenset(t.key for t in terms.EVENT_KINDS)


def _terms(raw: Any) -> tuple[Term, ...]:
    return tuple(Term(str(t["key"]), str(t["label"])) for t in raw)


def _from_stored(raw: Any) -> RegisterConfig:
    config = DEFAULT
    if not isinstance(raw, dict):
        return config
    try:
        if "arrangements" in raw:
            config = replace(config, arrangements=_terms(raw["arrangements"]))
        if "optional_fields" in raw:
            config = replace(config, optional_fields=_terms(raw["optional_fields"]))
        if "deadlines" in raw:
            deadlines = tuple(
                Deadline(
                    str(d["key"]),
                    str(d["title"]),
                    str(d["after"]),
                    int(d["days"]),
                    str(d["basis"]),
                    str(d.get("source", "")),
                )
                for d in raw["deadlines"]
            )
            config = replace(config, deadlines=deadlines)
        return check(config)
    except (KeyError, TypeError, ValueError, InvalidInput):
        # A damaged value falls back to the defaults, as the other settings do.
        return DEFAULT


def _to_stored(config: RegisterConfig) -> dict[str, Any]:
    return {
        "arrangements": [{"key": t.key, "label": t.label} for t in config.arrangements],
        "optional_fields": [{"key": t.key, "label": t.label} for t in config.optional_fields],
        "deadlines": [
            {
                "key": d.key,
                "title": d.title,
                "after": d.after,
                "days": d.days,
                "basis": d.basis,
                "source": d.source,
            }
            for d in config.deadlines
        ],
    }


def _check_terms(items: tuple[Term, ...], what: str, field: str) -> tuple[Term, ...]:
    if len(items) > MAX_ENTRIES:
        raise InvalidInput(f"At most {MAX_ENTRIES} {what}.", field=field)
    seen: set[str] = set()
    out = []
    for item in items:
        label = item.label.strip()
        if not _KEY.fullmatch(item.key):
            raise InvalidInput(
                f"The key “{item.key[:40]}” of {what} should be lower-case letters, digits "
                "and _ , starting with a letter.",
                field=field,
            )
        if item.key in seen:
            raise InvalidInput(f"The key “{item.key}” appears twice in {what}.", field=field)
        if not label or len(label) > 120:
            raise InvalidInput(
                f"Each of {what} needs a label (at most 120 characters).", field=field
            )
        seen.add(item.key)
        out.append(Term(item.key, label))
    return tuple(out)


def check(config: RegisterConfig) -> RegisterConfig:
    """``config`` tidied, or ``InvalidInput`` naming the first problem."""
    arrangements = _check_terms(config.arrangements, "the arrangements", "arrangements")
    fields = _check_terms(config.optional_fields, "the optional fields", "optional_fields")
    if len(config.deadlines) > MAX_ENTRIES:
        raise InvalidInput(f"At most {MAX_ENTRIES} deadlines.", field="deadlines")
    keys: set[str] = set()
    deadlines = []
    for d in config.deadlines:
        title = d.title.strip()
        if not _KEY.fullmatch(d.key) or d.key in keys:
            raise InvalidInput(f"The deadline key “{d.key[:40]}” is not usable.", field="deadlines")
        if not title or len(title) > 300:
            raise InvalidInput(
                "Each deadline needs a title (at most 300 characters).", field="deadlines"
            )
        if d.after not in _TRIGGERS:
            raise InvalidInput(f"The deadline “{title}” follows no known event.", field="deadlines")
        if not 1 <= d.days <= MAX_DAYS:
            raise InvalidInput(
                f"The deadline “{title}” should be 1 to {MAX_DAYS} days.", field="deadlines"
            )
        if d.basis not in BASES:
            raise InvalidInput(f"Say where “{title}” comes from.", field="deadlines")
        keys.add(d.key)
        deadlines.append(replace(d, title=title, source=d.source.strip()[:200]))
    return RegisterConfig(arrangements, fields, tuple(deadlines))


def read_config(session: Session) -> RegisterConfig:
    """The register settings in force, inside ``session`` (defaults if never set)."""
    raw = session.scalar(select(Setting.value).where(Setting.key == SETTING_KEY))
    return _from_stored(raw)


class RegisterSettings:
    """Read and save the register settings (Settings > Register)."""

    def __init__(self, db: UnitOfWork) -> None:
        self.db = db

    def load(self) -> RegisterConfig:
        """The settings in force."""
        with self.db.read() as session:
            return read_config(session)

    def save(self, config: RegisterConfig) -> RegisterConfig:
        """Check and keep ``config``; ``InvalidInput`` names the first problem, nothing saved."""
        config = check(config)
        with self.db.write() as session:
            session.merge(Setting(key=SETTING_KEY, value=_to_stored(config)))
            audit.record(
                session,
                self.db,
                action="register_settings_saved",
                entity="settings",
                detail=f"arrangements={len(config.arrangements)} "
                f"fields={len(config.optional_fields)} deadlines={len(config.deadlines)}",
            )
        return config
