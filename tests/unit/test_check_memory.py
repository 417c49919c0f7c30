"""A check of the vault or of a monthly save's copy reads through a bounded page cache, so
that it does not add a second vault-sized cache to the memory of the process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cme_desktop.services.vault import health
from cme_desktop.services.vault.database import CACHE_KIB
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE


class _Watched:
    """A connection that remembers its cache size when a check reads the structure."""

    def __init__(self, conn: Any, seen: list[int]) -> None:
        self.conn = conn
        self.seen = seen

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith("PRAGMA integrity_check"):
            self.seen.append(int(self.conn.execute("PRAGMA cache_size").fetchone()[0]))
        return self.conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


def test_the_check_reads_through_a_small_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Vault(tmp_path / "cases.cme", scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T").db
    try:
        seen: list[int] = []
        opened = db.open_other
        monkeypatch.setattr(db, "open_other", lambda path: _Watched(opened(path), seen))
        report = health.file_check(db, db.path)
    finally:
        db.close()
    assert not report.structure
    assert seen == [-health.CHECK_CACHE_KIB]
    assert health.CHECK_CACHE_KIB < CACHE_KIB
