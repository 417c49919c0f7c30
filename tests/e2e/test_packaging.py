"""The built wheel: every module and every shipped file inside, found where the code looks.

The project is copied to a temporary folder first, so that the build leaves nothing in
the working tree and no earlier build's leftovers reach the wheel.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("cme_desktop", "resources"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    out = tmp_path_factory.mktemp("wheel")
    # With build isolation: the build needs a newer setuptools than a venv starts with.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("cme_desktop-*.whl")
    return built


def _files_under(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_the_wheel_holds_every_shipped_file_inside_the_package(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"cme_desktop/resources/{name}" for name in _files_under(ROOT / "resources")}
    assert shipped - names == set()
    assert "cme_desktop/resources/icons/cme-desktop.ico" in names
    assert "cme_desktop/resources/licences/THIRD-PARTY-NOTICES.md" in names
    assert not any(name.startswith("resources/") for name in names)


def test_the_wheel_holds_every_module_and_migration(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    code = {
        f"cme_desktop/{name}"
        for name in _files_under(ROOT / "cme_desktop")
        if name.endswith(".py") or name == "alembic.ini"
    }
    assert code - names == set()


def test_an_installed_wheel_finds_its_files_by_name(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from cme_desktop.resource_files import read_text, resource_path;"
        "print(resource_path('icons/cme-desktop-256.png'));"
        "print(len(read_text('wordlist.txt').split()))"
    )
    # -S: no site-packages, so the editable install of the working tree cannot answer.
    done = subprocess.run(
        [sys.executable, "-S", "-c", check, str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    icon, words = done.stdout.splitlines()
    assert Path(icon) == tmp_path / "cme_desktop" / "resources" / "icons" / "cme-desktop-256.png"
    assert int(words) == 3856
