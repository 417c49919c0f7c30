"""The helpdesk's diagnostics, without a screen: the version, the log, the crash record, the
exception hooks, and what "Copy diagnostics" gives."""

from __future__ import annotations

import logging
import logging.handlers
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

import cme_desktop
from cme_desktop.services import diagnostics
from cme_desktop.services.diagnostics import (
    LOG_BACKUPS,
    LOGGER,
    MAX_LOG_BYTES,
    describe_exception,
    diagnostics_text,
    install_exception_hooks,
    last_lines,
    start_log,
)

CHILD = "Amelia Quartermain-Example"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[diagnostics.LogSession]:
    session = start_log("cme-test", tmp_path / "logs")
    yield session
    session.close()


def _text(session: diagnostics.LogSession) -> str:
    assert session.path is not None
    return session.path.read_text(encoding="utf-8")


def _failure() -> ValueError:
    """A ValueError whose message names a child, raised and caught: it has a traceback."""
    try:
        try:
            {}[CHILD]  # noqa: B018 - the KeyError is the point
        except KeyError as missing:
            raise ValueError(f"no case for {CHILD} at C:/Users/officer/{CHILD}.docx") from missing
    except ValueError as error:
        return error
    raise AssertionError("unreachable")


# --- the version ------------------------------------------------------------------------


def test_the_version_is_the_installed_distributions_and_the_packages() -> None:
    assert diagnostics.version() == metadata.version("cme-desktop") == cme_desktop.__version__
    assert diagnostics.version_line() == f"CME Desktop {cme_desktop.__version__}"


def test_without_distribution_metadata_the_package_says_the_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert diagnostics.version() == cme_desktop.__version__


# --- the log ----------------------------------------------------------------------------


def test_the_log_is_a_rotating_file_in_the_folder_given(log: diagnostics.LogSession) -> None:
    assert log.path is not None and log.path.name == "cme-test.log"
    handlers = [
        h
        for h in logging.getLogger(LOGGER).handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    assert [(h.maxBytes, h.backupCount) for h in handlers] == [(MAX_LOG_BYTES, LOG_BACKUPS)]
    logging.getLogger("cme_desktop.services.cases").info("case %d opened", 42)
    text = _text(log)
    assert f"cme-test started: CME Desktop {cme_desktop.__version__}" in text
    assert "INFO cme_desktop.services.cases: case 42 opened" in text


def test_closing_the_log_stops_writing_and_puts_the_logger_back(tmp_path: Path) -> None:
    logger = logging.getLogger(LOGGER)
    before = (list(logger.handlers), logger.level)
    session = start_log("cme-test", tmp_path)
    session.close()
    logger.info("after the end")
    assert "stopped" in _text(session)
    assert "after the end" not in _text(session)
    assert (list(logger.handlers), logger.level) == before


def test_a_log_grown_past_its_size_is_rotated(log: diagnostics.LogSession) -> None:
    line = "x" * 1000
    for _ in range(MAX_LOG_BYTES // 1000 + 50):
        logging.getLogger(LOGGER).info(line)
    assert log.path is not None
    assert (log.path.parent / "cme-test.log.1").exists()
    assert log.path.stat().st_size < MAX_LOG_BYTES


def test_a_folder_that_cannot_be_written_gives_a_program_without_a_log(tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    session = start_log("cme-test", blocked / "logs")
    try:
        assert (session.path, session.faults_path) == (None, None)
        assert "Log: not written" in diagnostics_text(vault_path=None, log=session)
    finally:
        session.close()


def test_a_hard_crash_leaves_its_stack_in_the_fault_record(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import faulthandler
        from pathlib import Path
        from cme_desktop.services.diagnostics import start_log
        start_log("cme-test", Path({str(tmp_path)!r}))
        faulthandler._sigsegv()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode != 0
    record = (tmp_path / "cme-test-faults.log").read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in record
    assert 'File "<string>", line 6' in record


# --- exceptions -------------------------------------------------------------------------


def test_an_exception_is_described_by_type_and_code_never_by_its_message() -> None:
    described = describe_exception(_failure())
    assert CHILD not in described
    assert 'raise ValueError(f"no case for {CHILD}' in described  # the code, not the values
    assert "builtins.ValueError (its message is not logged)" in described
    assert "builtins.KeyError (its message is not logged)" in described
    assert "The error above was caused by this one:" in described
    assert "in _failure" in described


def test_the_hooks_log_errors_on_every_thread_and_say_so(
    log: diagnostics.LogSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    told: list[str] = []
    restore = install_exception_hooks(lambda: told.append(threading.current_thread().name))
    try:
        error = _failure()
        sys.excepthook(type(error), error, error.__traceback__)

        def fail() -> None:
            raise RuntimeError(f"{CHILD} in a thread")

        worker = threading.Thread(target=fail, name="worker")
        worker.start()
        worker.join()
        ended = threading.Thread(target=sys.exit, name="ending")
        ended.start()
        ended.join()
    finally:
        restore()
    assert told == ["MainThread", "worker"]  # a thread's SystemExit is not an error
    text = _text(log)
    assert "unexpected error in the main thread" in text
    assert "unexpected error in thread 'worker'" in text
    assert "builtins.RuntimeError (its message is not logged)" in text
    assert CHILD not in text


def test_ctrl_c_still_reaches_the_hook_before(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(kind))
    told: list[bool] = []
    restore = install_exception_hooks(lambda: told.append(True))
    try:
        sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    finally:
        restore()
    assert (seen, told) == ([KeyboardInterrupt], [])


def test_restoring_puts_back_the_hooks_there_were() -> None:
    before = (sys.excepthook, threading.excepthook)
    install_exception_hooks()()
    assert (sys.excepthook, threading.excepthook) == before


# --- what the helpdesk is given ---------------------------------------------------------


def test_the_diagnostics_hold_versions_places_and_the_end_of_the_log(
    log: diagnostics.LogSession, tmp_path: Path
) -> None:
    for number in range(100):
        logging.getLogger(LOGGER).info("line %d", number)
    text = diagnostics_text(vault_path=tmp_path / "cases.cme", log=log, toolkit="6.11.3")
    assert text.splitlines()[0] == f"CME Desktop {cme_desktop.__version__}"
    assert f"Python: {sys.version.split()[0]}" in text
    assert "Qt: 6.11.3" in text
    assert f"Vault: {tmp_path / 'cases.cme'}" in text
    assert f"Log: {log.path}" in text
    assert text.rstrip().endswith("line 99")
    assert "line 59" not in text  # the last 40 lines only


def test_the_last_lines_of_a_missing_log_are_none(tmp_path: Path) -> None:
    assert last_lines(tmp_path / "missing.log") == []
    assert last_lines(None) == []
