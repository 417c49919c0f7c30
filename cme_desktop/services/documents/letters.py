"""The standard letters: a template from ``resources/templates``, filled from a case, saved.

The officer picks one of the letters of ``resources/templates/README.md`` (to the
parents after a home visit, to a school, to another authority, and the register's two
to parents); it is filled from the case and the settings (``letter_text``), the officer reads and
edits the text, and ``LetterService.save`` writes it as a PDF or a Word
document — protected with a password unless the officer confirmed a plain file
(``protection.outputs``), as every file naming a child — and records "Letter
sent: …" on the case's timeline in the same step.

What the record does not hold (a school's postal address, another authority's
name) is written as a blank in square brackets, ``[school address]``, for the
officer to fill in; ``blanks_in`` finds those left, so the window can ask before
a letter goes out with one.

The register's letters (s.436D, s.437(1)) go to the parents the register holds, not
to the case's carers: one letter per home address (``recipients_of``), the officer
writing each in turn. Only when the register holds no parent do they fall back to the
carers, and ``Recipients.note`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cme_desktop.models import RegisterEntry, RegisterEvent
from cme_desktop.resource_files import read_text
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import CaseDetail, case_reference
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.documents.authority import AuthorityDetails
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.protection.outputs import ProtectedFiles, SavedFile, format_of
from cme_desktop.services.register.duties import SAO_STEPS, add_event
from cme_desktop.services.register.entry import ParentDraft, RegisterService
from cme_desktop.services.rules.dates import MONTH_NAMES
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = [
    "REPLY_DAYS",
    "TEMPLATES",
    "Addressee",
    "LetterService",
    "LetterTemplate",
    "Recipients",
    "blanks_in",
    "letter_date",
    "letter_fields",
    "letter_text",
    "recipients_of",
    "template_named",
]

#: How long a letter gives for a reply.
REPLY_DAYS = 14
#: How long a register letter gives: a notice under s.437(1) must give at least 15 days
#: (s.437(2)), and the information a parent is asked for under s.436D is due in 15.
REGISTER_REPLY_DAYS = 15
#: A letter longer than this was not typed by anyone (a pasted file): refused.
MAX_LETTER_CHARS = 40_000
_BLANK = re.compile(r"\[[^\[\]\n]{1,60}\]")


@dataclass(frozen=True)
class LetterTemplate:
    """One standard letter: its file's name in ``resources/templates``, and what to call it."""

    name: str
    title: str
    to: str

    def text(self) -> str:
        """The template as shipped, placeholders and all."""
        return read_text(f"templates/{self.name}.txt")

    @property
    def to_register_parents(self) -> bool:
        """True for the register's letters: to the parents the register holds (s.436C)."""
        return self.name.startswith("register-")


@dataclass(frozen=True)
class Addressee:
    """Whom one letter is to: one or more names at one address."""

    names: tuple[str, ...]
    address: str

    def label(self) -> str:
        """How the officer picks it: the names, then the address's first line."""
        first = _lines(self.address).split("\n")[0] if self.address.strip() else ""
        who = _names(list(self.names)) or "Parent or Carer"
        return f"{who} — {first}" if first else who


@dataclass(frozen=True)
class Recipients:
    """The letters a template asks for: one per addressee; ``note`` says why, when the
    letter does not go where its template says (the carers in place of the register's
    parents)."""

    addressees: tuple[Addressee, ...]
    note: str = ""


#: The letters, in the order the officer sees them (README.md in ``resources/templates``).
TEMPLATES: tuple[LetterTemplate, ...] = (
    LetterTemplate(
        "parents-after-home-visit",
        "Parents after a home visit",
        "the parents or carers, at the last known address",
    ),
    LetterTemplate("school-enquiry", "School enquiry", "the headteacher of a school"),
    LetterTemplate(
        "other-authority-enquiry",
        "Other authority enquiry",
        "the CME officer of another local authority",
    ),
    # The register of children not in school (``services.register.duties.SAO_STEPS``).
    LetterTemplate(
        "register-information-request",
        "Register: request for information",
        "the parents of a child on the register of children not in school",
    ),
    LetterTemplate(
        "register-notice-before-sao",
        "Register: notice before a school attendance order",
        "the parents, when information is not given or a visit is refused",
    ),
)


def template_named(name: str) -> LetterTemplate:
    """The template called ``name`` (``school-enquiry``); ``InvalidInput`` naming the others."""
    for template in TEMPLATES:
        if template.name == name:
            return template
    known = ", ".join(t.name for t in TEMPLATES)
    raise InvalidInput(f"There is no letter called “{name}”. The letters are: {known}.")


def letter_date(day: date) -> str:
    """A date the way a letter writes it, in full: ``5 December 2026``."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _lines(address: str) -> str:
    """An address one line to a line: "1 High St, Leicester" is two lines, blanks dropped."""
    parts = [p.strip() for p in address.splitlines() if p.strip()]
    if len(parts) == 1 and "," in parts[0]:
        parts = [p.strip() for p in parts[0].split(",") if p.strip()]
    return "\n".join(parts)


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _last_visit(case: CaseDetail) -> date | None:
    visits = [
        t.occurred_at.date() for t in case.timeline if t.kind == "visit" and t.deleted_at is None
    ]
    return max(visits) if visits else case.last_visit_on


def _carers(case: CaseDetail) -> Addressee:
    names = tuple(c.name.strip() for c in case.carers if c.name.strip())
    return Addressee(names, case.draft.last_known_address)


def _address_key(address: str) -> str:
    return " ".join(_lines(address).casefold().split())


def recipients_of(
    template: LetterTemplate, case: CaseDetail, parents: Sequence[ParentDraft]
) -> Recipients:
    """Whom ``template`` goes to for ``case``: the register's letters to the register's
    ``parents``, one letter per home address (parents living together share one, as the
    templates are written to all of them); a parent with no home address recorded has a
    letter of their own. With no parent on the register, or for any other letter, the
    case's carers at the child's last known address, and for a register letter a note
    saying so."""
    if not template.to_register_parents:
        return Recipients((_carers(case),))
    groups: dict[str, list[ParentDraft]] = {}
    for number, parent in enumerate(parents):
        key = _address_key(parent.home_address) or f"\0{number}"
        groups.setdefault(key, []).append(parent)
    if groups:
        return Recipients(
            tuple(
                Addressee(tuple(p.name.strip() for p in group), group[0].home_address)
                for group in groups.values()
            )
        )
    carers = _carers(case)
    if carers.names:
        note = (
            "The register holds no parent for this child, so the letter is addressed to the "
            "case's carers at the child's home address. Add the parents on the Register tab "
            "(s.436C) to write to each of them."
        )
    else:
        note = (
            "The register holds no parent for this child and the case no carer, so the "
            "letter is addressed to “Parent or Carer” at the child's home address. Add the "
            "parents on the Register tab (s.436C) to write to each of them."
        )
    return Recipients((carers,), note)


def letter_fields(
    case: CaseDetail,
    *,
    authority: AuthorityDetails,
    today: date,
    to: Addressee | None = None,
) -> dict[str, str]:
    """Every placeholder of every template, filled from ``case`` and ``authority``;
    ``to`` is whom the letter is addressed to (the case's carers when not given).

    A value the record does not hold is a blank in square brackets for the officer.
    """
    d = case.draft
    carers = [c.name.strip() for c in case.carers if c.name.strip()]
    to = to or _carers(case)
    visit = _last_visit(case)
    return {
        "addressee_names": _names(list(to.names)) or "Parent or Carer",
        "addressee_address": _lines(to.address) or "[home address]",
        "today": letter_date(today),
        "our_reference": case_reference(case.id),
        "authority_name": authority.name or "[council name]",
        "authority_address": _lines(authority.address) or "[council address]",
        "officer_name": authority.officer_name or "[your name]",
        "officer_title": authority.officer_title or "Children Missing Education Officer",
        "officer_phone": authority.phone or "[telephone number]",
        "officer_email": authority.email or "[email address]",
        "child_name": d.full_name,
        "child_date_of_birth": letter_date(d.date_of_birth) if d.date_of_birth else "not known",
        "parent_names": _names(carers) or "Parent or Carer",
        "last_known_address": _lines(d.last_known_address) or "[last known address]",
        "visit_date": letter_date(visit) if visit else "[date of the visit]",
        "reply_by": letter_date(today + timedelta(days=REPLY_DAYS)),
        "register_reply_by": letter_date(today + timedelta(days=REGISTER_REPLY_DAYS)),
        "school_name": d.school.strip() or "[school name]",
        "school_address": "[school address]",
        "other_authority_name": "[the other local authority]",
        "other_authority_address": "[the other authority's address]",
        "new_address": "[the address where the family may now live]",
    }


def letter_text(
    template: LetterTemplate,
    case: CaseDetail,
    *,
    authority: AuthorityDetails,
    today: date,
    to: Addressee | None = None,
) -> str:
    """The letter ``template`` filled in for ``case`` (to ``to``), for the officer to read
    and edit."""
    fields = letter_fields(case, authority=authority, today=today, to=to)
    return template.text().format_map(fields).strip() + "\n"


def blanks_in(text: str) -> list[str]:
    """The blanks still to fill in (``[school address]``), each once, in order."""
    return list(dict.fromkeys(_BLANK.findall(text)))


class LetterService:
    """Saves a letter for a case: protected or confirmed plain, on the case's timeline."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def recipients(self, case_id: int, template: LetterTemplate) -> Recipients:
        """Whom ``template`` goes to for ``case_id`` (``recipients_of``): one letter each.
        A register letter reads the register's parents, and that read is audited."""
        detail = CaseService(self.db).get_for_document(case_id)
        return self._recipients(detail, template)

    def _recipients(self, detail: CaseDetail, template: LetterTemplate) -> Recipients:
        parents: tuple[ParentDraft, ...] = ()
        if template.to_register_parents:
            record = RegisterService(self.db).get(detail.id)
            parents = record.parents if record is not None else ()
        return recipients_of(template, detail, parents)

    def draft(
        self,
        case_id: int,
        template: LetterTemplate,
        *,
        authority: AuthorityDetails,
        today: date | None = None,
        to: Addressee | None = None,
    ) -> str:
        """The text of ``template`` filled in for ``case_id``, to ``to`` (one of its
        ``recipients``; the first of them when not given)."""
        detail = CaseService(self.db).get_for_document(case_id)
        if to is None:
            to = self._recipients(detail, template).addressees[0]
        return letter_text(
            template, detail, authority=authority, today=today or date.today(), to=to
        )

    def render(
        self,
        case_id: int,
        template: LetterTemplate,
        text: str,
        *,
        authority: AuthorityDetails,
        fmt: str = "pdf",
    ) -> bytes:
        """The letter ``text`` as an unencrypted document (``pdf`` or ``docx``), in memory,
        to print or to protect; ``InvalidInput`` for an empty or far too long letter."""
        from cme_desktop.services.documents.letter_files import render_docx, render_pdf

        if not text.strip():
            raise InvalidInput("The letter is empty: write it before saving.", field="text")
        if len(text) > MAX_LETTER_CHARS:
            raise InvalidInput(
                f"The letter is longer than {MAX_LETTER_CHARS:,} characters, far longer than "
                "a letter: shorten it.",
                field="text",
            )
        # A case that is not there, or was erased, is refused first.
        CaseService(self.db).get_for_document(case_id)
        title = f"{template.title} ({case_reference(case_id)})"
        make = render_pdf if fmt == "pdf" else render_docx
        return make(text, authority=authority, title=title)

    def save(
        self,
        case_id: int,
        template: LetterTemplate,
        text: str,
        target: Path,
        *,
        authority: AuthorityDetails,
        password: str | None,
        to: Addressee | None = None,
    ) -> SavedFile:
        """Write the letter ``text`` to ``target`` (.pdf or .docx) and note it on the timeline.

        ``password=None`` means the officer confirmed an unprotected file
        (``ProtectedFiles.save`` audits that with the file). The timeline entry
        "Letter sent: <title>" (with whom it is to, when ``to`` is given) and the audit row
        are written once the file is.
        """
        fmt = format_of(target, allowed=("pdf", "docx"))
        document = self.render(case_id, template, text, authority=authority, fmt=fmt)
        saved = ProtectedFiles(self.db).save(
            target,
            document,
            fmt=fmt,
            password=password,
            what="letter",
            detail=f"case={case_id};template={template.name}",
        )
        how = "protected with a password" if saved.protected else "unprotected"
        self._sent(case_id, template, f"{saved.path.name}, {how}", fmt, saved.protected, to)
        return saved

    def printed(self, case_id: int, template: LetterTemplate, to: Addressee | None = None) -> None:
        """Note on the timeline (and audit) that the letter was printed."""
        self._sent(case_id, template, "printed", "printer", None, to)

    def _sent(
        self,
        case_id: int,
        template: LetterTemplate,
        how: str,
        fmt: str,
        protected: bool | None,
        to: Addressee | None,
    ) -> None:
        whom = f" to {_names(list(to.names))}" if to is not None and to.names else ""
        detail = f"template={template.name};format={fmt}"
        if protected is not None:
            detail += f";protected={'yes' if protected else 'no'}"
        with self.db.write() as session:
            history.record(
                session,
                case_id=case_id,
                summary=f"Letter sent: {template.title}{whom} ({how}).",
                author=self.db.actor,
            )
            _register_step(session, self.db, case_id, template, f"Letter sent{whom} ({how}).")
            audit.record(
                session,
                self.db,
                action="letter_saved" if fmt != "printer" else "letter_printed",
                entity="case",
                entity_id=case_id,
                detail=detail,
            )


#: The register's events a letter stands for (``duties.SAO_STEPS``): sending it records
#: the step, with the deadline it starts as a task.
REGISTER_EVENTS: dict[str, str] = {letter: kind for kind, letter in SAO_STEPS if letter}


def _register_step(
    session: Session, db: Database, case_id: int, template: LetterTemplate, detail: str
) -> None:
    """Record the register's step ``template`` stands for, on a child on the register now,
    once a day (a letter to each parent's home is one step)."""
    kind = REGISTER_EVENTS.get(template.name)
    if kind is None:
        return
    entry = session.get(RegisterEntry, case_id)
    if entry is None or entry.status != "on":
        return
    today = local_today()
    already = session.scalar(
        select(RegisterEvent.id)
        .where(
            RegisterEvent.case_id == case_id,
            RegisterEvent.kind == kind,
            RegisterEvent.on == today,
        )
        .limit(1)
    )
    if already is None:
        add_event(session, db, case_id=case_id, kind=kind, on=today, detail=detail)
