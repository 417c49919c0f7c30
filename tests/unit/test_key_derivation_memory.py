"""The key derivation's memory is bounded whatever the computer: a fast one gets a quicker
unlock, never one that needs more memory (scrypt takes 128 * n * r bytes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cme_desktop.services.vault import keyslots
from cme_desktop.services.vault.keyslots import TUNED_MAX_N, ScryptParams, tuned_scrypt


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
    assert params.n == TUNED_MAX_N
    assert 128 * params.n * params.r <= 128 * 1024 * 1024


def test_a_slow_computer_keeps_the_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = _clock(10.0)
    monkeypatch.setattr(keyslots.time, "perf_counter", lambda: next(ticks))
    assert tuned_scrypt() == ScryptParams(n=2**15)


def test_keys_tuned_by_older_versions_still_open() -> None:
    assert ScryptParams(n=2**20).within_bounds()
