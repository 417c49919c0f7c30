"""An unlocked vault: the SQLCipher database behind SQLAlchemy, and units of work on it.

``Database`` is what every service receives. It opens each connection with
the raw database key, and gives units of work: ``read()`` for a query,
``write()`` for a change (which takes SQLite's write lock at once, so the
audit chain is extended by one writer at a time).

``UnitOfWork`` is what a service needs of it. A service that may run inside
another's transaction takes one: given ``db.joined(session)`` (a
``SessionUnit``) instead of the ``Database``, its units of work all run in
that already open session, flushed but not committed, so they commit or roll
back together with the caller's own changes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError as SAOperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from cme_desktop.services.errors import OutputError, VaultBusy, VaultDamaged, VaultLocked
from cme_desktop.services.vault.audit import HEAD_KEY
from cme_desktop.services.vault.findings import Finding
from cme_desktop.services.vault.private_files import create_private_file

#: Page cache per connection, in KiB (negative = KiB for SQLite). Without a large
#: cache SQLCipher decrypts the same pages again and again: LIKE scans run 7x slower.
CACHE_KIB = 131072
#: How long a connection waits, in seconds, for another connection's write lock before the
#: vault is reported busy. The ``cme`` command's read-only commands wait in shorter steps.
BUSY_TIMEOUT = 15.0


#: Each connection's settings, once the key has opened the file.
SETTINGS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    "PRAGMA temp_store = MEMORY",
)


def _key_pragma(key: bytes | bytearray) -> str:
    return f"PRAGMA key = \"x'{bytes(key).hex()}'\""


def open_connection(
    path: Path, key: bytes | bytearray, *, busy_timeout: float = BUSY_TIMEOUT
) -> sqlcipher.Connection:
    """A keyed SQLCipher connection with the vault's settings, checked readable."""
    conn = sqlcipher.connect(str(path), check_same_thread=False, timeout=busy_timeout)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(_key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for setting in SETTINGS:
            conn.execute(setting)
    except sqlcipher.DatabaseError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise VaultBusy() from exc
        raise VaultDamaged() from exc
    return conn


def is_damage(exc: BaseException) -> bool:
    """True when a database error means the file's pages cannot be read."""
    message = str(exc).lower()
    # "vtable constructor failed": the search index's own tables could not be read.
    words = ("not a database", "malformed", "corrupt", "hmac", "i/o error", "vtable constructor")
    return any(word in message for word in words)


# --- units of work ------------------------------------------------------------


class UnitOfWork(Protocol):
    """What a service needs of the vault: sessions for its units of work, and who acts.

    ``actor`` and ``audit_key`` sign the audit rows the work writes.
    """

    actor: str
    audit_key: bytes

    def read(self) -> AbstractContextManager[Session]:
        """A session for reading."""
        ...

    def write(self) -> AbstractContextManager[Session]:
        """A session for one change, committed or rolled back as one."""
        ...

    def joined(self, session: Session) -> SessionUnit:
        """Units of work with the same actor, run inside ``session``, already open."""
        ...


@dataclass(eq=False)
class SessionUnit:
    """Units of work run inside one session that is already open: flushed, never committed.

    Every ``write()`` and ``read()`` yields ``session`` itself and flushes it at
    the end, so each call sees the changes of the calls before it. Nothing is
    committed here: whoever opened ``session`` commits all of it or rolls all
    of it back, so several services' calls made through one ``SessionUnit``
    leave nothing half-made when one of them fails.
    """

    session: Session
    actor: str
    audit_key: bytes = field(repr=False)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """The open session; flushed at the end, committed by its owner."""
        yield self.session
        self.session.flush()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """The open session, so a read sees this transaction's changes; flushed like ``write``."""
        yield self.session
        self.session.flush()

    def joined(self, session: Session) -> SessionUnit:
        """Units of work run inside ``session``, with this unit's actor."""
        return SessionUnit(session=session, actor=self.actor, audit_key=self.audit_key)


class AuditAnchor(Protocol):
    """Told of each committed write's newest audit row (``anchor.AnchorKeeper``)."""

    def audit_committed(self, row_id: int, row_hash: str) -> None: ...

    def close(self) -> None: ...


@dataclass
class Database:
    """The unlocked vault: engine, sessions, and the keys derived for this session."""

    #: What holds the record: ``"vault"``, this SQLCipher file; ``"server"`` for a shared
    #: server's database (``services.server``), whose backups, checks and keys are the
    #: server's own, so the vault's are not offered there.
    kind: ClassVar[str] = "vault"

    path: Path
    engine: Engine
    sessions: sessionmaker[Session]
    audit_key: bytes
    _key: bytearray
    actor: str = ""
    #: Keeps the audit log's anchor outside the database current; set by the vault.
    anchor: AuditAnchor | None = field(default=None, repr=False)
    #: What the unlock found wrong (damage, a log cut short, a key file edited).
    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._write_lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(
        cls, path: Path, key: bytearray, *, audit_key: bytes, busy_timeout: float = BUSY_TIMEOUT
    ) -> Database:
        """Open the vault's database with its raw key (no KDF at each open).

        ``busy_timeout``: how long each connection waits for another's write lock.
        """
        open_connection(path, key, busy_timeout=busy_timeout).close()  # fail early on a wrong key
        return cls.over(
            path,
            lambda: open_connection(path, key, busy_timeout=busy_timeout),
            audit_key=audit_key,
            key=key,
        )

    @classmethod
    def over(
        cls,
        path: Path,
        connect: Callable[[], sqlcipher.Connection],
        *,
        audit_key: bytes,
        key: bytearray,
    ) -> Database:
        """The vault's engine and sessions over connections ``connect`` opens (``open``;
        the benchmarks open a plain copy through it, so only the key differs)."""
        engine = create_engine(
            "sqlite://",
            module=sqlcipher,
            creator=connect,
            poolclass=QueuePool,
            pool_size=4,
            max_overflow=4,
        )

        @event.listens_for(engine, "connect")
        def _no_driver_transactions(dbapi_conn: Any, _record: Any) -> None:
            # SQLAlchemy's documented recipe: let the session, not the driver, BEGIN.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            mode = conn.info.pop("begin_mode", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        sessions = sessionmaker(bind=engine, expire_on_commit=False)
        return cls(path=path, engine=engine, sessions=sessions, audit_key=audit_key, _key=key)

    # -- units of work -------------------------------------------------------

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        self._check_open()
        session = self.sessions()
        try:
            yield session
        except (SAOperationalError, SADatabaseError) as exc:
            session.rollback()
            raise self._translate(exc) from exc
        finally:
            session.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one change: committed at the end, rolled back on any error."""
        self._check_open()
        head: tuple[int, str] | None = None
        with self._write_lock, self.engine.connect() as conn:
            # BEGIN IMMEDIATE: the write lock is taken before anything is read.
            conn.info["begin_mode"] = "IMMEDIATE"
            try:
                with conn.begin():
                    session = Session(bind=conn, expire_on_commit=False)
                    try:
                        yield session
                        session.flush()
                        head = session.info.get(HEAD_KEY)
                    finally:
                        session.close()
            except (SAOperationalError, SADatabaseError) as exc:
                raise self._translate(exc) from exc
        # Only once committed: an anchor ahead of the log would read as rows deleted.
        if head is not None and self.anchor is not None:
            self.anchor.audit_committed(*head)

    def joined(self, session: Session) -> SessionUnit:
        """Units of work run inside ``session``, a transaction already open (``SessionUnit``).

        For services called from within ``write()``: ``CaseService(db.joined(session))``
        makes its calls commit or roll back with the rest of that transaction.
        """
        return SessionUnit(session=session, actor=self.actor, audit_key=self.audit_key)

    def _translate(self, exc: BaseException) -> Exception:
        # The driver's own message: SQLAlchemy's text also holds the statement, whose words
        # ("full_name") must not read as the disk being full.
        cause = getattr(exc, "orig", None) or exc
        if is_damage(cause):
            return VaultDamaged()
        message = str(cause).lower()
        if "locked" in message or "busy" in message:
            return VaultBusy("The vault is busy with another change; try again in a moment.")
        if "full" in message:
            return OutputError("The disk is full: the change was not saved. Free some space.")
        return exc if isinstance(exc, Exception) else RuntimeError(str(exc))

    def _check_open(self) -> None:
        if self._closed:
            raise VaultLocked()

    # -- whole-file operations -----------------------------------------------

    def integrity_problems(self) -> list[str]:
        """SQLCipher's page HMAC check and SQLite's integrity check; empty when sound."""
        self._check_open()
        conn = open_connection(self.path, self._key)
        problems: list[str] = []
        try:
            # Kept as they come: SQLite's check stops at the first unreadable page, and the
            # page numbers SQLCipher found before it are what the report needs.
            problems += [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
            problems += [str(r[0]) for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        except sqlcipher.DatabaseError as exc:
            problems.append(str(exc))
        finally:
            conn.close()
        return problems

    def export_copy(self, target: Path) -> None:
        """An encrypted copy of the whole vault at ``target``, made by SQLCipher's export.

        The copy is written beside ``target`` and renamed into place, so a
        crash never leaves a partial backup under the final name.
        """
        self._check_open()
        target = Path(target)
        tmp = target.with_name(f".{target.name}.partial")
        create_private_file(tmp)  # 0600 before the first page is written, whatever the umask
        conn = open_connection(self.path, self._key)
        try:
            conn.execute(
                f"ATTACH DATABASE ? AS backup KEY \"x'{bytes(self._key).hex()}'\"", (str(tmp),)
            )
            conn.execute("SELECT sqlcipher_export('backup')")
            conn.execute("DETACH DATABASE backup")
        except sqlcipher.DatabaseError as exc:
            tmp.unlink(missing_ok=True)
            if is_damage(exc):
                # The vault's own pages failed to read: say so, not that the copy failed.
                raise VaultDamaged(
                    f"The vault is damaged ({exc}): no copy was made. Run cme check, and "
                    "restore the last good monthly save."
                ) from exc
            raise OutputError(f"The backup could not be written: {exc}.") from exc
        finally:
            conn.close()
        with open(tmp, "rb+") as fh:
            import os

            os.fsync(fh.fileno())
        tmp.replace(target)

    def open_other(self, path: Path) -> sqlcipher.Connection:
        """A connection to another file encrypted with this vault's key (a backup)."""
        self._check_open()
        return open_connection(Path(path), self._key)

    @property
    def key(self) -> bytearray:
        """The raw database key, while unlocked (for rewriting key slots)."""
        self._check_open()
        return self._key

    def close(self) -> None:
        """Lock: close every connection and forget the key."""
        if self._closed:
            return
        if self.anchor is not None:
            self.anchor.close()  # the anchor catches up with the last change before the key goes
        self._closed = True
        self.engine.dispose()
        for i in range(len(self._key)):
            self._key[i] = 0

    @property
    def closed(self) -> bool:
        return self._closed


def checkpoint(db: Database) -> None:
    """Fold the WAL back into the database file (before a copy or at lock)."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(text("SELECT 1"))
