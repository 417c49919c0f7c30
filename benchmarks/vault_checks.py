"""What the vault's checks cost: the quick check at unlock, the full check, the anchor.

``python -m benchmarks.vault_checks 1000 100000`` copies each cached demo vault
(``vaults.ensure_vault``) into a scratch folder, so the cached one is never
changed, and measures there:

- the unlock, whole, and the bounded quick check inside it (how many tables
  its budget covered);
- the quick check left to finish (no budget), and SQLCipher's page check alone
  (what the window runs in the background after unlocking);
- ``cme check``'s full check, part by part;
- one move of the audit anchor (the key file rewritten under its lock).

The figures are quoted in docs/security.md.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.vaults import PASSPHRASE, SCRYPT, ensure_vault
from cme_desktop.services.vault import audit, health
from cme_desktop.services.vault.anchor import AnchorKeeper
from cme_desktop.services.vault.keyslots import seal_key_of
from cme_desktop.services.vault.unlock import Vault

RUNS = 5


def _median(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.0f} ms"


def measure(cases: int) -> list[str]:
    """The figures for the demo vault of ``cases`` cases, as lines of text."""
    source = ensure_vault(cases, quiet=True)
    scratch = Path(tempfile.mkdtemp(prefix="vault-checks-"))
    try:
        for suffix in ("", ".keys"):
            shutil.copyfile(f"{source}{suffix}", scratch / f"cases.cme{suffix}")
        vault = Vault(scratch / "cases.cme", scrypt=SCRYPT)
        vault.unlock(PASSPHRASE).close()  # upgrades an older key file once, outside the runs
        size_mib = (scratch / "cases.cme").stat().st_size / 2**20
        unlocks, budgeted, covered = [], [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            db = vault.unlock(PASSPHRASE)
            unlocks.append(time.perf_counter() - started)
            quick = health.quick_check(db)
            budgeted.append(quick.seconds)
            covered.append(f"{quick.tables_checked}/{quick.tables}")
            db.close()
        # The same unlocks with the quick check left out, for the difference it makes.
        real_check, bare = health.quick_check, []
        health.quick_check = lambda db, **_kw: health.QuickCheck((), 0, 0, 0.0)
        try:
            for _ in range(RUNS):
                started = time.perf_counter()
                vault.unlock(PASSPHRASE).close()
                bare.append(time.perf_counter() - started)
        finally:
            health.quick_check = real_check
        db = vault.unlock(PASSPHRASE)
        try:
            whole = health.quick_check(db, budget=600.0)
            started = time.perf_counter()
            health.page_check(db)
            pages_alone = time.perf_counter() - started
            report = health.full_check(db)
            assert db.anchor is not None
            keeper = AnchorKeeper(vault.slots_path, seal_key_of(db.key), interval=0.0)
            with db.read() as session:
                head = audit.newest(session)
            moves = []
            for n in range(RUNS):
                started = time.perf_counter()
                keeper.audit_committed(head[0] + n + 1, head[1])
                moves.append(time.perf_counter() - started)
        finally:
            db.close()
        parts = ", ".join(f"{k} {v * 1000:,.0f} ms" for k, v in report.timings.items())
        return [
            f"{cases:,} cases ({size_mib:,.0f} MiB, {report.page_count:,} pages):",
            f"  unlock, whole (scrypt n=2^17 included): {_median(unlocks)}; "
            f"without the quick check: {_median(bare)}",
            f"  quick check at unlock (budget {health.QUICK_BUDGET * 1000:.0f} ms): "
            f"{_median(budgeted)}, tables covered {', '.join(covered)}",
            f"  quick check left to finish: {whole.seconds * 1000:,.0f} ms",
            f"  page check alone (window, background): {pages_alone * 1000:,.0f} ms",
            f"  full check (cme check): {report.seconds * 1000:,.0f} ms ({parts})",
            f"  one move of the audit anchor: {_median(moves)}",
        ]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["1000"]:
        print("\n".join(measure(int(arg))), flush=True)
