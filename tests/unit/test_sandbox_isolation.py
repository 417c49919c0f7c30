"""The import sandbox's child holds no secret and can do little (``importing.isolation``)."""

from __future__ import annotations

import ctypes
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cme_desktop.services.importing.isolation import (
    WINDOWS_START_MB,
    JobLimits,
    child_environment,
    job_limits,
)
from cme_desktop.services.importing.sandbox import run_isolated

SECRET = "Correct-Horse-Battery-Staple-42"
LINUX = sys.platform.startswith("linux")

# --- what the child sees (top-level functions: the child imports them by name) ---------------


def environment() -> dict[str, str]:
    return dict(os.environ)


def initial_environment() -> bytes:
    """The environment block the process was started with, as the kernel keeps it."""
    return Path("/proc/self/environ").read_bytes()


def open_descriptors() -> dict[int, str]:
    """Each open descriptor and what it is: "socket", "pipe", or the path it is open on."""
    found: dict[int, str] = {}
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            mode = os.fstat(fd).st_mode
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the listing's own descriptor, closed by now
        if stat.S_ISSOCK(mode):
            found[fd] = "socket"
        elif stat.S_ISFIFO(mode):
            found[fd] = "pipe"
        else:
            found[fd] = target
    return found


def process_status() -> dict[str, Any]:
    import resource

    lines = Path("/proc/self/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    libc = ctypes.CDLL(None, use_errno=True)
    zero = ctypes.c_ulong(0)
    dumpable = libc.prctl(ctypes.c_int(3), zero, zero, zero, zero)  # PR_GET_DUMPABLE
    return {
        "no_new_privs": fields["NoNewPrivs"].strip(),
        "dumpable": dumpable,
        "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
        "processes": resource.getrlimit(resource.RLIMIT_NPROC)[0],
        "network_namespace": os.readlink("/proc/self/ns/net"),
    }


def try_to_connect(port: int) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return "connected"
    except OSError as error:
        return f"refused: {error}"


def try_to_start_a_process() -> str:
    try:
        pid = os.fork()
    except OSError as error:
        return f"refused: {error}"
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return "started"


# --- the environment --------------------------------------------------------------------------


@pytest.fixture
def secrets_in_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CME_PASSPHRASE", SECRET)
    monkeypatch.setenv("CME_ACTOR", "Test Officer")
    monkeypatch.setenv("cme_lower_case", SECRET)
    monkeypatch.setenv("SOME_API_TOKEN", SECRET)
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:{SECRET}@proxy.example:3128")
    yield


@pytest.mark.usefixtures("secrets_in_environment")
def test_the_child_starts_with_no_cme_variable_and_no_secret() -> None:
    seen = run_isolated(environment)
    assert not [name for name in seen if name.upper().startswith("CME_")]
    assert not [name for name, value in seen.items() if SECRET in value]
    assert set(seen) <= set(child_environment(os.environ)) | {"LC_CTYPE"}
    if LINUX:
        # Not just os.environ: the block the process was started with holds none either.
        block = run_isolated(initial_environment)
        assert SECRET.encode() not in block
        assert b"CME_" not in block


def test_child_environment_keeps_what_an_interpreter_needs_and_nothing_else() -> None:
    windows = {
        "SYSTEMROOT": r"C:\Windows",
        "WINDIR": r"C:\Windows",
        "PATH": r"C:\Windows\system32",
        "TEMP": r"C:\Users\officer\AppData\Local\Temp",
        "_PYI_APPLICATION_HOME_DIR": r"C:\Program Files\CME Desktop\_internal",
        "_MEIPASS2": r"C:\Program Files\CME Desktop\_internal",
        "CME_PASSPHRASE": SECRET,
        "USERPROFILE": r"C:\Users\officer",
        "APPDATA": r"C:\Users\officer\AppData\Roaming",
        "USERDOMAIN": "COUNCIL",
        "LOGONSERVER": r"\\DC01",
    }
    assert set(child_environment(windows)) == {
        "SYSTEMROOT",
        "WINDIR",
        "PATH",
        "TEMP",
        "_PYI_APPLICATION_HOME_DIR",
        "_MEIPASS2",
    }
    posix = {
        "PATH": "/usr/bin",
        "LANG": "en_GB.UTF-8",
        "LC_ALL": "en_GB.UTF-8",
        "TZ": "Europe/London",
        "HOME": "/home/officer",
        "SSH_AUTH_SOCK": "/run/user/1000/ssh-agent",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
        "PYTHONPATH": "/home/officer/code",
        "CME_PASSPHRASE": SECRET,
        "LC_CME_": "x",
    }
    assert child_environment(posix) == {
        "PATH": "/usr/bin",
        "LANG": "en_GB.UTF-8",
        "LC_ALL": "en_GB.UTF-8",
        "TZ": "Europe/London",
        "LC_CME_": "x",
    }


# --- Linux: descriptors, privileges, network ---------------------------------------------------


@pytest.mark.skipif(not LINUX, reason="reads /proc, which only Linux has")
def test_the_child_inherits_no_socket_and_no_file_but_its_pipes() -> None:
    with socket.socket() as listening, open(__file__, "rb") as source:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        # As a descriptor opened by a C library, or given by whatever started this process.
        os.set_inheritable(listening.fileno(), True)
        os.set_inheritable(source.fileno(), True)
        found = run_isolated(open_descriptors)
    assert "socket" not in found.values()
    assert __file__ not in found.values()
    above_stdio = [kind for fd, kind in found.items() if fd > 2]
    # Pipes only: the result's way back, the start-up pipe (kept by multiprocessing to notice
    # this process ending) and the end whose closing tells this process the child ended; and
    # multiprocessing's stand-in for stdin.
    assert sorted(above_stdio) == ["/dev/null", "pipe", "pipe", "pipe"], found
    assert found[0] == "/dev/null"
    assert found[1] == "/dev/null"


@pytest.mark.skipif(not LINUX, reason="no_new_privs and namespaces are Linux's")
def test_the_child_runs_without_new_privileges_core_files_or_new_processes() -> None:
    status = run_isolated(process_status)
    assert status["no_new_privs"] == "1"
    assert status["dumpable"] == 0
    assert status["core"] == 0
    assert status["processes"] == 0
    if os.geteuid() != 0:  # the limit on processes does not hold for root
        assert run_isolated(try_to_start_a_process).startswith("refused")


def _namespaces_permitted() -> bool:
    """Whether this system lets an ordinary process make a user and network namespace."""
    probe = (
        "import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); "
        "sys.exit(0 if libc.unshare(0x10000000 | 0x40000000) == 0 else 1)"
    )
    return subprocess.run([sys.executable, "-c", probe], check=False, timeout=30).returncode == 0


@pytest.mark.skipif(not LINUX, reason="network namespaces are Linux's")
def test_the_child_has_no_network_where_the_system_permits_a_namespace() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        assert try_to_connect(port) == "connected"  # the check itself works here
        from_child = run_isolated(try_to_connect, port)
    ours = os.readlink("/proc/self/ns/net")
    theirs = run_isolated(process_status)["network_namespace"]
    if _namespaces_permitted():
        assert theirs != ours
        assert from_child.startswith("refused"), from_child
    else:
        # A container that forbids namespaces: the child keeps the network, not a socket.
        assert theirs == ours


# --- Windows: the Job Object's limits (the structure is checked here, used there) --------------


def test_the_job_limits_have_the_layout_windows_expects() -> None:
    pointer = ctypes.sizeof(ctypes.c_void_p)
    # JOBOBJECT_EXTENDED_LIMIT_INFORMATION: 144 bytes on 64-bit Windows, 112 on 32-bit.
    assert ctypes.sizeof(JobLimits) == (144 if pointer == 8 else 112)
    assert JobLimits.IoInfo.offset == (64 if pointer == 8 else 48)
    assert JobLimits.ProcessMemoryLimit.offset == (112 if pointer == 8 else 96)


def test_the_job_caps_memory_allows_one_process_and_dies_with_its_parent() -> None:
    limits = job_limits(256)
    flags = limits.BasicLimitInformation.LimitFlags
    assert flags & 0x0100, "JOB_OBJECT_LIMIT_PROCESS_MEMORY"
    assert flags & 0x0008, "JOB_OBJECT_LIMIT_ACTIVE_PROCESS"
    assert flags & 0x0400, "JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION"
    assert flags & 0x2000, "JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE"
    assert limits.BasicLimitInformation.ActiveProcessLimit == 1
    assert limits.ProcessMemoryLimit == (256 + WINDOWS_START_MB) * 1024 * 1024
    assert limits.JobMemoryLimit == 0
