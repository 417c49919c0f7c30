"""A register entry exchanged between authorities: ``cme-register/1`` (docs/cnis-exchange.md).

The record is JSON held to the published schema (``schema_check``). It travels as a
referral does (``protection/exports.py``): an A4 PDF a person can read, with the record
embedded as ``register.json``, encrypted AES-256 (security handler R6) with a password
sent by another channel. The file is made in memory and written atomically.

Reading one back trusts nothing: the PDF is opened with the limits of
``protection.pdf.open_pdf``, the embedded record is inflated with a bound, parsed with
duplicate keys and non-numbers refused, and checked against the schema before anything
is made of it. ``find_matches`` offers the existing cases that may be the same child;
``import_entry`` then writes, in one transaction, a new child on the register or an
update of the chosen case: the entry's content replaced by the file's, and the file's
events added (those already on the child's history are not added twice).
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

from cme_desktop.models import register_terms as terms
from cme_desktop.models.records import Case
from cme_desktop.models.register import RegisterEvent
from cme_desktop.services.atomic_file import write_atomically
from cme_desktop.services.cases import history
from cme_desktop.services.cases.detail import case_reference
from cme_desktop.services.cases.erased import refuse_if_erased
from cme_desktop.services.errors import (
    CorruptFile,
    HostileFile,
    InvalidInput,
    NotARegisterRecord,
    NotFound,
)
from cme_desktop.services.importing.candidates import AUTO_MATCH_SCORE, CaseCandidate, find_cases
from cme_desktop.services.protection.exports import MIN_PASSWORD
from cme_desktop.services.protection.passwords import check_pdf_password_length
from cme_desktop.services.register import duties, schema_check
from cme_desktop.services.register.entry import (
    EntryDraft,
    NewChild,
    ParentDraft,
    ProviderDraft,
    RegisterRecord,
    RegisterService,
)
from cme_desktop.services.rules.local_time import local_today
from cme_desktop.services.vault import audit
from cme_desktop.services.vault.database import Database

__all__ = [
    "ATTACHMENT_NAME",
    "SCHEMA",
    "ExchangeImported",
    "RegisterTransfer",
    "export_entry",
    "find_matches",
    "import_entry",
    "read_transfer",
    "record_of",
]

SCHEMA: Final = "cme-register/1"
ATTACHMENT_NAME: Final = "register.json"
#: A register entry is a few kilobytes; a thousand events stay well under this.
MAX_RECORD_BYTES: Final = 2_000_000
#: Events the officer records herself; the others (joined, left...) this program writes.
_IMPORTED_EVENTS: Final = frozenset(t.key for t in terms.OFFICER_EVENT_KINDS)


@dataclass(frozen=True)
class RegisterTransfer:
    """A checked ``cme-register/1`` record: the JSON value as read, valid against the schema."""

    record: dict[str, Any]

    @property
    def full_name(self) -> str:
        return str(self.record["child"]["full_name"])

    @property
    def date_of_birth(self) -> date | None:
        dob = self.record["child"]["date_of_birth"]
        return None if dob is None else date.fromisoformat(dob)


@dataclass(frozen=True)
class ExchangeImported:
    """What an import did: the case, whether it was new, how many events were added."""

    case_id: int
    created: bool
    events_added: int


# --- the record ----------------------------------------------------------------------------


def record_of(
    rec: RegisterRecord, *, sex: str, upn: str, authority: str, today: date
) -> dict[str, Any]:
    """The register entry ``rec`` as a ``cme-register/1`` record (valid against the schema)."""

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "schema": SCHEMA,
        "exported_on": today.isoformat(),
        "authority": authority[:200],
        "child": {
            "full_name": rec.full_name,
            "date_of_birth": day(rec.date_of_birth),
            "sex": sex,
            "upn": upn or None,
            "home_address": rec.home_address,
        },
        "entry": {
            "status": rec.status,
            "registered_on": rec.registered_on.isoformat(),
            "left_on": day(rec.left_on),
            "left_reason": rec.left_reason,
            "lives_in_area": rec.entry.lives_in_area,
            "school_status": rec.entry.school_status,
            "arrangement": rec.entry.arrangement,
            "school": rec.entry.school,
            "note": rec.entry.note,
        },
        "optional": dict(sorted(rec.entry.optional_info.items())),
        "parents": [
            {
                "name": p.name,
                "home_address": p.home_address,
                "provides_education": p.provides_education,
                "hours_per_week": p.hours_per_week,
            }
            for p in rec.parents
        ],
        "providers": [
            {
                "name": v.name,
                "address": v.address,
                "kind": v.kind,
                "mode": v.mode,
                "hours_per_week": v.hours_per_week,
                "hours_without_parent": v.hours_without_parent,
            }
            for v in rec.providers
        ],
        "events": [
            {"kind": e.kind, "on": e.on.isoformat(), "due": day(e.due), "detail": e.detail}
            for e in rec.events
        ],
    }


def to_json(record: dict[str, Any]) -> str:
    """The record's JSON text, UTF-8 characters as themselves."""
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise NotARegisterRecord(f"The register record gives the field {key[:60]!r} twice.")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise NotARegisterRecord(f"The register record contains {name}, which is not a value.")


def parse_record(data: bytes) -> RegisterTransfer:
    """Parse and check a ``cme-register/1`` JSON text.

    Raises ``HostileFile`` past ``MAX_RECORD_BYTES`` or nested past what Python reads,
    and ``NotARegisterRecord`` for text that is not JSON or not valid against the schema
    (the message names the first problems).
    """
    if len(data) > MAX_RECORD_BYTES:
        raise HostileFile("The register record is far too large to be one child's entry.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotARegisterRecord("The register record is not readable text (UTF-8).") from None
    try:
        value = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except RecursionError:
        raise HostileFile("The register record is nested far too deeply to be one.") from None
    except json.JSONDecodeError:
        raise NotARegisterRecord("The register record is damaged: it is not valid JSON.") from None
    if not isinstance(value, dict) or value.get("schema") != SCHEMA:
        raise NotARegisterRecord(f"The file does not hold a {SCHEMA} register record.")
    found = schema_check.problems(value)
    if found:
        shown = "; ".join(found[:3])
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise NotARegisterRecord(f"The register record is not valid: {shown}{more}.")
    return RegisterTransfer(value)


# --- the file ------------------------------------------------------------------------------


def render_pdf(record: dict[str, Any]) -> bytes:
    """An A4 PDF of the record for people, with the record inside as ``register.json``.
    Not yet encrypted (kept in memory)."""
    import pikepdf
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    child, entry = record["child"], record["entry"]
    story: list[Any] = [
        Paragraph("Register of children not in school: one child's entry", styles["Title"]),
        Paragraph(
            escape(f"{record['authority']} · exported {record['exported_on']} · {SCHEMA}"),
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]

    def line(label: str, value: Any) -> None:
        shown = "" if value is None else str(value)
        story.append(
            Paragraph(
                f"<b>{escape(label)}:</b> {escape(shown).replace(chr(10), '<br/>')}",
                styles["Normal"],
            )
        )

    line("Name", child["full_name"])
    line("Date of birth", child["date_of_birth"])
    line("Home address", child["home_address"])
    line("On the register", f"{entry['status']} since {entry['registered_on']}")
    for parent in record["parents"]:
        teaches = "provides education" if parent["provides_education"] else "does not teach"
        line("Parent", f"{parent['name']}, {parent['home_address']} ({teaches})")
    for provider in record["providers"]:
        line("Provider", f"{provider['name']}, {provider['address']} ({provider['mode']})")
    for key, value in record["optional"].items():
        line(key, value)
    for event in record["events"]:
        line(str(event["on"]), f"{_event_label(event['kind'])} {event['detail']}".strip())
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title="Register entry", creator="CME Desktop").build(story)
    with pikepdf.open(io.BytesIO(out.getvalue())) as doc:
        spec = pikepdf.AttachedFileSpec(
            doc,
            to_json(record).encode("utf-8"),
            description=f"The register entry as a {SCHEMA} record, for importing",
            filename=ATTACHMENT_NAME,
            mime_type="application/json",
            relationship=pikepdf.Name.Data,
        )
        doc.attachments[ATTACHMENT_NAME] = spec
        doc.Root.AF = pikepdf.Array([spec.obj])
        saved = io.BytesIO()
        doc.save(saved)
    return saved.getvalue()


def _event_label(kind: str) -> str:
    return next((t.label for t in terms.EVENT_KINDS if t.key == kind), kind)


def read_transfer(data: bytes, *, password: str | None) -> RegisterTransfer:
    """The register entry in an exported PDF.

    Raises ``PasswordRequired`` / ``WrongPassword``, ``CorruptFile`` / ``HostileFile``
    (a damaged or dangerous PDF or record), and ``NotARegisterRecord`` for a PDF that holds
    no register record or one that is not valid.
    """
    import pikepdf

    from cme_desktop.services.protection.pdf import open_pdf

    with open_pdf(data, password) as doc:
        try:
            spec = doc.attachments.get(ATTACHMENT_NAME)
            if spec is None:
                raise NotARegisterRecord(
                    f"This PDF holds no register entry ({ATTACHMENT_NAME}): it was not "
                    "exported from a register."
                )
            stream = spec.get_file().obj
            if not isinstance(stream, pikepdf.Stream):
                raise CorruptFile("The register entry attached to this PDF is damaged.")
            raw = _read_bounded(stream)
        except (pikepdf.PdfError, KeyError, AttributeError, TypeError, ValueError):
            raise CorruptFile("The register entry attached to this PDF is damaged.") from None
    return parse_record(raw)


def _read_bounded(stream: Any) -> bytes:
    """A stream's bytes, inflated here with a limit: a few kilobytes of deflated data can
    expand to gigabytes."""
    import pikepdf

    raw = stream.read_raw_bytes()
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array):
        filters = filters[0] if len(filters) == 1 else filters
    too_large = HostileFile("The register entry attached to this PDF is far too large.")
    if filters is None:
        data = bytes(raw)
    elif filters == pikepdf.Name.FlateDecode and "/DecodeParms" not in stream:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, MAX_RECORD_BYTES + 1)
        except zlib.error:
            raise CorruptFile("The register entry attached to this PDF is damaged.") from None
        if inflater.unconsumed_tail:
            raise too_large
    else:
        raise NotARegisterRecord("The file attached to this PDF is not a register record.")
    if len(data) > MAX_RECORD_BYTES:
        raise too_large
    return data


def export_entry(
    db: Database,
    case_id: int,
    *,
    target: Path,
    password: str,
    authority: str,
    today: date | None = None,
) -> int:
    """Export the child's register entry to ``target`` (a .pdf), encrypted with ``password``.

    The PDF is made and encrypted in memory and written atomically; the export is
    audited and noted on the case's timeline. Returns the file's size. Raises
    ``InvalidInput`` (not a .pdf, a short password, no such folder) and ``NotFound``
    (no case, or a child never on the register).
    """
    from cme_desktop.services.protection.pdf import encrypt_pdf

    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise InvalidInput("Export a register entry to a .pdf file.", field="target")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"Use a password of at least {MIN_PASSWORD} characters (or the generated one).",
            field="password",
        )
    check_pdf_password_length(password)
    if not target.parent.is_dir():
        raise InvalidInput(f"The folder {target.parent} does not exist.", field="target")
    day = today or local_today()
    rec = RegisterService(db).get(case_id, today=day)
    if rec is None:
        raise NotFound(f"{case_reference(case_id)} has never been on the register.")
    with db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_reference(case_id)} does not exist.")
        # An erased record keeps only its figures: nothing of it leaves the vault.
        refuse_if_erased(case.erased_on)
        sex, upn = case.sex, case.upn
    record = record_of(rec, sex=sex, upn=upn, authority=authority, today=day)
    problems = schema_check.problems(record)
    if problems:  # our own record must meet our own schema: never send one that does not
        raise InvalidInput("The register entry cannot be exported: " + problems[0] + ".")
    data = encrypt_pdf(render_pdf(record), password)
    write_atomically(target, data)
    with db.write() as session:
        history.record(
            session,
            case_id=case_id,
            summary=f"Register entry exported as a password-protected PDF ({target.name}).",
            author=db.actor,
        )
        audit.record(
            session,
            db,
            action="register_exported",
            entity="case",
            entity_id=case_id,
            detail=f"events={len(record['events'])}",
        )
    return len(data)


# --- importing -----------------------------------------------------------------------------


def find_matches(db: Database, transfer: RegisterTransfer) -> tuple[CaseCandidate, ...]:
    """The existing cases that may be the file's child, best first."""
    return find_cases(
        db,
        full_name=transfer.full_name,
        date_of_birth=transfer.date_of_birth,
        upn=transfer.record["child"]["upn"] or "",
    )


def proposed_case(matches: tuple[CaseCandidate, ...]) -> int | None:
    """The case an import should update without asking: one sure match (the same UPN, or
    one alone scoring as a referral's automatic match), else ``None``."""
    strong = [c for c in matches if c.same_upn] or [
        c for c in matches if c.score >= AUTO_MATCH_SCORE
    ]
    return strong[0].case_id if len(strong) == 1 else None


def import_entry(
    db: Database,
    transfer: RegisterTransfer,
    *,
    case_id: int | None,
    today: date | None = None,
) -> ExchangeImported:
    """Write the file's entry: onto case ``case_id`` (an update the officer chose), or as a
    child new to the record when ``case_id`` is None. One transaction: on any error
    nothing is written.

    The child goes on the register if not on it (from the file's registration day, or from
    today when the sender had taken the child off its register); the
    entry's content, parents and providers become the file's; each event the officer
    recorded in the sending authority is added unless the same one is there already.
    """
    day = today or local_today()
    rec = transfer.record
    entry = rec["entry"]
    # A child the sender took off its register (moved here, say) joins this one today.
    registered = (
        day if entry["status"] == "off" else min(date.fromisoformat(entry["registered_on"]), day)
    )
    draft = EntryDraft(
        lives_in_area=entry["lives_in_area"],
        school_status=entry["school_status"],
        arrangement=entry["arrangement"],
        school=entry["school"],
        optional_info=dict(rec["optional"]),
        note=entry["note"],
    )
    parents = [
        ParentDraft(p["name"], p["home_address"], p["provides_education"], p["hours_per_week"])
        for p in rec["parents"]
    ]
    providers = [
        ProviderDraft(
            v["name"],
            v["address"],
            v["kind"],
            v["mode"],
            v["hours_per_week"],
            v["hours_without_parent"],
        )
        for v in rec["providers"]
    ]
    source = f"From the register entry exported by {rec['authority'] or 'another authority'}"
    with db.write() as session:
        unit = db.joined(session)
        service = RegisterService(unit)
        created = case_id is None
        if case_id is None:
            child = rec["child"]
            case_id = service.register_new(
                NewChild(
                    full_name=child["full_name"],
                    date_of_birth=transfer.date_of_birth,
                    home_address=child["home_address"],
                    sex=child["sex"],
                    upn=child["upn"] or "",
                ),
                on=registered,
                entry=draft,
                detail=source + ".",
                today=day,
            )
        else:
            current = service.get(case_id, today=day)
            if current is None or not current.on_register:
                service.put_on(case_id, on=registered, entry=draft, detail=source + ".", today=day)
        current = service.get(case_id, today=day)
        assert current is not None
        service.save(
            case_id, version=current.version, entry=draft, parents=parents, providers=providers
        )
        have = {(e.kind, e.on, e.detail) for e in current.events}
        added = 0
        for event in rec["events"]:
            on = date.fromisoformat(event["on"])
            key = (event["kind"], on, event["detail"])
            if event["kind"] not in _IMPORTED_EVENTS or key in have or on > day:
                continue
            row: RegisterEvent = duties.add_event(
                session, unit, case_id=case_id, kind=event["kind"], on=on, detail=event["detail"]
            )
            if event["due"] is not None and row.due is None:
                row.due = date.fromisoformat(event["due"])
            have.add(key)
            added += 1
        audit.record(
            session,
            db,
            action="register_imported",
            entity="case",
            entity_id=case_id,
            detail=f"created={int(created)};events={added}",
        )
    return ExchangeImported(case_id=case_id, created=created, events_added=added)
