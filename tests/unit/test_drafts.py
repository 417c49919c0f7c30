"""Drafts: unsaved edits kept in the vault at an idle lock, offered back, then deleted.

They are encrypted like every record: the raw bytes of the vault, its WAL and a
backup never hold their text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cme_desktop.models import AuditEvent, Setting
from cme_desktop.services.cases.drafts import MAX_BYTES, Draft, DraftService
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.settings import SettingsService
from cme_desktop.services.vault.database import Database, checkpoint
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import PASSPHRASE
from tests.unit.test_no_plaintext import _leaks

TYPED = "left by canal boat towards Wobblecraft"


def _audit(db: Database) -> list[tuple[str, str, int | None, str]]:
    with db.read() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(r.action, r.entity, r.entity_id, r.detail) for r in rows]


def test_kept_listed_replaced_and_discarded(db: Database) -> None:
    drafts = DraftService(db)
    assert drafts.pending() == []
    drafts.keep(
        [
            Draft("case:7", "Case CME-000007", {"details": {"aka": "Zeb"}}, case_id=7),
            Draft("new-case-referral", "A new case", {"record": {"a": [1, None, True]}}),
        ]
    )
    found = {d.key: d for d in drafts.pending()}
    assert set(found) == {"case:7", "new-case-referral"}
    assert found["case:7"].data == {"details": {"aka": "Zeb"}}
    assert found["case:7"].case_id == 7 and found["case:7"].label == "Case CME-000007"
    assert found["new-case-referral"].case_id is None
    assert found["case:7"].kept_at is not None

    drafts.keep([Draft("case:7", "Case CME-000007", {"details": {"aka": "Zebby"}}, case_id=7)])
    found = {d.key: d for d in drafts.pending()}
    assert found["case:7"].data == {"details": {"aka": "Zebby"}}  # replaced, not doubled
    assert len(found) == 2

    drafts.discard("case:7", restored=True)
    drafts.discard("new-case-referral")
    drafts.discard("new-case-referral")  # already gone: nothing happens
    assert drafts.pending() == []
    actions = [(a, e, i, d) for a, e, i, d in _audit(db) if a.startswith("draft_")]
    assert actions == [
        ("draft_kept", "case", 7, "kind=case"),
        ("draft_kept", "draft", None, "kind=new-case-referral"),
        ("draft_kept", "case", 7, "kind=case"),
        ("draft_restored", "case", 7, "kind=case"),
        ("draft_discarded", "draft", None, "kind=new-case-referral"),
    ]


def test_drafts_are_not_settings(db: Database) -> None:
    DraftService(db).keep([Draft("case:1", "x", {"details": {"full_name": "A"}}, case_id=1)])
    settings = SettingsService(db)
    settings.save(settings.load())  # saving the settings leaves drafts alone
    assert [d.key for d in DraftService(db).pending()] == ["case:1"]


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        (Draft("", "x", {}), "name"),
        (Draft("k" * 200, "x", {}), "name"),
        (Draft("case:1", "Case 1", {"bad": object()}), "could not be kept"),
        (Draft("case:1", "Case 1", {"nan": float("nan")}), "could not be kept"),
        (Draft("case:1", "Case 1", {"big": "x" * MAX_BYTES}), "too large"),
    ],
)
def test_a_draft_that_cannot_be_stored_is_refused_and_nothing_kept(
    db: Database, draft: Draft, problem: str
) -> None:
    good = Draft("case:2", "Case 2", {"details": {"aka": "kept?"}}, case_id=2)
    with pytest.raises(InvalidInput, match=problem):
        DraftService(db).keep([good, draft])
    assert DraftService(db).pending() == []


def test_a_damaged_draft_is_left_out(db: Database) -> None:
    with db.write() as session:
        session.add(Setting(key="draft:case:9", value="not a draft"))
    assert DraftService(db).pending() == []


def test_no_draft_text_in_any_file(vault: Vault, tmp_path: Path) -> None:
    db = vault.create(PASSPHRASE, actor="Test Officer").db
    try:
        DraftService(db).keep(
            [Draft("case:3", "Quentavius Blarnhollow", {"details": {"note": TYPED}}, case_id=3)]
        )
        assert _leaks(TYPED.encode()) == ["note"]  # the scan knows this text
        wal = vault.path.with_name(vault.path.name + "-wal")
        assert wal.stat().st_size > 0
        seen = {p.name: _leaks(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
        assert wal.name in seen and seen == dict.fromkeys(seen, [])
        backup = tmp_path / "backups" / "copy.cme"
        backup.parent.mkdir()
        db.export_copy(backup)
        checkpoint(db)
    finally:
        db.close()
    seen = {p.name: _leaks(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert "copy.cme" in seen and seen == dict.fromkeys(seen, [])
    db = vault.unlock(PASSPHRASE, actor="Test Officer")
    try:
        assert DraftService(db).pending()[0].data == {"details": {"note": TYPED}}
    finally:
        db.close()
