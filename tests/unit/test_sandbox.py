"""The import sandbox: a hostile file is stopped, a parser's error arrives typed."""

from __future__ import annotations

import os
import pickle
import sys
import time
import types
from pathlib import Path

import pytest

from cme_desktop.services import errors
from cme_desktop.services.errors import (
    CmeError,
    CorruptFile,
    HostileFile,
    InvalidInput,
    PasswordRequired,
    WrongPassword,
)
from cme_desktop.services.importing.read import read_file_isolated
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.importing.sandbox import run_isolated

# The functions the child runs must be importable by name, so they live at top level.


def add(a: int, b: int, *, times: int = 1) -> int:
    return (a + b) * times


def loop_forever() -> None:
    while True:
        pass


def allocate_2gb() -> int:
    return len(bytearray(2 * 1024 * 1024 * 1024))


def allocate_gradually() -> int:
    chunks = []
    for _ in range(200):  # 200 × 16 MB: far past the limit long before the end
        chunks.append(bytearray(16 * 1024 * 1024))
    return len(chunks)


def recurse(depth: int = 0) -> int:
    return recurse(depth + 1) + 1  # as a naive parser does on a deeply nested structure


def segfault() -> None:
    import ctypes

    ctypes.string_at(0)  # what a crash in a C library looks like


def raise_wrong_password() -> None:
    raise WrongPassword("That password does not open referral.docx.")


def raise_invalid_input() -> None:
    raise InvalidInput("The date of birth is in the future.", field="date_of_birth")


def raise_bug() -> None:
    raise ValueError("a parser's own bug")


def die() -> None:
    os._exit(3)


def unpicklable_result() -> object:
    return lambda: None


def loaded_modules() -> list[str]:
    return sorted(sys.modules)


def stand_in_pdf(data: bytes, *, password: str | None, source: str) -> list[ParsedReferral]:
    if password is None:
        raise PasswordRequired()
    if password != "Correct-Horse-7":
        raise WrongPassword()
    return [ParsedReferral(referral={"schema": "cme-referral/1"}, source=source)]


def test_the_result_comes_back() -> None:
    assert run_isolated(add, 2, 3, times=4) == 20


def test_a_parser_that_loops_forever_is_stopped_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(HostileFile, match="took too long to read and was stopped"):
        run_isolated(loop_forever, timeout_s=1)
    assert time.monotonic() - started < 8


def test_allocating_2_gb_is_stopped_by_the_memory_limit() -> None:
    with pytest.raises(HostileFile, match="needed too much memory"):
        run_isolated(allocate_2gb, memory_mb=256)


def test_memory_eaten_a_little_at_a_time_is_stopped_too() -> None:
    with pytest.raises(HostileFile, match="needed too much memory"):
        run_isolated(allocate_gradually, memory_mb=256)


def test_runaway_recursion_is_stopped() -> None:
    with pytest.raises(HostileFile, match="nested too deeply to read and was stopped"):
        run_isolated(recurse)


def test_a_cme_error_in_the_child_arrives_typed_with_its_message() -> None:
    with pytest.raises(WrongPassword) as caught:
        run_isolated(raise_wrong_password)
    assert caught.value.message == "That password does not open referral.docx."
    assert caught.value.exit_code == 3


def test_an_error_with_extra_details_keeps_them() -> None:
    with pytest.raises(InvalidInput) as caught:
        run_isolated(raise_invalid_input)
    assert caught.value.message == "The date of birth is in the future."
    assert caught.value.field == "date_of_birth"


def test_a_parser_bug_is_raised_as_it_was_with_the_child_traceback() -> None:
    with pytest.raises(ValueError, match="a parser's own bug") as caught:
        run_isolated(raise_bug)
    assert any("raise_bug" in note for note in caught.value.__notes__)


def test_a_child_that_dies_becomes_hostile_file() -> None:
    with pytest.raises(HostileFile, match="failed badly and was stopped"):
        run_isolated(die)


def test_a_crash_in_a_c_library_becomes_hostile_file() -> None:
    with pytest.raises(HostileFile, match="failed badly and was stopped"):
        run_isolated(segfault)


def test_a_result_that_cannot_cross_is_reported() -> None:
    with pytest.raises(RuntimeError, match="The import process failed"):
        run_isolated(unpicklable_result)


def test_a_function_that_cannot_be_sent_is_refused_before_anything_runs() -> None:
    with pytest.raises((pickle.PicklingError, AttributeError)):
        run_isolated(lambda: 1)


def test_the_child_imports_no_parser_library_and_no_qt() -> None:
    loaded = run_isolated(loaded_modules)
    assert "cme_desktop.services.importing.read" in loaded
    for heavy in ("PySide6", "olefile", "pikepdf", "pypdf", "docx", "msoffcrypto"):
        assert heavy not in loaded, heavy
    assert not any(name.startswith("sqlalchemy") for name in loaded)


def test_the_child_does_not_run_the_main_script_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A main script like the one "cme-desktop" runs, whose imports cost seconds.
    marker = tmp_path / "main-ran"
    script = tmp_path / "heavy_main.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)

    assert run_isolated(add, 1, 2) == 3
    assert not marker.exists()
    assert sys.modules["__main__"] is main


def test_read_file_isolated_refuses_a_wrong_password_and_takes_the_right_one() -> None:
    pdf = b"%PDF-1.7\n" + b"0" * 100
    parsers = {"pdf": stand_in_pdf}
    with pytest.raises(WrongPassword):
        read_file_isolated(pdf, filename="referral.pdf", password="guess", parsers=parsers)
    (referral,) = read_file_isolated(
        pdf, filename="referral.pdf", password="Correct-Horse-7", parsers=parsers
    )
    assert referral.source == "referral.pdf"


def _all_errors() -> list[type[CmeError]]:
    found: list[type[CmeError]] = []
    pending: list[type[CmeError]] = [CmeError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_in_errors_py_crosses_a_process_boundary_intact() -> None:
    classes = [c for c in _all_errors() if c.__module__ == errors.__name__]
    assert {CorruptFile, HostileFile, WrongPassword, PasswordRequired} <= set(classes)
    for cls in classes:
        for error in (cls(), cls("A message written for this test.")):
            copy = pickle.loads(pickle.dumps(error))
            assert type(copy) is cls
            assert copy.message == error.message
            assert str(copy) == str(error)
            assert copy.exit_code == error.exit_code
