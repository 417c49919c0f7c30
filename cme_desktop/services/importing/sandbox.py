"""Reading a file from outside in a separate process, so that a hostile file cannot hurt.

A referral arrives by email from anyone. A file built to hang a parser (a
decompression bomb, a loop in a PDF's object graph, a deeply nested message)
must not freeze the officer's window or exhaust the laptop; ``run_isolated``
runs the parser in a child process, waits at most ``timeout_s`` seconds, and
turns a child that runs too long, runs out of memory or dies into
``HostileFile``. The child's own ``CmeError`` (a wrong password, a damaged
file) arrives in this process as the same type with the same message.
``read.read_file_isolated`` reads a referral file this way; the window and
``cme import`` run the email and pupil report readers through it too.

Decisions written down so they can be challenged:

- The child is started with ``spawn`` on every system: it is the only method
  Windows has, and it starts a fresh interpreter, so the child never holds a
  copy of this process's memory (the vault's key, open cases). The function
  and its arguments must therefore be picklable: top-level functions only.
- Start-up is kept short by importing in the child only the function's module
  and what the parser itself imports on use (``importing.read`` loads no
  parser at import time). ``spawn`` would also run the main script again in the child
  (for objects defined in ``__main__``); launched as ``cme-desktop``, that
  script imports the whole window, Qt and the database layer, seconds per
  file. The functions run here are never in ``__main__``, so the child is
  started while a bare ``__main__`` stands in for the real one (a moment,
  under a lock). A frozen Windows build must still call
  ``multiprocessing.freeze_support()`` first thing.
- The child holds no secret and can do little: it starts with a clean
  environment (no ``CME_PASSPHRASE``), inherits no descriptor but its pipes and,
  on Linux, runs without new privileges, in its own user and network namespace
  where the system permits one (no network). Its memory is limited: on POSIX its
  address space (``RLIMIT_AS``) to what it uses after start-up plus
  ``memory_mb`` (macOS accepts the limit but does not enforce it), on Windows by
  a Job Object. Allocations past it fail with ``MemoryError``. How, and why so,
  is in ``isolation``.
- An exception in the child that is not a ``CmeError`` is a parser's own bug,
  not the file's fault: it is raised again here as it was (when it can be
  pickled; else as ``RuntimeError``), with the child's traceback as a note,
  so that isolation never hides a bug behind an officer's message.
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final, TypeVar, cast

from cme_desktop.services.errors import CmeError, HostileFile
from cme_desktop.services.importing.isolation import SandboxProcess, confine

__all__ = ["DEFAULT_MEMORY_MB", "DEFAULT_TIMEOUT_S", "run_isolated"]

DEFAULT_TIMEOUT_S: Final = 20.0
DEFAULT_MEMORY_MB: Final = 512

TOO_LONG: Final = (
    "The file took too long to read and was stopped: it may be damaged or built to cause harm."
)
TOO_MUCH_MEMORY: Final = (
    "The file needed too much memory to read and was stopped: it may be damaged or built to "
    "cause harm."
)
TOO_COMPLEX: Final = (
    "The file is nested too deeply to read and was stopped: it may be damaged or built to "
    "cause harm."
)
CRASHED: Final = (
    "Reading the file failed badly and was stopped: it may be damaged or built to cause harm."
)

_R = TypeVar("_R")


def run_isolated(
    func: Callable[..., _R],
    /,
    *args: Any,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    **kwargs: Any,
) -> _R:
    """``func(*args, **kwargs)`` run in a separate process, with a time and memory limit.

    ``func`` must be a top-level function. Returns its result; raises again
    the ``CmeError`` it raised, typed and with its message; raises
    ``HostileFile`` when it runs longer than ``timeout_s`` seconds, needs more
    than ``memory_mb`` MB (POSIX only, see the module notes), recurses too
    deeply, or the child process dies.
    """
    receiver, sender = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = SandboxProcess(
        target=_child_main,
        args=(sender, memory_mb, func, args, kwargs),
        name="cme-import-sandbox",
        daemon=True,
    )
    child.memory_mb = memory_mb
    try:
        with _bare_main_module():
            child.start()
        # Only the child may hold the sending end, so that its death reads as EOF here.
        sender.close()
        if not receiver.poll(timeout_s):
            child.kill()
            raise HostileFile(TOO_LONG)
        try:
            status, payload = receiver.recv()
        except EOFError:
            raise HostileFile(CRASHED) from None
    finally:
        receiver.close()
        sender.close()
        _stop(child)
    return cast(_R, _outcome(status, payload))


_START_LOCK = threading.Lock()


@contextmanager
def _bare_main_module() -> Iterator[None]:
    """Let a child start without running the main script again (see the module notes)."""
    with _START_LOCK:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is None:
                del sys.modules["__main__"]
            else:
                sys.modules["__main__"] = main


def _outcome(status: str, payload: Any) -> Any:
    if status == "ok":
        return payload
    if status == "memory":
        raise HostileFile(TOO_MUCH_MEMORY)
    if status == "recursion":
        raise HostileFile(TOO_COMPLEX)
    if isinstance(payload, BaseException):
        raise payload
    raise RuntimeError(f"The import process failed:\n{payload}")


def _stop(child: BaseProcess) -> None:
    if child.pid is None:  # never started
        return
    child.join(2)
    if child.is_alive():
        child.kill()
        child.join(5)
    if not child.is_alive():
        child.close()


def _child_main(
    sender: Connection,
    memory_mb: int,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """The child's side: confine itself, run ``func``, send back what came of it."""
    try:
        confine(memory_mb)
        try:
            message: tuple[str, Any] = ("ok", func(*args, **kwargs))
        except CmeError as error:
            message = ("error", error)
        except MemoryError:
            message = ("memory", None)
        except RecursionError:
            message = ("recursion", None)
        except Exception as error:  # a parser's bug: sent back whole, see the module notes
            error.add_note("In the import process:\n" + traceback.format_exc())
            message = ("bug", error)
        _send(sender, message)
    finally:
        sender.close()


def _send(sender: Connection, message: tuple[str, Any]) -> None:
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", None))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        # The result or the error will not cross: send what it was, as text.
        detail = "".join(traceback.format_exception(error))
        sender.send(("bug", f"{message[0]}: {message[1]!r}\n{detail}"))
