"""No plaintext on disk: the database, its WAL, the key slots and backups hold no name."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from cme_desktop.models import Attachment, Referral
from cme_desktop.services import settings as settings_service
from cme_desktop.services.cases.closing import ClosureDetails
from cme_desktop.services.cases.detail import CaseDraft
from cme_desktop.services.cases.service import CaseService
from cme_desktop.services.vault.database import Database, checkpoint
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import PASSPHRASE

SECRETS = {
    "name": "Quentavius Blarnhollow",
    "aka": "Zephyrine Oddleworth",
    "accented": "Zoë Ñúñez-Ðurović",
    "address": "Flat 9 Wuthercombe Mews",
    "postcode": "GX9 7QZ",
    "school": "Snorlingham Vale Academy",
    "upn": "K938162754013",
    "carer": "Philomena Blarnhollow",
    "phone": "07700 981234",
    "note": "left by canal boat towards Wobblecraft",
    "visit": "neighbour Mrs Thistlewaite",
    "referral": "worried about Grizzlethorpe",
    "attachment": "scanned form of Quentavius",
    "meeting": "Detective Sergeant Ploverdale",
    "officer": "Officer Marblethorpe",
}


def _encodings(text: str) -> list[bytes]:
    return [text.encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be")]


def _leaks(data: bytes) -> list[str]:
    """The secrets that appear in ``data`` in any encoding, case-insensitively for ASCII."""
    folded = data.lower()
    return [
        label
        for label, secret in SECRETS.items()
        if any(needle in data or needle.lower() in folded for needle in _encodings(secret))
    ]


def _write_everything(db: Database) -> int:
    cases = CaseService(db)
    case_id = cases.create(
        draft=CaseDraft(
            full_name=SECRETS["name"],
            aka=f"{SECRETS['aka']} / {SECRETS['accented']}",
            date_of_birth=date(2015, 3, 4),
            upn=SECRETS["upn"],
            last_known_address=f"{SECRETS['address']}\nLeicester\n{SECRETS['postcode']}",
            school=SECRETS["school"],
        )
    )
    cases.save_carer(
        case_id, name=SECRETS["carer"], telephone=SECRETS["phone"], note=SECRETS["note"]
    )
    cases.add_timeline(
        case_id,
        kind="visit",
        occurred_at=datetime(2026, 5, 1, 10, 0),
        summary=f"Spoke to {SECRETS['visit']}",
        outcome="no_reply_vacant",
    )
    cases.add_timeline(
        case_id, kind="note", occurred_at=datetime(2026, 5, 2, 9), summary=SECRETS["note"]
    )
    cases.add_agency_referral(
        case_id, agency="police", referred_on=date(2026, 5, 3), note=SECRETS["note"]
    )
    cases.add_meeting(
        case_id, held_on=date(2026, 5, 4), attendees=SECRETS["meeting"], actions=SECRETS["note"]
    )
    cases.close(
        case_id,
        outcome="moved_out",
        note=SECRETS["note"],
        details=ClosureDetails(
            receiving_authority="Leeds City Council", authority_told_on=date.today()
        ),
    )
    with db.write() as session:
        attachment = Attachment(
            case_id=case_id,
            filename="referral.docx",
            content=SECRETS["attachment"].encode("utf-16-le"),
        )
        session.add(attachment)
        session.flush()
        session.add(
            Referral(
                case_id=case_id,
                received_on=date(2026, 5, 1),
                data={
                    "children": [{"full_name": SECRETS["name"]}],
                    "assessment": {"worried_about": SECRETS["referral"]},
                },
                attachment_id=attachment.id,
            )
        )
    service = settings_service.SettingsService(db)
    service.save(replace(service.load(), officer_name=SECRETS["officer"]))
    cases.get(case_id)
    return case_id


def test_the_scan_finds_what_it_looks_for() -> None:
    assert _leaks(b"xx" + SECRETS["accented"].encode("utf-16-be") + b"yy") == ["accented"]
    assert _leaks(SECRETS["note"].upper().encode()) == ["note"]
    assert _leaks(b"nothing to see") == []


def test_no_name_address_or_note_in_any_file(vault: Vault, tmp_path: Path) -> None:
    db = vault.create(PASSPHRASE, actor=SECRETS["officer"]).db
    try:
        case_id = _write_everything(db)
        assert CaseService(db).get(case_id).full_name == SECRETS["name"]

        # While the vault is open the changes sit in the WAL: scan it as it is.
        wal = vault.path.with_name(vault.path.name + "-wal")
        assert wal.stat().st_size > 0
        seen = {p.name: _leaks(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
        assert wal.name in seen
        assert vault.slots_path.name in seen
        assert seen == dict.fromkeys(seen, [])

        backup = tmp_path / "backups" / "monthly.cme"
        backup.parent.mkdir()
        db.export_copy(backup)
        checkpoint(db)
        seen = {p.name: _leaks(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
        assert backup.name in seen
        assert seen == dict.fromkeys(seen, [])
    finally:
        db.close()
    seen = {p.name: _leaks(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert seen == dict.fromkeys(seen, [])
