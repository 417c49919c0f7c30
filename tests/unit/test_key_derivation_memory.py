"""The key derivation's memory is bounded whatever the computer: a fast one gets a quicker
unlock or more lanes, never one that needs more memory (scrypt takes 128 * n * r bytes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cme_desktop.services.vault import keyslots
from cme_desktop.services.vault.keyslots import (
    TUNED_MAX_MEMORY,
    TUNED_MAX_N,
    TUNED_MAX_P,
    ScryptParams,
    read_slots,
    tuned_scrypt,
)
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE


def _clock(seconds_per_probe: float) -> Iterator[float]:
    now = 0.0
    while True:
        yield now
        now += seconds_per_probe


@pytest.mark.parametrize("probe_seconds", [1e-6, 1e-3, 0.01])
def test_a_fast_computer_is_tuned_to_the_cap_and_no_further(
    monkeypatch: pytest.MonkeyPatch, probe_seconds: float
) -> None:
    ticks = _clock(probe_seconds)
    monkeypatch.setattr(keyslots.time, "perf_counter", lambda: next(ticks))
    params = tuned_scrypt()
    assert params.n == TUNED_MAX_N and 2 <= params.p <= TUNED_MAX_P
    assert 128 * params.n * params.r <= 64 * 1024 * 1024 == TUNED_MAX_MEMORY
    assert not params.over_memory_cap()


def test_a_slow_computer_keeps_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = _clock(10.0)
    monkeypatch.setattr(keyslots.time, "perf_counter", lambda: next(ticks))
    assert tuned_scrypt() == ScryptParams(n=2**15)


def test_keys_tuned_by_older_versions_still_open() -> None:
    assert ScryptParams(n=2**20).within_bounds()


def test_a_key_asking_more_memory_is_wrapped_again_within_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vault whose key was tuned to more memory (by an older version) opens once more at
    that cost, and is wrapped again so that no later unlock needs it."""
    path = tmp_path / "cases.cme"
    old = ScryptParams(n=2**11)
    Vault(path, scrypt=old).create(PASSPHRASE).db.close()
    monkeypatch.setattr(keyslots, "TUNED_MAX_MEMORY", 128 * 8 * 2**10)
    assert old.over_memory_cap() and not FAST_SCRYPT.over_memory_cap()

    db = Vault(path, scrypt=FAST_SCRYPT).unlock(PASSPHRASE, actor="officer")
    try:
        with db.read() as session:
            details = (
                session.execute(
                    text("SELECT detail FROM audit_log WHERE action = 'key_derivation_retuned'")
                )
                .scalars()
                .all()
            )
    finally:
        db.close()
    slot = read_slots(path.with_name(path.name + ".keys")).slot("passphrase")
    assert slot is not None and slot.scrypt == FAST_SCRYPT
    assert details == ["scrypt n=2048 r=8 p=1 -> n=1024 r=8 p=1"]
    # The same passphrase opens it, and nothing is wrapped again.
    Vault(path, scrypt=FAST_SCRYPT).unlock(PASSPHRASE).close()
    again = read_slots(path.with_name(path.name + ".keys")).slot("passphrase")
    assert again == slot


def test_a_key_within_the_cap_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "cases.cme"
    Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE).db.close()
    before = read_slots(path.with_name(path.name + ".keys")).slot("passphrase")
    Vault(path, scrypt=ScryptParams(n=2**11)).unlock(PASSPHRASE).close()
    assert read_slots(path.with_name(path.name + ".keys")).slot("passphrase") == before
