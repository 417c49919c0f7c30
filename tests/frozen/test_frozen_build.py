"""The frozen one-folder build (Linux), run as a council laptop runs it: no Python, no source.

Not part of ``make test``: ``make package-test`` builds ``dist/cme-desktop`` first
(``make package``), then runs these (``CME_FROZEN_BUILD`` names another build).
Each program starts from the build alone: no virtual environment on the path, a
home folder of its own, the passphrase from ``CME_PASSPHRASE`` and the files'
password from a file, as a scheduled task would give them. The files imported are
made as the other tests make them: a school's protected Word form and our own
protected PDF. A program that hangs (the import sandbox's worker re-running the
command, say) fails its test at the time limit.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

import pikepdf
import pytest

from cme_desktop.services.documents.styles import DEFAULT
from cme_desktop.services.protection.exports import encrypt, render_referral
from cme_desktop.services.protection.office import encrypt_office, is_encrypted_office
from tests.support.credentials import PASSPHRASE
from tests.support.fixtures_docx import expected_record, filled_form, filled_referral
from tests.support.packaging_tools import harvest, rules

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CME_FROZEN_BUILD", ROOT / "dist" / "cme-desktop"))
PASSWORD = "Lantern-Orchard-58"
DEMO_CASES = 12
# A program that has not finished by then is stuck: a hang is a failure, not a wait.
TIME_LIMIT_S = 180


@pytest.fixture(scope="module")
def build() -> Path:
    if not (BUILD / "cme").is_file() or not (BUILD / "cme-desktop").is_file():
        pytest.fail(f"No frozen build in {BUILD}: run `make package` first.")
    return BUILD


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


def _environment(home: Path) -> dict[str, str]:
    """This process's environment without Python's: the build must need none of it."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "VIRTUAL_ENV", "CME_", "QT_"))
    }
    venv = Path(sys.prefix)
    env["PATH"] = os.pathsep.join(
        entry
        for entry in env.get("PATH", "").split(os.pathsep)
        if entry and not Path(entry).is_relative_to(venv)
    )
    # The user's own folders (data, settings, logs) under a home of the test's.
    for name in ("HOME", "USERPROFILE", "APPDATA", "LOCALAPPDATA"):
        env[name] = str(home)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(home / name.lower())
    env["CME_PASSPHRASE"] = PASSPHRASE
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


class Programs:
    """The two programs of the build, run in a home folder of their own."""

    def __init__(self, build: Path, home: Path) -> None:
        self.build = build
        self.home = home
        self.env = _environment(home)

    def run(self, program: str, *args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.build / program), *(str(a) for a in args)],
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT_S,
            stdin=subprocess.DEVNULL,
        )

    def cme(self, *args: object) -> subprocess.CompletedProcess[str]:
        done = self.run("cme", *args)
        assert "Traceback" not in done.stderr, done.stderr
        return done


def _listing(build: Path) -> dict[str, int]:
    return {p.relative_to(build).as_posix(): p.lstat().st_size for p in build.rglob("*")}


@pytest.fixture(scope="module")
def untouched(build: Path) -> dict[str, int]:
    """What the folder holds before any program has run."""
    return _listing(build)


@pytest.fixture(scope="module")
def programs(build: Path, home: Path, untouched: dict[str, int]) -> Programs:
    return Programs(build, home)


@pytest.fixture(scope="module")
def vault(programs: Programs) -> Path:
    """A vault made by the frozen ``cme init``, then filled by the frozen ``cme demo``."""
    path = programs.home / "cases.cme"
    done = programs.cme("--db", path, "init")
    assert done.returncode == 0, done.stderr
    assert "Recovery key" in done.stdout
    done = programs.cme("--db", path, "demo", "--cases", DEMO_CASES)
    assert done.returncode == 0, done.stderr
    assert f"Added {DEMO_CASES} synthetic cases" in done.stdout
    return path


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A school's protected Word form and our own protected PDF, as they arrive by email."""
    folder = tmp_path_factory.mktemp("inbox")
    form_ref, form = filled_form(311, style="careless")
    pdf_ref = filled_referral(312)
    pdf = encrypt(
        render_referral(pdf_ref, fmt="pdf", authority=DEFAULT), fmt="pdf", password=PASSWORD
    )
    (folder / "form.docx").write_bytes(encrypt_office(form, PASSWORD))
    (folder / "referral.pdf").write_bytes(pdf)
    (folder / "password.txt").write_text(PASSWORD + "\n", encoding="utf-8")
    (folder / "wrong.txt").write_text(PASSWORD + "x\n", encoding="utf-8")
    return {
        "folder": folder,
        "form": expected_record(form_ref, "careless"),
        "pdf": pdf_ref,
    }


def _cases(programs: Programs, vault: Path) -> list[dict[str, Any]]:
    done = programs.cme("--db", vault, "list", "--json")
    assert done.returncode == 0, done.stderr
    cases: list[dict[str, Any]] = json.loads(done.stdout)
    return cases


@pytest.fixture(scope="module")
def imported(programs: Programs, vault: Path, inbox: dict[str, Any]) -> list[int]:
    """The ids of the cases the frozen ``cme import`` made from the two files."""
    before = {c["id"] for c in _cases(programs, vault)}
    folder: Path = inbox["folder"]
    done = programs.cme(
        "--db",
        vault,
        "import",
        folder / "form.docx",
        folder / "referral.pdf",
        "--password-file",
        folder / "password.txt",
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"^form\.docx: created CME-\d+$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(r"^referral\.pdf: created CME-\d+$", done.stdout, re.MULTILINE), done.stdout
    return sorted({c["id"] for c in _cases(programs, vault)} - before)


# --- the programs -------------------------------------------------------------------------


def test_the_command_says_its_version(programs: Programs) -> None:
    done = programs.cme("--version")
    assert done.returncode == 0, done.stderr
    assert rules.project_version() in done.stdout


def test_init_and_demo_make_a_vault_whose_audit_log_verifies(
    programs: Programs, vault: Path
) -> None:
    assert len(_cases(programs, vault)) >= DEMO_CASES
    done = programs.cme("--db", vault, "audit", "verify")
    assert done.returncode == 0, done.stderr
    assert "hash chain verified" in done.stdout


def test_a_protected_word_form_and_our_pdf_read_as_from_source(
    programs: Programs, inbox: dict[str, Any]
) -> None:
    folder: Path = inbox["folder"]
    done = programs.cme(
        "import",
        folder / "form.docx",
        folder / "referral.pdf",
        "--password-file",
        folder / "password.txt",
        "--dry-run",
        "--json",
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == [inbox["form"], inbox["pdf"]]


def test_a_wrong_password_comes_back_from_the_sandbox_as_one_line(
    programs: Programs, inbox: dict[str, Any]
) -> None:
    folder: Path = inbox["folder"]
    done = programs.cme(
        "import", folder / "form.docx", "--password-file", folder / "wrong.txt", "--dry-run"
    )
    assert (done.returncode, done.stdout) == (3, "")
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"cme: {folder / 'form.docx'}: ")
    assert "--password-file" in line


def test_import_creates_a_case_for_each_file(
    programs: Programs, vault: Path, imported: list[int], inbox: dict[str, Any]
) -> None:
    names = {c["id"]: c["full_name"] for c in _cases(programs, vault)}
    assert len(imported) == 2
    assert sorted(names[i] for i in imported) == sorted(
        [inbox["form"]["children"][0]["full_name"], inbox["pdf"]["children"][0]["full_name"]]
    )


def test_export_writes_protected_files_that_import_back(
    programs: Programs, vault: Path, imported: list[int], inbox: dict[str, Any]
) -> None:
    folder: Path = inbox["folder"]
    out = programs.home / "exports"
    out.mkdir(exist_ok=True)
    case = imported[0]
    for name in ("referral.pdf", "referral.docx"):
        done = programs.cme(
            "--db",
            vault,
            "export",
            case,
            "--out",
            out / name,
            "--password-file",
            folder / "password.txt",
        )
        assert done.returncode == 0, done.stderr
        assert "AES-256" in done.stdout
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out / "referral.pdf")
    with pikepdf.open(out / "referral.pdf", password=PASSWORD) as pdf:
        assert len(pdf.pages) >= 1
    assert is_encrypted_office((out / "referral.docx").read_bytes())
    done = programs.cme(
        "import",
        out / "referral.pdf",
        "--password-file",
        folder / "password.txt",
        "--dry-run",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    names = {c["id"]: c["full_name"] for c in _cases(programs, vault)}
    assert record["children"][0]["full_name"] == names[case]


def test_visit_sheet_prints_a_protected_page_per_case(
    programs: Programs, vault: Path, imported: list[int], inbox: dict[str, Any]
) -> None:
    out = programs.home / "visits.pdf"
    password_file = inbox["folder"] / "password.txt"
    done = programs.cme(
        "--db", vault, "visit-sheet", *imported, "--out", out, "--password-file", password_file
    )
    assert done.returncode == 0, done.stderr
    with pikepdf.open(out, password=PASSWORD) as pdf:
        assert len(pdf.pages) >= len(imported)


def test_the_window_starts_on_the_unlock_screen(programs: Programs, vault: Path) -> None:
    done = programs.run("cme-desktop", "--db", vault, "--self-test")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "CME Desktop — locked: the unlock screen is shown.\n"
    assert "Traceback" not in done.stderr


def test_the_window_starts_on_the_first_run_screen_without_a_vault(programs: Programs) -> None:
    done = programs.run("cme-desktop", "--db", programs.home / "none" / "cases.cme", "--self-test")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "CME Desktop — locked: the first-run screen is shown.\n"


def test_running_the_programs_writes_nothing_into_their_folder(
    build: Path, untouched: dict[str, int], programs: Programs, vault: Path, imported: list[int]
) -> None:
    """Program Files is read-only for the officer: no cache, log or settings may go there."""
    done = programs.run("cme-desktop", "--db", vault, "--self-test")
    assert done.returncode == 0, done.stderr
    assert _listing(build) == untouched


# --- what the folder holds ------------------------------------------------------------------


def _files(build: Path) -> Iterator[Path]:
    return (p for p in build.rglob("*") if p.is_file() or p.is_symlink())


def test_qt_is_trimmed_to_the_modules_used(build: Path) -> None:
    names = [p.relative_to(build).as_posix() for p in _files(build)]
    assert not [n for n in names if rules.UNUSED_QT_LIBRARY.search(n.rsplit("/", 1)[-1])]
    assert not [n for n in names if "/translations/" in n and "PySide6" in n]
    plugins = {
        n.split("/plugins/", 1)[1].split("/")[0]
        for n in names
        if "PySide6" in n and "/plugins/" in n
    }
    assert "platforms" in plugins
    assert plugins <= rules.QT_PLUGIN_TYPES
    assert not [n for n in names if "virtualkeyboard" in n.lower()]


def test_faker_keeps_only_the_locales_the_demo_uses(build: Path) -> None:
    providers = build / "_internal" / "faker" / "providers"
    locales = {p.name for p in providers.glob("*/*") if p.is_dir() and p.name != "__pycache__"}
    assert "en_GB" in locales
    assert locales <= rules.faker_locales()


def test_every_qt_library_a_kept_plugin_needs_is_there(build: Path) -> None:
    present = {p.name for p in _files(build)}
    for plugin in build.rglob("plugins/*/*.so"):
        dynamic = subprocess.run(
            ["readelf", "-d", str(plugin)], capture_output=True, text=True, check=True
        ).stdout
        needed = set(re.findall(r"\[(libQt6\w+\.so\.6)\]", dynamic))
        assert needed <= present, f"{plugin.name} needs {sorted(needed - present)}"


def test_no_link_points_outside_the_folder_or_nowhere(build: Path) -> None:
    for link in (p for p in build.rglob("*") if p.is_symlink()):
        target = link.resolve()
        assert target.exists(), link
        assert target.is_relative_to(build.resolve()), link


def test_the_migrations_and_resources_are_inside_as_files(build: Path) -> None:
    inside = build / "_internal" / "cme_desktop"
    for folder, into in (
        (ROOT / "cme_desktop" / "migrations", inside / "migrations"),
        (ROOT / "resources", inside / "resources"),
    ):
        expected = {
            p.relative_to(folder).as_posix()
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        found = {
            p.relative_to(into).as_posix()
            for p in into.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }
        assert expected <= found


# --- Windows, as far as Linux can tell ----------------------------------------------------------


def test_the_version_resource_is_one_pyinstaller_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PyInstaller's reader is plain Python, but its module imports two things that exist
    # on Windows only; neither is used to read the text.
    import PyInstaller.compat

    monkeypatch.setitem(sys.modules, "pefile", ModuleType("pefile"))
    monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
    monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    versioninfo = importlib.import_module("PyInstaller.utils.win32.versioninfo")

    template = (ROOT / "packaging" / "windows" / "version_info.txt.in").read_text(encoding="utf-8")
    version = rules.project_version()
    for name, description in (("cme", "CME Desktop command line"), ("cme-desktop", "CME Desktop")):
        path = tmp_path / f"version-{name}.txt"
        path.write_text(
            rules.render_version_info(
                template, version=version, name=name, description=description
            ),
            encoding="utf-8",
        )
        info = versioninfo.load_version_info_from_text_file(str(path))
        major, minor, build, revision = rules.windows_version(version)
        assert (info.ffi.fileVersionMS, info.ffi.fileVersionLS) == (
            major << 16 | minor,
            build << 16 | revision,
        )
        text = str(info)
        assert f"StringStruct('ProductVersion', '{version}')" in text
        assert f"StringStruct('OriginalFilename', '{name}.exe')" in text


def test_the_msi_installs_every_file_of_the_folder_once(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "files.wxs"
    # The Linux build links some libraries beside the programs; the Windows build has no links.
    assert harvest.main([str(build), str(out), "--skip-symlinks"]) == 0
    namespace = {"w": harvest.NAMESPACE}
    sources = [
        f.get("Source", "")
        for f in ElementTree.parse(out).getroot().findall(".//w:File", namespace)
    ]
    expected = {
        "$(var.SourceDir)\\" + "\\".join(p.relative_to(build).parts)
        for p in build.rglob("*")
        if p.is_file() and not p.is_symlink() and p.parent != build
    }
    assert len(sources) == len(set(sources))
    assert set(sources) == expected
