"""Settings kept inside the vault: the officer, the authority, locking and term dates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from cme_desktop.models import Setting
from cme_desktop.services.documents.styles import DEFAULT as DEFAULT_AUTHORITY
from cme_desktop.services.documents.styles import AuthorityDetails
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database


@dataclass(frozen=True)
class TermDates:
    name: str
    starts: date
    ends: date


@dataclass(frozen=True)
class Settings:
    """What the officer sets once; used on every document and by the lock."""

    officer_name: str = ""
    officer_title: str = "Children Missing Education Officer"
    authority_name: str = ""
    team_name: str = "Pupil Services"
    contact_phone: str = ""
    contact_email: str = ""
    contact_address: str = ""
    idle_lock_minutes: int = 10
    terms: tuple[TermDates, ...] = ()
    census_dates: tuple[date, ...] = ()
    backup_keep_monthly: int = 24
    backup_keep_quarterly_after: bool = True
    backup_folder: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.officer_name and self.authority_name)


def _dump(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v) for k, v in value.items()}
    return value


def _load(name: str, raw: Any, default: Any) -> Any:
    if name == "terms":
        return tuple(
            TermDates(
                str(t["name"]), date.fromisoformat(t["starts"]), date.fromisoformat(t["ends"])
            )
            for t in raw
        )
    if name == "census_dates":
        return tuple(date.fromisoformat(d) for d in raw)
    if isinstance(default, bool):
        return bool(raw)
    if isinstance(default, int):
        return int(raw)
    return str(raw)


class SettingsService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def load(self) -> Settings:
        """The saved settings (defaults for anything never set)."""
        defaults = Settings()
        values: dict[str, Any] = {}
        with self.db.read() as session:
            stored = {s.key: s.value for s in session.scalars(select(Setting))}
        for f in fields(Settings):
            if f.name in stored and stored[f.name] is not None:
                try:
                    values[f.name] = _load(f.name, stored[f.name], getattr(defaults, f.name))
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged value falls back to the default
        return replace(defaults, **values)

    def save(self, settings: Settings) -> None:
        """Save all settings in one change."""
        if not 1 <= settings.idle_lock_minutes <= 240:
            raise InvalidInput(
                "The idle lock time must be 1 to 240 minutes.", field="idle_lock_minutes"
            )
        for term in settings.terms:
            if term.ends < term.starts:
                raise InvalidInput(f"Term '{term.name}' ends before it starts.", field="terms")
        if settings.backup_keep_monthly < 1:
            raise InvalidInput("Keep at least one monthly backup.", field="backup_keep_monthly")
        data = asdict(settings)
        with self.db.write() as session:
            for key, value in data.items():
                session.merge(Setting(key=key, value=_dump(value)))
            audit.record(session, self.db, action="settings_saved", entity="settings")
        if settings.officer_name:
            self.db.actor = settings.officer_name


def authority_of(settings: Settings) -> AuthorityDetails:
    """Who documents come from: the authority and its named officer (policy 8.2)."""
    if not settings.authority_name:
        return DEFAULT_AUTHORITY
    return AuthorityDetails(
        name=settings.authority_name,
        officer_name=settings.officer_name,
        officer_title=settings.officer_title,
        phone=settings.contact_phone,
        email=settings.contact_email,
        address=settings.contact_address,
    )
