"""Demo vaults for the benchmarks, built once and cached under ``benchmarks/out/``.

A vault of N cases is made with ``demo.fill`` (synthetic people only) and kept
as ``out/demo-N.cme``; later runs reuse it. Delete ``out/`` to rebuild.

Every vault's passphrase slot uses the same scrypt parameters (``SCRYPT``), not
parameters tuned to the machine's load at the moment it was built: the key
derivation then costs the same at every size, and the ratios between sizes
reflect the number of cases only.

Before each run ``prepare`` unlocks a cached vault once, outside every
measurement: that brings its schema up to date (an older build is migrated
once) and makes this month's save, so no monthly save runs in the background
of a measurement.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from cme_desktop.services.cases import demo
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault import backups
from cme_desktop.services.vault.keyslots import TUNED_MAX_N, ScryptParams, read_slots
from cme_desktop.services.vault.unlock import Vault

#: Where the vaults, registers and results are kept: ``CME_BENCH_OUT``, else ``out/`` here
#: (ignored by git). A vault of 100,000 cases takes a few minutes to build; keep one
#: outside the repository and point ``CME_BENCH_OUT`` at its folder to reuse it.
OUT = Path(os.environ.get("CME_BENCH_OUT") or Path(__file__).resolve().parent / "out")
PASSPHRASE = "benchmark vault passphrase"
OFFICER = "Benchmark Officer"
#: The key derivation of every benchmark vault: a new vault's at the memory cap, with
#: two lanes (the work of n = 2**17, the most a vault was once tuned to).
SCRYPT = ScryptParams(n=TUNED_MAX_N, p=2)


def vault_path(cases: int) -> Path:
    """Where the demo vault of ``cases`` cases is kept."""
    return OUT / f"demo-{cases}.cme"


def ensure_vault(cases: int, *, quiet: bool = False) -> Path:
    """The cached demo vault of ``cases`` cases, built first if it is missing."""
    path = vault_path(cases)
    if path.exists() and path.with_name(path.name + ".ready").exists():
        return path
    for leftover in path.parent.glob(path.name + "*"):
        leftover.unlink()  # a half-built vault from an interrupted run
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if not quiet:
        print(f"Building a demo vault of {cases:,} cases at {path} ...", flush=True)
    created = Vault(path, scrypt=SCRYPT).create(PASSPHRASE, actor=OFFICER)
    try:
        SettingsService(created.db).save(
            Settings(officer_name=OFFICER, authority_name="Benchmark County Council")
        )
        demo.fill(created.db, cases=cases)
    finally:
        created.db.close()
    path.with_name(path.name + ".ready").write_text("built\n", "utf-8")
    if not quiet:
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def prepare(cases: int, *, quiet: bool = False) -> Path:
    """The cached vault, ready to measure: fixed key derivation, schema current, month saved."""
    path = ensure_vault(cases, quiet=quiet)
    vault = Vault(path, scrypt=SCRYPT)
    slot = read_slots(vault.slots_path).slot("passphrase")
    db = vault.unlock(PASSPHRASE, actor=OFFICER)  # migrates an older build, once
    try:
        if slot is None or slot.scrypt != SCRYPT:
            vault.change_passphrase(db, PASSPHRASE)  # a vault cached by an older run
        for stale in path.parent.glob(glob.escape(path.name) + ".before-*.bak"):
            stale.unlink()  # the copy a migration made: not needed for a demo vault
        if backups.due_monthly_save(db, date.today()):
            if not quiet:
                print(f"Making this month's save of the {cases:,}-case vault ...", flush=True)
            folder = Path(tempfile.mkdtemp(prefix="monthly-", dir=OUT))
            try:
                backups.monthly_save(db, today=date.today(), folder=folder)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        db.close()
    return path


if __name__ == "__main__":
    import sys

    for n in sys.argv[1:] or ["1000"]:
        prepare(int(n))
