"""Settings kept inside the vault: the officer, the authority, locking and term dates."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from cme_desktop.models import Setting
from cme_desktop.services.documents.authority import DEFAULT as DEFAULT_AUTHORITY
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.documents.privacy import check_notice, notice_text
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
    #: The DfE's three-digit number for the authority (e.g. ``855``), shown on forms.
    la_number: str = ""
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
    #: The retention rule (``cases.retention``): a closed case is due for review this many
    #: years after closure, or at the child's birthday of this age if later (0: not used).
    retention_years_after_closure: int = 7
    retention_until_age: int = 25
    #: The privacy notice printed on exports; empty: ``documents.privacy.DEFAULT_NOTICE``.
    privacy_notice: str = ""
    #: A vault made by the first run whose authority page was not answered yet (the officer
    #: quit first): the page is asked again after the next unlock.
    authority_pending: bool = False

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
        if settings.la_number:
            check_la_number(settings.la_number)
        if settings.backup_keep_monthly < 1:
            raise InvalidInput("Keep at least one monthly backup.", field="backup_keep_monthly")
        check_notice(settings.privacy_notice)
        if not 1 <= settings.retention_years_after_closure <= 50:
            raise InvalidInput(
                "Keep closed cases for 1 to 50 years after closure.",
                field="retention_years_after_closure",
            )
        if settings.retention_until_age and not 18 <= settings.retention_until_age <= 30:
            raise InvalidInput(
                "The age to keep a record until must be 18 to 30 (or 0 for none).",
                field="retention_until_age",
            )
        data = asdict(settings)
        with self.db.write() as session:
            for key, value in data.items():
                session.merge(Setting(key=key, value=_dump(value)))
            audit.record(session, self.db, action="settings_saved", entity="settings")
        if settings.officer_name:
            self.db.actor = settings.officer_name


_LA_NUMBER = re.compile(r"[0-9]{3}")
# Something, an @, something with a dot: enough to catch a name typed in the wrong box.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_la_number(text: str) -> str:
    """The LA number as stored (three digits, e.g. ``855``); ``InvalidInput`` otherwise."""
    number = text.strip()
    if not _LA_NUMBER.fullmatch(number):
        raise InvalidInput(
            f"An LA number has 3 digits (for example 855); “{number}” is not one. "
            "It is the first three digits of the authority's DfE establishment numbers.",
            field="la_number",
        )
    return number


@dataclass(frozen=True)
class AuthorityAnswers:
    """What the first run asks: the authority, and how to reach its named officer."""

    authority_name: str
    la_number: str
    officer_name: str
    officer_title: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_address: str = ""


def with_authority(settings: Settings, answers: AuthorityAnswers) -> Settings:
    """``settings`` with the authority and officer details, checked; ``InvalidInput`` names
    the first answer that cannot go on a form (its ``field`` is the setting's name)."""
    name = " ".join(answers.authority_name.split())
    if not name:
        raise InvalidInput(
            "Enter the authority's name: it is printed on every form and letter.",
            field="authority_name",
        )
    if name.casefold() == DEFAULT_AUTHORITY.name.casefold():
        raise InvalidInput(
            "Enter the authority's own name (for example Leicestershire County Council), "
            "not “Local Authority”.",
            field="authority_name",
        )
    la_number = check_la_number(answers.la_number)
    officer = " ".join(answers.officer_name.split())
    if not officer:
        raise InvalidInput(
            "Enter your name: forms and letters say who to contact.", field="officer_name"
        )
    phone, email = answers.contact_phone.strip(), answers.contact_email.strip()
    if not phone and not email:
        raise InvalidInput(
            "Enter a telephone number or an email address: letters say how to reach you.",
            field="contact_phone",
        )
    if email and not _EMAIL.fullmatch(email):
        raise InvalidInput(
            f"“{email}” is not an email address (it needs an @ and a domain, "
            "e.g. name@council.gov.uk).",
            field="contact_email",
        )
    return replace(
        settings,
        authority_name=name,
        la_number=la_number,
        officer_name=officer,
        officer_title=answers.officer_title.strip() or settings.officer_title,
        contact_phone=phone,
        contact_email=email,
        contact_address=answers.contact_address.strip(),
        authority_pending=False,
    )


def authority_of(settings: Settings) -> AuthorityDetails:
    """Who documents come from: the authority and its named officer (policy 8.2)."""
    notice = notice_text(settings.privacy_notice, settings.authority_name)
    if not settings.authority_name:
        return replace(DEFAULT_AUTHORITY, privacy_notice=notice)
    return AuthorityDetails(
        name=settings.authority_name,
        officer_name=settings.officer_name,
        officer_title=settings.officer_title,
        phone=settings.contact_phone,
        email=settings.contact_email,
        address=settings.contact_address,
        la_number=settings.la_number,
        privacy_notice=notice,
    )
