"""What a tamperer or a failing disk does to a vault's files, for the tamper tests.

Each helper works on the files as they lie on disk, past the application: a
raw SQLCipher connection with the database key, a byte flipped in a page, a
key file edited (its checksum recomputed, as someone who read the format
would, or not, as a careless edit would).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as sqlcipher

PAGE_SIZE = 4096


def raw(path: Path, key: bytes) -> sqlcipher.Connection:
    """A keyed SQLCipher connection that bypasses the application."""
    conn = sqlcipher.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def execute(path: Path, key: bytes, sql: str, params: tuple[object, ...] = ()) -> int:
    """Run one statement on the vault file and commit; the number of rows it changed."""
    conn = raw(path, key)
    try:
        changed = conn.execute(sql, params).rowcount
        conn.commit()
    finally:
        conn.close()
    return int(changed)


def flip_byte(path: Path, page: int, *, offset: int = 1234, mask: int = 0x10) -> None:
    """Flip bits of one byte inside page ``page`` (1-based) of the file."""
    data = bytearray(path.read_bytes())
    data[(page - 1) * PAGE_SIZE + offset] ^= mask
    path.write_bytes(bytes(data))


def _only_the_table_fails(path: Path, key: bytes, reads: str) -> bool:
    """True when the vault still opens (its schema reads) but the query ``reads`` fails."""
    conn = raw(path, key)
    try:
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlcipher.DatabaseError:
            return False  # a page of the schema: the vault would not open at all
        try:
            conn.execute(reads).fetchall()
        except sqlcipher.DatabaseError:
            return True
        return False
    finally:
        conn.close()


def table_data_page(
    path: Path, key: bytes, *, table: str = "cases", scratch: Path, reads: str = ""
) -> int:
    """A page near the middle of the file whose damage stops reading ``table``, and only that
    (or, given ``reads``, a page whose damage makes that query fail).

    Tried outward from the middle on a scratch copy, so the page found holds the
    table's rows (or the b-tree that leads to them): not the header, not the
    schema, not free space.
    """
    reads = reads or f"SELECT * FROM {table}"
    pages = path.stat().st_size // PAGE_SIZE
    middle = pages // 2
    candidates = sorted(range(2, pages + 1), key=lambda p: (abs(p - middle), p))
    for page in candidates[:200]:
        shutil.copyfile(path, scratch)
        flip_byte(scratch, page)
        if _only_the_table_fails(scratch, key, reads):
            scratch.unlink()
            return page
    raise AssertionError(f"no page read by {reads!r} found near the middle of {path.name}")


def checksum(body: dict[str, Any]) -> str:
    """The key file's checksum over ``body`` (every field but the checksum)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()


def edit_key_file(
    path: Path, change: Callable[[dict[str, Any]], None], *, fix_checksum: bool = True
) -> None:
    """Edit the key file's JSON in place; with ``fix_checksum`` its checksum is made to fit."""
    body = json.loads(path.read_text("utf-8"))
    stored = body.pop("checksum")
    change(body)
    body["checksum"] = checksum(body) if fix_checksum else stored
    path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", "utf-8")


def passphrase_kdf(body: dict[str, Any]) -> dict[str, Any]:
    """The passphrase slot's ``kdf`` object in a key file's JSON."""
    slot = next(s for s in body["slots"] if s["kind"] == "passphrase")
    kdf: dict[str, Any] = slot["kdf"]
    return kdf
