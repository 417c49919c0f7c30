"""Copy the licence files of what the program ships into ``resources/licences/``.

Run ``python -m tools.collect_licences`` after a dependency is added, removed or
upgraded, then update ``resources/licences/THIRD-PARTY-NOTICES.md`` and commit both.
It follows the requirements of ``cme-desktop`` and of its ``demo`` extra (the installed
program carries ``cme demo``), not of its test extra, through the installed
distributions, and copies every licence file each one declares, flat, as
``<distribution>-<file>``; likewise the licence of PyInstaller, whose start-up program
is inside each installed program. A file left from a distribution no longer shipped is
removed. The texts no installed distribution carries (``HAND_COPIED``: the LGPL and
GPL for Qt, SQLCipher's notice, the Python licence, packages installed only on
Windows) were copied by hand and are left as they are.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from collections.abc import Iterable
from email.message import Message
from pathlib import Path

from packaging.requirements import Requirement

LICENCES = Path(__file__).resolve().parent.parent / "resources" / "licences"
#: The extras whose dependencies the installed program carries.
SHIPPED_EXTRAS = ("demo",)
#: Build tools that put a part of themselves into the installed program.
SHIPPED_BUILD_TOOLS = ("pyinstaller",)
#: Texts kept by hand: no installed distribution here carries them.
HAND_COPIED = frozenset(
    {
        "THIRD-PARTY-NOTICES.md",
        "LGPL-3.0.txt",
        "GPL-3.0.txt",
        "sqlcipher-LICENSE.md",
        "python-LICENSE.txt",
        "pywin32-ctypes-LICENSE.txt",  # keyring, on Windows
        "tzdata-LICENSE.txt",  # Faker, on Windows
        "tzdata-LICENSE_APACHE.txt",
    }
)
#: Distributions whose wheels declare no licence file, and the hand-copied texts that cover them.
TEXTS_BY_HAND = {
    "pyside6-essentials": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "pyside6-addons": ("LGPL-3.0.txt", "GPL-3.0.txt"),
    "shiboken6": ("LGPL-3.0.txt", "GPL-3.0.txt"),
}
_LICENCE_FILE = re.compile(r"licen[cs]es?|copying|notice|authors", re.IGNORECASE)


def normalise(name: str) -> str:
    """A distribution's name as PyPI compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(
    root: str = "cme-desktop", extras: Iterable[str] = ()
) -> dict[str, metadata.Distribution]:
    """Every installed distribution ``root`` (with ``extras``) needs to run here, by name.

    The extras are those of ``root`` only: a dependency's own extras are followed only
    where a requirement names them.
    """
    wanted = {"", *extras}
    found: dict[str, metadata.Distribution] = {}
    waiting: list[tuple[str, frozenset[str]]] = [(normalise(root), frozenset(wanted))]
    while waiting:
        name, its_extras = waiting.pop()
        if name in found:
            continue
        try:
            found[name] = dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # required only on another system
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in its_extras):
                waiting.append((normalise(requirement.name), frozenset({"", *requirement.extras})))
    del found[normalise(root)]
    return found


_STRONG_COPYLEFT = re.compile(r"\bA?GPL|General Public License", re.IGNORECASE)
_LESSER = re.compile(r"\bLGPL|Lesser|Library General Public", re.IGNORECASE)


def _only_strong_copyleft(text: str) -> bool:
    return bool(_STRONG_COPYLEFT.search(text)) and not _LESSER.search(text)


def _field(meta: metadata.PackageMetadata | Message, name: str) -> str:
    values = meta.get_all(name)
    return str(values[0]) if values else ""


def strong_copyleft(meta: metadata.PackageMetadata | Message) -> str | None:
    """The licence of a distribution's metadata if it is the GPL or AGPL (not the LGPL).

    ``License-Expression`` (SPDX) decides when present: a choice (``OR``) with any
    other licence is not a GPL-only one. Otherwise the ``License`` field and the
    ``License ::`` classifiers: any mention of the GPL, and none of the LGPL.
    """
    expression = _field(meta, "License-Expression")
    if expression:
        choices = re.split(r"\s+OR\s+", expression.strip("() "))
        return expression if all(_only_strong_copyleft(c) for c in choices) else None
    stated = [_field(meta, "License")[:200]]
    stated += [c for c in meta.get_all("Classifier") or [] if str(c).startswith("License ::")]
    text = " | ".join(part for part in stated if part)
    return text if _only_strong_copyleft(text) else None


def shipped_distributions() -> dict[str, metadata.Distribution]:
    """What the installed program carries: the runtime, the shipped extras, the build's
    start-up program (each where installed here)."""
    found = runtime_distributions(extras=SHIPPED_EXTRAS)
    for tool in SHIPPED_BUILD_TOOLS:
        try:
            found[normalise(tool)] = metadata.distribution(tool)
        except metadata.PackageNotFoundError:
            continue  # its text, copied when it was installed, stays (see main)
    return found


def licence_files(dist: metadata.Distribution) -> list[tuple[str, bytes]]:
    """``(target name, content)`` of each licence file in ``dist``'s metadata folder."""
    name = normalise(dist.metadata["Name"])
    out = []
    for file in dist.files or []:
        parts = file.parts
        if not parts[0].endswith(".dist-info") or not _LICENCE_FILE.search("/".join(parts[1:])):
            continue
        inner = [p for p in parts[1:] if p not in ("licenses", "licences")]
        target = "-".join([name, *inner])
        if Path(target).suffix.lower() not in (".txt", ".md"):
            target += ".txt"
        out.append((target, file.read_binary()))
    return out


def stale_files(folder: Path, written: set[str], absent_tools: Iterable[str]) -> list[Path]:
    """Files of ``folder`` that no shipped distribution gives any more."""
    kept_prefixes = tuple(f"{normalise(tool)}-" for tool in absent_tools)
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.name not in written
        and path.name not in HAND_COPIED
        and not path.name.startswith(kept_prefixes)
    )


def main() -> int:
    LICENCES.mkdir(parents=True, exist_ok=True)
    shipped = shipped_distributions()
    for name, dist in sorted(shipped.items()):
        found = strong_copyleft(dist.metadata) if name not in SHIPPED_BUILD_TOOLS else None
        if found:
            print(f"{name} is under the GPL ({found}): it cannot ship", file=sys.stderr)
    written: set[str] = set()
    for name, dist in sorted(shipped.items()):
        files = licence_files(dist)
        for target, content in files:
            (LICENCES / target).write_bytes(content)
            written.add(target)
        if not files and name not in TEXTS_BY_HAND:
            print(f"{name}: no licence file in its metadata; add its text by hand", file=sys.stderr)
    absent = [tool for tool in SHIPPED_BUILD_TOOLS if normalise(tool) not in shipped]
    for path in stale_files(LICENCES, written, absent):
        print(f"removed {path.name}: no longer shipped", file=sys.stderr)
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
