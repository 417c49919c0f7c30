"""The shipped files: reachable by name, complete, and consistent with what names them."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
from collections.abc import Mapping
from email.message import Message
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from PIL import Image

from cme_desktop.resource_files import read_text, resource_path
from tools.collect_licences import (
    SHIPPED_EXTRAS,
    normalise,
    runtime_distributions,
    stale_files,
    strong_copyleft,
)

ICON_SIZES = (16, 32, 48, 256)
TEMPLATES = (
    "templates/parents-after-home-visit.txt",
    "templates/school-enquiry.txt",
    "templates/other-authority-enquiry.txt",
    "templates/register-information-request.txt",
    "templates/register-notice-before-sao.txt",
)
EXPECTED = (
    "wordlist.txt",
    "icons/cme-desktop.svg",
    "icons/cme-desktop.ico",
    *(f"icons/cme-desktop-{size}.png" for size in ICON_SIZES),
    "policy/cme-policy-procedures.txt",
    "licences/THIRD-PARTY-NOTICES.md",
    "licences/LGPL-3.0.txt",
    "licences/GPL-3.0.txt",
    "licences/sqlcipher-LICENSE.md",
    "licences/pikepdf-LICENSE.txt",
    *TEMPLATES,
    "templates/README.md",
)


@pytest.mark.parametrize("name", EXPECTED)
def test_every_shipped_file_is_reachable_by_name(name: str) -> None:
    path = resource_path(name)
    assert path.is_file()
    assert path.stat().st_size > 0


def test_a_name_that_is_not_shipped_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="not among the files"):
        resource_path("icons/missing.png")
    with pytest.raises(FileNotFoundError):
        read_text("templates")  # a folder, not a file


def test_the_policy_text_is_the_leicestershire_policy() -> None:
    text = read_text("policy/cme-policy-procedures.txt")
    assert "Children Missing Education (CME) Policy & Procedures" in text
    assert "Referral Checklist for Children Missing out on Education" in text


@pytest.mark.parametrize("size", ICON_SIZES)
def test_each_icon_png_is_drawn_at_its_own_size(size: int) -> None:
    with Image.open(resource_path(f"icons/cme-desktop-{size}.png")) as image:
        assert image.size == (size, size)
        assert image.mode == "RGBA"


def test_the_windows_icon_holds_every_size() -> None:
    with Image.open(resource_path("icons/cme-desktop.ico")) as icon:
        assert icon.info["sizes"] == {(size, size) for size in ICON_SIZES}


# --- licences ---------------------------------------------------------------------


def _notices() -> str:
    return read_text("licences/THIRD-PARTY-NOTICES.md")


def test_every_runtime_dependency_is_named_in_the_notices() -> None:
    named = {
        normalise(re.sub(r"\s.*", "", row.split("|")[1].strip()))
        for row in _notices().splitlines()
        if row.startswith("| ") and not row.startswith("| ---")
    }
    missing = sorted(set(runtime_distributions()) - named)
    assert not missing, f"add these to THIRD-PARTY-NOTICES.md: {missing}"


def test_the_notices_and_the_licence_texts_match() -> None:
    folder = resource_path("licences/THIRD-PARTY-NOTICES.md").parent
    referenced = set(re.findall(r"`([^`\s]+\.(?:txt|md))`", _notices()))
    present = {p.name for p in folder.iterdir() if p.is_file()} - {"THIRD-PARTY-NOTICES.md"}
    assert sorted(referenced - present) == [], "named in the notices but not shipped"
    assert sorted(present - referenced) == [], "shipped but not named in the notices"


@pytest.mark.parametrize("extras", [(), SHIPPED_EXTRAS], ids=["runtime", "with cme demo"])
def test_no_dependency_the_program_ships_is_under_the_gpl(extras: tuple[str, ...]) -> None:
    shipped = runtime_distributions(extras=extras)
    assert "olefile" in shipped  # the walk reaches the dependencies at all
    gpl = {name: strong_copyleft(dist.metadata) for name, dist in shipped.items()}
    assert {name: found for name, found in gpl.items() if found} == {}


def _metadata(expression: str = "", licence: str = "", *classifiers: str) -> Message:
    meta = Message()
    if expression:
        meta["License-Expression"] = expression
    if licence:
        meta["License"] = licence
    for classifier in classifiers:
        meta["Classifier"] = classifier
    return meta


@pytest.mark.parametrize(
    ("meta", "gpl"),
    [
        (_metadata("GPL-3.0-only"), True),
        (_metadata("AGPL-3.0-or-later"), True),
        (_metadata("GPL-2.0-only OR GPL-3.0-only"), True),
        (_metadata("LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"), False),
        (_metadata("MIT"), False),
        (_metadata("", "GPL"), True),  # extract-msg's own metadata
        (
            _metadata("", "", "License :: OSI Approved :: GNU General Public License v3 (GPLv3)"),
            True,
        ),
        (
            _metadata("", "", "License :: OSI Approved :: GNU Affero General Public License v3"),
            True,
        ),
        (
            _metadata(
                "", "", "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)"
            ),
            False,
        ),
        (_metadata("", "BSD", "License :: OSI Approved :: BSD License"), False),
    ],
)
def test_the_gpl_is_told_from_the_lgpl_and_from_permissive_licences(
    meta: Message, gpl: bool
) -> None:
    assert (strong_copyleft(meta) is not None) is gpl


def test_the_notices_say_what_the_lgpl_and_sqlcipher_ask_for() -> None:
    notices = _notices()
    assert "Written offer of the source code" in notices
    assert "separate, unmodified shared libraries" in notices
    assert "Copyright (c) 2008-2025, ZETETIC LLC" in notices  # reproduced, as its licence asks
    assert (
        read_text("licences/LGPL-3.0.txt").lstrip().startswith("GNU LESSER GENERAL PUBLIC LICENSE")
    )
    assert "GNU GENERAL PUBLIC LICENSE" in read_text("licences/GPL-3.0.txt")[:200]


def test_a_licence_text_left_from_a_dependency_no_longer_shipped_is_found(
    tmp_path: Path,
) -> None:
    for name in ("olefile-LICENSE.txt", "LGPL-3.0.txt", "extract-msg-LICENSE.txt"):
        (tmp_path / name).write_text("text")
    (tmp_path / "pyinstaller-COPYING.txt").write_text("kept while PyInstaller is absent")
    stale = stale_files(tmp_path, {"olefile-LICENSE.txt"}, absent_tools=["pyinstaller"])
    assert [path.name for path in stale] == ["extract-msg-LICENSE.txt"]


# --- runtime dependencies only ----------------------------------------------------------

_PACKAGE = Path(__file__).resolve().parents[2] / "cme_desktop"
#: The modules that make ``cme demo``'s synthetic people: only they may use the demo extra.
_DEMO_MODULES = {"demo.py", "demo_people.py"}


def _imported_distributions(path: Path, owners: Mapping[str, list[str]]) -> set[str]:
    """The distributions the top-level imports of a module come from (not the standard
    library, not the program itself)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            tops = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops = [node.module.split(".")[0]]
        else:
            continue
        for top in tops:
            if top in sys.stdlib_module_names or top == "cme_desktop":
                continue
            found.update(normalise(name) for name in owners.get(top, [top]))
    return found


def test_the_program_imports_only_its_runtime_dependencies() -> None:
    runtime = set(runtime_distributions())
    with_demo = set(runtime_distributions(extras=SHIPPED_EXTRAS))
    owners = metadata.packages_distributions()
    outside: dict[str, set[str]] = {}
    for path in sorted(_PACKAGE.rglob("*.py")):
        allowed = with_demo if path.name in _DEMO_MODULES else runtime
        missing = _imported_distributions(path, owners) - allowed
        if missing:
            outside[path.relative_to(_PACKAGE).as_posix()] = missing
    assert outside == {}


def test_test_and_demo_libraries_are_extras_not_requirements() -> None:
    requirements = metadata.requires("cme-desktop") or []
    parsed = [Requirement(r) for r in requirements]
    plain = {normalise(r.name) for r in parsed if r.marker is None}
    assert {"faker", "extract-msg"}.isdisjoint(plain)
    # olefile reads Outlook emails, pypdf the text of forms saved as PDF.
    assert {"olefile", "pypdf"} <= plain
    in_extra = {
        (normalise(r.name), extra)
        for r in parsed
        for extra in ("demo", "test")
        if r.marker is not None and r.marker.evaluate({"extra": extra})
    }
    assert {("faker", "demo"), ("faker", "test")} <= in_extra


# --- letter templates ------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _documented() -> set[str]:
    readme = read_text("templates/README.md")
    return set(re.findall(r"^\| `\{([a-z_]+)\}` \|", readme, flags=re.MULTILINE))


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_letter_uses_only_documented_placeholders_and_fills_completely(name: str) -> None:
    template = read_text(name)
    used = set(_PLACEHOLDER.findall(template))
    assert used <= _documented(), f"not in templates/README.md: {sorted(used - _documented())}"
    assert {"child_name", "our_reference", "today", "officer_name"} <= used
    letter = template.format_map({field: f"<{field}>" for field in used})
    assert "{" not in letter
    assert "}" not in letter


def test_every_documented_placeholder_is_used_by_a_letter() -> None:
    used = set().union(*(_PLACEHOLDER.findall(read_text(name)) for name in TEMPLATES))
    assert _documented() == used


def test_the_templates_folder_holds_the_letters_and_their_readme() -> None:
    folder = resource_path("templates/README.md").parent
    names = {p.name for p in folder.iterdir() if p.is_file()}
    assert names == {Path(name).name for name in TEMPLATES} | {"README.md"}
