"""How the import sandbox's child is started and confined: nothing worth stealing, little it can do.

``sandbox.run_isolated`` runs a parser in a child process. This module starts
that child (``SandboxProcess``) and confines it (``confine``, the first thing the
child does). The child reads files from anyone, so it is treated as a program
that may be taken over by the file it reads.

Decisions written down so they can be challenged:

- A clean environment. The child gets ``child_environment(os.environ)``: only
  what an interpreter needs to start (the system's folders, locale, time zone,
  temporary folder, a frozen build's own variables), never a ``CME_`` variable
  (``CME_PASSPHRASE``), a token, a keyring or a proxy setting. The environment
  is handed to the operating system's process start itself (``subprocess`` on
  POSIX, ``CreateProcess`` on Windows), so the child never holds the secret,
  even for a moment. ``os.environ`` of this process is never changed to do it:
  changing it while other threads read it is a data race in the C library.
- multiprocessing's own start-up protocol is kept (the command line of
  ``spawn.get_command_line``, the preparation data and the process object
  written to a pipe), so a frozen build's ``multiprocessing.freeze_support()``
  recognises the child and the same code runs from source and from the
  PyInstaller build. Only the launch itself is replaced.
- POSIX: every descriptor but the two pipes to this process is closed at the
  start (``close_fds``); stdin and stdout are ``/dev/null``, and stderr too when
  it is a socket (a service's log). multiprocessing's resource tracker is not
  shared with the child: the child needs none, and it would be one more channel.
  ``subprocess`` started the child, so it alone reaps it.
- ``confine``, first thing in the child. Linux: ``no_new_privs`` (no set-uid
  program can give it more rights); not dumpable (a crash in a C parser leaves no
  core file holding the decrypted form, and no process of the user can attach
  to it); a new user and network namespace where the system permits one, so it
  has no network at all, not even 127.0.0.1, and cannot trace this process;
  where it does not (some containers), it keeps the network of the user but no
  socket is inherited. POSIX: no core files, no new processes
  (``RLIMIT_NPROC`` 0) and the address space limited to what it uses after
  start-up plus ``memory_mb`` (``RLIMIT_AS``; macOS accepts but does not
  enforce it).
- Windows: the child starts suspended, is put into a Job Object with a memory
  limit (``memory_mb`` plus ``WINDOWS_START_MB`` for the interpreter), one
  active process (it cannot start another), no error dialog on a crash, and
  "kill on close" (it cannot outlive this process), and only then resumes. Where
  the job cannot be made (a system that forbids nested jobs) it runs with the
  timeout only, as before. The child runs as the same user at the same
  integrity level: multiprocessing passes it the pipe by letting it duplicate a
  handle of this process, so it is not isolated from this process as it is on
  Linux with namespaces.
"""

from __future__ import annotations

import ctypes
import io
import os
import stat
import subprocess
import sys
from collections.abc import Mapping
from multiprocessing import context as mp_context
from multiprocessing import reduction, spawn, util
from multiprocessing.process import BaseProcess
from typing import Any, Final

__all__ = [
    "WINDOWS_START_MB",
    "JobLimits",
    "SandboxProcess",
    "child_environment",
    "confine",
    "job_limits",
]

_MB: Final = 1024 * 1024

# --- the environment ------------------------------------------------------------------

#: Variables an interpreter (and a frozen build's loader) needs, compared in capitals.
_KEPT: Final = frozenset(
    {
        # POSIX: the locale decides the file system encoding; the time zone, local dates.
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        # Windows: Python cannot start without SYSTEMROOT; the rest name system folders.
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "TEMP",
        "TMP",
        "PATHEXT",
        "NUMBER_OF_PROCESSORS",
        "PROCESSOR_ARCHITECTURE",
        "PROCESSOR_ARCHITEW6432",
        # Both: where the system's programs and libraries are.
        "PATH",
        # How Python itself starts (never a path to our code: that comes with the process).
        "PYTHONHOME",
        "PYTHONIOENCODING",
        "PYTHONUTF8",
        # PyInstaller's loader finds its unpacked files with these.
        "_MEIPASS2",
    }
)
_KEPT_PREFIXES: Final = ("LC_", "_PYI_")


def child_environment(parent: Mapping[str, str]) -> dict[str, str]:
    """The environment the sandbox's child starts with: what an interpreter needs, nothing else.

    Keeps the variables of ``_KEPT`` and the ``LC_*`` and ``_PYI_*`` ones;
    drops every other, and every ``CME_`` variable whatever its name.
    """
    kept: dict[str, str] = {}
    for name, value in parent.items():
        upper = name.upper()
        if upper.startswith("CME_"):
            continue
        if upper in _KEPT or upper.startswith(_KEPT_PREFIXES):
            kept[name] = value
    return kept


# --- starting the child ------------------------------------------------------------------


class SandboxProcess(BaseProcess):
    """A ``spawn`` process started with a clean environment and confined (see the module notes).

    ``memory_mb`` is the child's memory limit; on Windows it is set from this side,
    by the Job Object, before the child runs.
    """

    _start_method = "spawn"
    memory_mb: int = 512

    @staticmethod
    def _Popen(process_obj: BaseProcess) -> Any:  # noqa: N802 - multiprocessing's name
        if sys.platform == "win32":
            return _WindowsPopen(process_obj)
        else:  # both branches stand, for the type checker's platform checks
            return _PosixPopen(process_obj)

    @staticmethod
    def _after_fork() -> None:
        """Nothing to do: the child is a fresh interpreter, not a fork."""


if sys.platform != "win32":
    from multiprocessing import popen_spawn_posix

    class _PosixPopen(popen_spawn_posix.Popen):
        """multiprocessing's ``spawn`` launch, with a clean environment and only the pipes."""

        _fds: list[int]
        _process: subprocess.Popen[bytes]

        def _launch(self, process_obj: BaseProcess) -> None:
            data = io.BytesIO()
            mp_context.set_spawning_popen(self)
            try:
                reduction.dump(spawn.get_preparation_data(process_obj.name), data)
                reduction.dump(process_obj, data)
            finally:
                mp_context.set_spawning_popen(None)
            parent_r = child_w = child_r = parent_w = None
            try:
                parent_r, child_w = os.pipe()
                child_r, parent_w = os.pipe()
                # No tracker_fd: the child shares no resource tracker (see the module notes).
                command = spawn.get_command_line(pipe_handle=child_r)
                self._fds.extend([child_r, child_w])
                self._process = subprocess.Popen(
                    command,
                    executable=spawn.get_executable(),
                    env=child_environment(os.environ),
                    close_fds=True,
                    pass_fds=sorted(set(self._fds)),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL if _is_socket(2) else None,
                )
                self.pid = self._process.pid
                self.sentinel = parent_r
                with open(parent_w, "wb", closefd=False) as pipe:
                    pipe.write(data.getbuffer())
            finally:
                self.finalizer = util.Finalize(
                    self, _close_fds, tuple(fd for fd in (parent_r, parent_w) if fd is not None)
                )
                for fd in (child_r, child_w):
                    if fd is not None:
                        os.close(fd)

        def poll(self, flag: int = os.WNOHANG) -> int | None:
            if self.returncode is None:
                self.returncode = (
                    self._process.poll() if flag == os.WNOHANG else self._process.wait()
                )
            return self.returncode

    def _close_fds(*fds: int) -> None:
        for fd in fds:
            os.close(fd)

    def _is_socket(fd: int) -> bool:
        try:
            return stat.S_ISSOCK(os.fstat(fd).st_mode)
        except OSError:
            return False


# --- confining the child (it runs this first) ------------------------------------------------

_PR_SET_DUMPABLE: Final = 4
_PR_SET_NO_NEW_PRIVS: Final = 38
_CLONE_NEWUSER: Final = 0x10000000
_CLONE_NEWNET: Final = 0x40000000


def confine(memory_mb: int) -> None:
    """Confine the current process, the sandbox's child, as the module notes say.

    Each step the system refuses is left out; the timeout still bounds the child.
    """
    if sys.platform.startswith("linux"):
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _prctl(_PR_SET_DUMPABLE, 0)
        _unshare(_CLONE_NEWUSER | _CLONE_NEWNET)
    if sys.platform != "win32":  # on Windows the Job Object was set from the parent's side
        import resource

        _lower(resource.RLIMIT_CORE, 0)
        _lower(resource.RLIMIT_NPROC, 0)
        _lower(resource.RLIMIT_AS, _address_space_in_use() + memory_mb * _MB)


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> bool:
    try:
        zero = ctypes.c_ulong(0)
        result = _libc().prctl(ctypes.c_int(option), ctypes.c_ulong(value), zero, zero, zero)
    except (OSError, AttributeError):
        return False
    return bool(result == 0)


def _unshare(flags: int) -> bool:
    """Move into new namespaces; False where the system does not permit it (containers)."""
    try:
        if hasattr(os, "unshare"):  # Python 3.12 and later
            os.unshare(flags)
            return True
        return bool(_libc().unshare(ctypes.c_int(flags)) == 0)
    except (OSError, AttributeError):
        return False


if sys.platform != "win32":

    def _lower(which: int, limit: int) -> None:
        import resource

        try:
            _, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(which, (limit, hard))
        except (ValueError, OSError):
            return  # a system that refuses the limit keeps the timeout

    def _address_space_in_use() -> int:
        """The process's virtual memory size now, in bytes (0 where the system does not say)."""
        try:
            with open("/proc/self/statm", "rb") as statm:
                pages = int(statm.read().split()[0])
        except (OSError, ValueError, IndexError):
            return 0
        return pages * os.sysconf("SC_PAGE_SIZE")


# --- Windows: a Job Object ----------------------------------------------------------------

#: What the interpreter and the parsers' libraries take before a file is read.
WINDOWS_START_MB: Final = 160

_JOB_OBJECT_LIMIT_ACTIVE_PROCESS: Final = 0x00000008
_JOB_OBJECT_LIMIT_PROCESS_MEMORY: Final = 0x00000100
_JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION: Final = 0x00000400
_JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: Final = 0x00002000
_JOB_OBJECT_EXTENDED_LIMIT_INFORMATION: Final = 9  # the JOBOBJECTINFOCLASS value
_CREATE_SUSPENDED: Final = 0x00000004


class _BasicLimits(ctypes.Structure):
    """``JOBOBJECT_BASIC_LIMIT_INFORMATION``."""

    _fields_ = [
        ("PerProcessUserTimeLimit", ctypes.c_int64),
        ("PerJobUserTimeLimit", ctypes.c_int64),
        ("LimitFlags", ctypes.c_uint32),
        ("MinimumWorkingSetSize", ctypes.c_size_t),
        ("MaximumWorkingSetSize", ctypes.c_size_t),
        ("ActiveProcessLimit", ctypes.c_uint32),
        ("Affinity", ctypes.c_size_t),
        ("PriorityClass", ctypes.c_uint32),
        ("SchedulingClass", ctypes.c_uint32),
    ]


class _IoCounters(ctypes.Structure):
    """``IO_COUNTERS``."""

    _fields_ = [
        ("ReadOperationCount", ctypes.c_uint64),
        ("WriteOperationCount", ctypes.c_uint64),
        ("OtherOperationCount", ctypes.c_uint64),
        ("ReadTransferCount", ctypes.c_uint64),
        ("WriteTransferCount", ctypes.c_uint64),
        ("OtherTransferCount", ctypes.c_uint64),
    ]


class JobLimits(ctypes.Structure):
    """``JOBOBJECT_EXTENDED_LIMIT_INFORMATION``, as ``SetInformationJobObject`` takes it."""

    _fields_ = [
        ("BasicLimitInformation", _BasicLimits),
        ("IoInfo", _IoCounters),
        ("ProcessMemoryLimit", ctypes.c_size_t),
        ("JobMemoryLimit", ctypes.c_size_t),
        ("PeakProcessMemoryUsed", ctypes.c_size_t),
        ("PeakJobMemoryUsed", ctypes.c_size_t),
    ]


def job_limits(memory_mb: int) -> JobLimits:
    """The limits of the sandbox's Job Object: memory, one process, no dialog, killed on close."""
    limits = JobLimits()
    basic = limits.BasicLimitInformation
    basic.LimitFlags = (
        _JOB_OBJECT_LIMIT_PROCESS_MEMORY
        | _JOB_OBJECT_LIMIT_ACTIVE_PROCESS
        | _JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION
        | _JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    )
    basic.ActiveProcessLimit = 1
    limits.ProcessMemoryLimit = (memory_mb + WINDOWS_START_MB) * _MB
    return limits


if sys.platform == "win32":
    import _winapi
    import msvcrt
    from multiprocessing import popen_spawn_win32

    def _kernel32() -> Any:
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.CreateJobObjectW.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p]
        kernel32.CreateJobObjectW.restype = ctypes.c_void_p
        kernel32.SetInformationJobObject.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_uint32,
        ]
        kernel32.SetInformationJobObject.restype = ctypes.c_int
        kernel32.AssignProcessToJobObject.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        kernel32.AssignProcessToJobObject.restype = ctypes.c_int
        kernel32.ResumeThread.argtypes = [ctypes.c_void_p]
        kernel32.ResumeThread.restype = ctypes.c_uint32
        kernel32.CloseHandle.argtypes = [ctypes.c_void_p]
        kernel32.CloseHandle.restype = ctypes.c_int
        return kernel32

    def _make_job(kernel32: Any, memory_mb: int) -> int | None:
        """A Job Object with ``job_limits``, or ``None`` where the system refuses one."""
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            return None
        limits = job_limits(memory_mb)
        done = kernel32.SetInformationJobObject(
            job,
            _JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
            ctypes.byref(limits),
            ctypes.sizeof(limits),
        )
        if not done:
            kernel32.CloseHandle(job)
            return None
        return int(job)

    def _close_job(kernel32: Any, job: int) -> None:
        kernel32.CloseHandle(job)  # "kill on close": a child still running ends here

    class _WindowsPopen(popen_spawn_win32.Popen):
        """multiprocessing's ``spawn`` launch on Windows, with a clean environment and a job.

        Follows ``multiprocessing.popen_spawn_win32.Popen.__init__`` step by step;
        the differences are the environment, ``CREATE_SUSPENDED``, the Job Object
        and ``ResumeThread``.
        """

        def __init__(self, process_obj: BaseProcess) -> None:
            memory_mb = getattr(process_obj, "memory_mb", SandboxProcess.memory_mb)
            prep_data = spawn.get_preparation_data(process_obj.name)
            # The child duplicates the read end for itself (spawn.spawn_main).
            rhandle, whandle = _winapi.CreatePipe(None, 0)
            wfd = msvcrt.open_osfhandle(whandle, 0)
            cmd = spawn.get_command_line(parent_pid=os.getpid(), pipe_handle=rhandle)
            python_exe = spawn.get_executable()
            env = child_environment(os.environ)
            # In a virtual environment, start the base interpreter, as multiprocessing does.
            if popen_spawn_win32.WINENV and os.path.normcase(python_exe) == os.path.normcase(
                sys.executable
            ):
                cmd[0] = python_exe = getattr(sys, "_base_executable", python_exe)
                env["__PYVENV_LAUNCHER__"] = sys.executable
            command_line = " ".join(f'"{part}"' for part in cmd)
            kernel32 = _kernel32()
            job = _make_job(kernel32, memory_mb)
            with open(wfd, "wb", closefd=True) as to_child:
                try:
                    hp, ht, pid, _tid = _winapi.CreateProcess(
                        python_exe, command_line, None, None, False, _CREATE_SUSPENDED, env, None,
                        None,
                    )  # fmt: skip
                except BaseException:
                    _winapi.CloseHandle(rhandle)
                    if job is not None:
                        _close_job(kernel32, job)
                    raise
                try:
                    if job is not None and not kernel32.AssignProcessToJobObject(job, hp):
                        _close_job(kernel32, job)
                        job = None  # e.g. already in a job that forbids others: timeout only
                finally:
                    # Resumed before anything is written: the pipe would block on a sleeper.
                    kernel32.ResumeThread(ht)
                    _winapi.CloseHandle(ht)
                self.pid = pid
                self.returncode = None
                self._handle = hp
                self.sentinel = int(hp)
                self.finalizer = util.Finalize(
                    self, _close_windows_handles, (kernel32, self.sentinel, int(rhandle), job)
                )
                mp_context.set_spawning_popen(self)
                try:
                    reduction.dump(prep_data, to_child)
                    reduction.dump(process_obj, to_child)
                finally:
                    mp_context.set_spawning_popen(None)

    def _close_windows_handles(kernel32: Any, process: int, pipe: int, job: int | None) -> None:
        _winapi.CloseHandle(process)
        _winapi.CloseHandle(pipe)
        if job is not None:
            _close_job(kernel32, job)
