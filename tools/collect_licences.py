"""Copy the licence files of the installed runtime dependencies into ``resources/licences/``.

Run ``python -m tools.collect_licences`` after a dependency is added or upgraded, then
update ``resources/licences/THIRD-PARTY-NOTICES.md`` and commit both. It follows the
requirements of ``cme-desktop`` (not its test extra) through the installed
distributions and copies every licence file each one declares, flat, as
``<distribution>-<file>``. Texts that no installed distribution carries (the LGPL for
Qt, SQLCipher's notice, the Python licence, the files in oletools' thirdparty folder,
packages installed only on Windows) were
copied by hand and are left as they are.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

LICENCES = Path(__file__).resolve().parent.parent / "resources" / "licences"
_LICENCE_FILE = re.compile(r"licen[cs]es?|copying|notice|authors", re.IGNORECASE)


def normalise(name: str) -> str:
    """A distribution's name as PyPI compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(root: str = "cme-desktop") -> dict[str, metadata.Distribution]:
    """Every installed distribution ``root`` needs to run here, by normalised name."""
    found: dict[str, metadata.Distribution] = {}
    waiting = [normalise(root)]
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        try:
            found[name] = dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # required only on another system
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                waiting.append(normalise(requirement.name))
    del found[normalise(root)]
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


def main() -> int:
    LICENCES.mkdir(parents=True, exist_ok=True)
    for name, dist in sorted(runtime_distributions().items()):
        files = licence_files(dist)
        for target, content in files:
            (LICENCES / target).write_bytes(content)
        if not files:
            print(f"{name}: no licence file in its metadata; add its text by hand", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
