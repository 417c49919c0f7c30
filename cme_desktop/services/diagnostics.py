"""What the helpdesk needs when something goes wrong: the version, a log, a record of crashes.

``version_line()`` is what ``--version`` prints. ``start_log(program)`` writes
the log of one run of a program to ``<program>.log`` in the user's log folder
(``platformdirs.user_log_dir``; ``%LOCALAPPDATA%\\CME Desktop\\Logs`` on
Windows), rotated at ``MAX_LOG_BYTES`` with ``LOG_BACKUPS`` old files kept, and
points ``faulthandler`` at ``<program>-faults.log`` beside it, so that even a
crash inside Qt or SQLCipher leaves the Python stack behind.
``install_exception_hooks`` logs every exception nothing caught, on any thread,
and tells the window so it can say so instead of vanishing.
``diagnostics_text`` is what "Copy diagnostics" gives the helpdesk.

The log holds no personal data, as the audit log's text: ids and kinds of
things only. Never a name, and never the path of one of the officer's files (a
path may hold a child's name): a file is logged by its kind and size. An
exception is logged by its type and the lines of code it passed through, never
by its message, which may quote a value from a case.

Only the standard library and ``platformdirs`` are loaded here: ``cme --version``
and ``cme --help`` stay quick.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Final

__all__ = [
    "LOG_BACKUPS",
    "LOGGER",
    "MAX_LOG_BYTES",
    "PRODUCT",
    "LogSession",
    "describe_exception",
    "diagnostics_text",
    "install_exception_hooks",
    "last_lines",
    "log_folder",
    "log_unexpected",
    "start_log",
    "version",
    "version_line",
]

PRODUCT: Final = "CME Desktop"
#: The logger every module of the application logs under (``logging.getLogger(__name__)``).
LOGGER: Final = "cme_desktop"
#: A log file is rotated past this size; with ``LOG_BACKUPS`` old ones, ~6 MB at most.
MAX_LOG_BYTES: Final = 1_000_000
LOG_BACKUPS: Final = 5
#: Lines of the log that "Copy diagnostics" includes.
DIAGNOSTIC_LINES: Final = 40

_FORMAT = "%(asctime)s {program}[%(process)d] %(levelname)s %(name)s: %(message)s"
_log = logging.getLogger(__name__)


def version() -> str:
    """The version of CME Desktop (``0.1.0``), as the package states it.

    Not read from the installed distribution's metadata: a frozen build may carry none,
    and loading ``importlib.metadata`` costs the start-up some 30 ms before the first
    window (a test holds the two equal).
    """
    from cme_desktop import __version__

    return __version__


def version_line() -> str:
    """What ``--version`` prints: ``CME Desktop 0.1.0``."""
    return f"{PRODUCT} {version()}"


def log_folder() -> Path:
    """Where the logs are kept: the user's log folder for CME Desktop."""
    import platformdirs  # only a program that writes a log needs it

    return Path(platformdirs.user_log_dir(PRODUCT, appauthor=False))


@dataclass
class LogSession:
    """The log of one run of a program; ``close()`` when the program ends.

    ``path`` and ``faults_path`` are ``None`` when the folder cannot be
    written to: the program then runs without them.
    """

    program: str
    path: Path | None = None
    faults_path: Path | None = None
    _handler: logging.Handler | None = field(default=None, repr=False)
    _faults: IO[str] | None = field(default=None, repr=False)
    _level: int = field(default=logging.NOTSET, repr=False)
    _faults_before: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Stop writing: the handler and the fault file are closed, the logger as before."""
        logger = logging.getLogger(LOGGER)
        if self._handler is not None:
            _log.info("%s stopped", self.program)
            logger.removeHandler(self._handler)
            self._handler.close()
            logger.setLevel(self._level)
            self._handler = None
        if self._faults is not None:
            faulthandler.disable()
            if self._faults_before and sys.__stderr__ is not None:
                faulthandler.enable(file=sys.__stderr__)
            self._faults.close()
            self._faults = None

    def __enter__(self) -> LogSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_log(program: str, folder: Path | None = None) -> LogSession:
    """Log this run of ``program`` (``cme-desktop``, ``cme``) to a rotating file in ``folder``
    (default: ``log_folder()``), and fatal errors (``faulthandler``) to a file beside it.

    Never raises for want of a place to write: a program without a log still runs.
    """
    folder = folder if folder is not None else log_folder()
    session = LogSession(program)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / f"{program}.log",
            maxBytes=MAX_LOG_BYTES,
            backupCount=LOG_BACKUPS,
            encoding="utf-8",
        )
    except OSError:
        return session
    handler.setFormatter(logging.Formatter(_FORMAT.format(program=program)))
    logger = logging.getLogger(LOGGER)
    session._level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    session._handler = handler
    session.path = folder / f"{program}.log"
    faults_path = folder / f"{program}-faults.log"
    try:
        # Crashes are rare and each leaves a few kilobytes; a file grown large starts afresh.
        too_big = faults_path.exists() and faults_path.stat().st_size > MAX_LOG_BYTES
        session._faults = faults_path.open("w" if too_big else "a", encoding="utf-8")
    except OSError:
        pass
    else:
        session._faults_before = faulthandler.is_enabled()
        faulthandler.enable(file=session._faults, all_threads=True)
        session.faults_path = faults_path
    _log.info(
        "%s started: %s, Python %s, %s",
        program,
        version_line(),
        platform.python_version(),
        platform.platform(terse=True),
    )
    return session


# --- exceptions ------------------------------------------------------------------------------


def describe_exception(error: BaseException) -> str:
    """A traceback of ``error`` and the errors it came from, without their messages.

    The type and the code it passed through tell the helpdesk where it failed;
    the message may quote a name or a file's path, so it is left out.
    """
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The error above was caused by this one:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "The error above happened while handling this:"
        else:
            current = None
    lines: list[str] = []
    for number, (found, link) in enumerate(chain):
        if number:
            lines += ["", link]
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(found.__traceback__).format():
            lines += frame.rstrip("\n").splitlines()
        kind = type(found)
        lines.append(f"{kind.__module__}.{kind.__qualname__} (its message is not logged)")
    return "\n".join(lines)


def log_unexpected(error: BaseException, where: str) -> None:
    """Log an error nothing was written to handle, with ``describe_exception``'s traceback."""
    _log.error("unexpected error in %s:\n%s", where, describe_exception(error))


def install_exception_hooks(on_error: Callable[[], None] | None = None) -> Callable[[], None]:
    """Log every exception nothing caught, on the main thread or any other, then call
    ``on_error`` (from the thread it happened on). Returns what puts the hooks back.

    Ctrl+C in a terminal still stops the program as before.
    """
    previous_hook = sys.excepthook
    previous_thread_hook = threading.excepthook

    def main_hook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous_hook(kind, value, tb)
            return
        if value.__traceback__ is None and tb is not None:
            value = value.with_traceback(tb)
        log_unexpected(value, "the main thread")
        if on_error is not None:
            on_error()

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return  # a thread that ends itself this way is not an error (as Python's own hook)
        name = "a background thread" if args.thread is None else f"thread {args.thread.name!r}"
        log_unexpected(args.exc_value, name)
        if on_error is not None:
            on_error()

    sys.excepthook = main_hook
    threading.excepthook = thread_hook

    def restore() -> None:
        sys.excepthook = previous_hook
        threading.excepthook = previous_thread_hook

    return restore


# --- what the helpdesk is given --------------------------------------------------------------


def last_lines(path: Path | None, count: int = DIAGNOSTIC_LINES) -> list[str]:
    """The last ``count`` lines of the log at ``path`` (none if it cannot be read)."""
    if path is None:
        return []
    try:
        with path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - 200 * count))
            tail = file.read()
    except OSError:
        return []
    lines = tail.decode("utf-8", "replace").splitlines()
    return lines[-count:]


def diagnostics_text(*, vault_path: Path | None, log: LogSession | None, toolkit: str = "") -> str:
    """What "Copy diagnostics" gives the helpdesk: versions, system, the vault's place,
    and the end of the log (which holds nothing personal)."""
    frozen = "yes" if getattr(sys, "frozen", False) else "no"
    lines = [
        version_line(),
        f"Operating system: {platform.platform()}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
    ]
    if toolkit:
        lines.append(f"Qt: {toolkit}")
    lines += [
        f"Installed build: {frozen}",
        f"Vault: {vault_path if vault_path is not None else 'none open'}",
        f"Log: {log.path if log is not None and log.path is not None else 'not written'}",
        f"Crash record: {log.faults_path if log is not None and log.faults_path else 'none'}",
        "",
        f"The last lines of the log ({DIAGNOSTIC_LINES} at most):",
        *last_lines(log.path if log is not None else None),
    ]
    return "\n".join(lines)
