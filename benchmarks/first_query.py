"""The first query after unlock: the encrypted vault beside a plain copy of the same data.

What the list asks when it is first shown (the count and the first page of open cases
by name) on a connection just opened, as after an unlock — on the vault, and on a
plaintext copy of the same database made once with ``sqlcipher_export`` into
``benchmarks/out/`` (synthetic people only). The ratio row divides each encrypted run
by the plain run beside it: encryption may cost at most a fifth more (target 1.2).
Both are read through the vault's own engine (``Database.over``: the same pool, settings,
and BEGIN and rollback around each read), so that the key is all that differs.
"""

from __future__ import annotations

import time
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher

from benchmarks.common import Bench, Result
from cme_desktop.services.cases.case_list import CaseList, CaseQuery
from cme_desktop.services.vault.database import SETTINGS, Database
from cme_desktop.services.vault.unlock import Vault
from cme_desktop.ui.case_list.table import PAGE_SIZE

RATIO_TARGET = 1.2


def _plain_copy(bench: Bench) -> Path:
    """The vault's data without encryption, made once beside the cached vault."""
    path = bench.path()
    plain = path.with_name(path.stem + "-plain.sqlite")
    if plain.exists() and plain.stat().st_mtime >= path.stat().st_mtime:
        return plain
    db = Vault(path).unlock(bench.passphrase, actor="benchmark")
    partial = plain.with_name(plain.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        conn = db.open_other(path)
        try:
            conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(partial),))
            conn.execute("SELECT sqlcipher_export('plain')")
            conn.execute("DETACH DATABASE plain")
        finally:
            conn.close()
    finally:
        db.close()
    partial.replace(plain)
    return plain


def _plain_connection(path: Path) -> sqlcipher.Connection:
    """A connection with the vault's settings (``open_connection``), but no key."""
    conn = sqlcipher.connect(str(path), check_same_thread=False, timeout=15)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    for setting in SETTINGS:
        conn.execute(setting)
    return conn


def _plain_database(path: Path) -> Database:
    """The plain copy behind the vault's own engine: the same pool, and the same BEGIN
    and rollback around each read, so that the key is all that differs."""
    return Database.over(path, lambda: _plain_connection(path), audit_key=b"", key=bytearray())


def _first_list(db: Database) -> None:
    """What the list asks of a vault when it is first shown."""
    listing, query = CaseList(db), CaseQuery()
    listing.count(query)
    listing.page(query, offset=0, limit=PAGE_SIZE)


def measure_first_query(bench: Bench) -> list[Result]:
    """Open a connection and show the list's first page: encrypted and plain, in turns."""
    plain_path = _plain_copy(bench)
    vault = Vault(bench.path())
    encrypted: list[float] = []
    plain: list[float] = []
    for turn in range(bench.repeat):
        db = vault.unlock(bench.passphrase, actor="benchmark")
        key = bytearray(db.key)
        db.close()
        # The unlock above opened and closed its own connections: time a fresh one, as
        # the list's first query after an unlock gets. Which copy goes first alternates:
        # the first after the unlock's key derivation meets cold processor caches.
        first_encrypted = turn % 2 == 0
        for encrypt in (first_encrypted, not first_encrypted):
            if encrypt:
                fresh = Database.open(bench.path(), key, audit_key=b"")
            else:
                fresh = _plain_database(plain_path)
            started = time.perf_counter()
            _first_list(fresh)
            (encrypted if encrypt else plain).append((time.perf_counter() - started) * 1000)
            fresh.close()
    return [
        Result("first_encrypted", "First list query after unlock, encrypted", tuple(encrypted)),
        Result("first_plain", "… the same on a plain copy", tuple(plain)),
        Result(
            "first_ratio",
            "… encrypted ÷ plain, run by run",
            tuple(e / p for e, p in zip(encrypted, plain, strict=True)),
            unit="×",
            target=RATIO_TARGET,
        ),
    ]
