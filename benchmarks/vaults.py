"""Demo vaults for the benchmarks, built once and cached under ``benchmarks/out/``.

A vault of N cases is made with ``demo.fill`` (synthetic people only) and kept
as ``out/demo-N.cme``; later runs reuse it. Delete ``out/`` to rebuild.
"""

from __future__ import annotations

import time
from pathlib import Path

from cme_desktop.services.cases import demo
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.unlock import Vault

OUT = Path(__file__).resolve().parent / "out"
PASSPHRASE = "benchmark vault passphrase"
OFFICER = "Benchmark Officer"


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
    created = Vault(path).create(PASSPHRASE, actor=OFFICER)
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


if __name__ == "__main__":
    import sys

    for n in sys.argv[1:] or ["1000"]:
        ensure_vault(int(n))
