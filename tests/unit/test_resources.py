"""The shipped files: reachable by name, complete, and consistent with what names them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from cme_desktop.resource_files import read_text, resource_path
from tools.collect_licences import normalise, runtime_distributions

ICON_SIZES = (16, 32, 48, 256)
TEMPLATES = (
    "templates/parents-after-home-visit.txt",
    "templates/school-enquiry.txt",
    "templates/other-authority-enquiry.txt",
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


def test_the_templates_folder_holds_the_three_letters_and_their_readme() -> None:
    folder = resource_path("templates/README.md").parent
    names = {p.name for p in folder.iterdir() if p.is_file()}
    assert names == {Path(name).name for name in TEMPLATES} | {"README.md"}
