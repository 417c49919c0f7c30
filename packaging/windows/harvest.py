"""Write the WiX fragment that installs every file of the built folder.

    python packaging/windows/harvest.py dist/cme-desktop build/files.wxs

``cme-desktop.wxs`` installs the two programs itself (the Start-menu shortcut
hangs on one of them); this fragment, ``ComponentGroup`` ``ProgramFiles``, holds
everything else, one component per file, in the folders of the build. It is
generated at each build because the files change with every library update.

Identifiers are derived from each file's path, so the same file keeps the same
component from one version to the next (Windows Installer upgrades rely on it),
and WiX computes each component's GUID from its path in Program Files.

The folder must hold plain files only: Windows Installer has no symbolic links,
and two names differing only in case would be one file on Windows. Both are
refused with a clear message; ``--skip-symlinks`` leaves links out, for a check
of a Linux build whose links Windows builds do not have.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

NAMESPACE = "http://wixtoolset.org/schemas/v4/wxs"
GROUP = "ProgramFiles"
ROOT_DIRECTORY = "INSTALLFOLDER"
# Declared by cme-desktop.wxs with the shortcut; left out here so each is installed once.
PROGRAMS = frozenset({"cme-desktop.exe", "cme.exe", "cme-desktop", "cme"})
# Windows' classic limit on a path, which some tools still have, from C:\Program Files\CME Desktop\.
INSTALL_PREFIX = "C:\\Program Files\\CME Desktop\\"
MAX_PATH = 260


class HarvestError(Exception):
    """The folder cannot become an installer as it is; the message says why."""


def _identifier(kind: str, relative: PurePosixPath) -> str:
    # WiX identifiers: a letter, then letters, digits, "_" or "."; at most 72 characters.
    digest = hashlib.sha256(relative.as_posix().lower().encode("utf-8")).hexdigest()
    return f"{kind}{digest[:40]}"


def collect(folder: Path, *, skip_symlinks: bool = False) -> list[PurePosixPath]:
    """The files to install under ``folder``, as relative paths, sorted; the programs left out."""
    if not folder.is_dir():
        raise HarvestError(f"{folder} is not a folder: build it first (make package).")
    files: list[PurePosixPath] = []
    seen: dict[str, PurePosixPath] = {}
    for path in sorted(folder.rglob("*")):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_symlink():
            if skip_symlinks:
                continue
            raise HarvestError(f"{relative} is a symbolic link: Windows Installer has none.")
        if path.is_dir():
            continue
        if len(relative.parts) == 1 and relative.name in PROGRAMS:
            continue
        clash = seen.setdefault(relative.as_posix().lower(), relative)
        if clash != relative:
            raise HarvestError(f"{relative} and {clash} would be one file on Windows.")
        if len(INSTALL_PREFIX) + len(str(relative)) >= MAX_PATH:
            raise HarvestError(f"{relative} would be too long a path once installed.")
        files.append(relative)
    if not files:
        raise HarvestError(f"{folder} holds no files besides the programs.")
    return files


def fragment(files: list[PurePosixPath]) -> ElementTree.ElementTree:
    """The WiX source: the folders under INSTALLFOLDER and one component per file."""
    ElementTree.register_namespace("", NAMESPACE)

    def element(parent: ElementTree.Element, tag: str, **attributes: str) -> ElementTree.Element:
        return ElementTree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attributes)

    wix = ElementTree.Element(f"{{{NAMESPACE}}}Wix")
    folders = element(wix, "Fragment")
    root = element(folders, "DirectoryRef", Id=ROOT_DIRECTORY)
    folders_made = {PurePosixPath("."): root}

    def directory(relative: PurePosixPath) -> ElementTree.Element:
        if relative not in folders_made:
            parent = directory(relative.parent)
            folders_made[relative] = element(
                parent, "Directory", Id=_identifier("d", relative), Name=relative.name
            )
        return folders_made[relative]

    group = element(element(wix, "Fragment"), "ComponentGroup", Id=GROUP)
    for relative in files:
        component = element(
            group,
            "Component",
            Id=_identifier("c", relative),
            Directory=directory(relative.parent).get("Id", ROOT_DIRECTORY),
        )
        source = "$(var.SourceDir)\\" + "\\".join(relative.parts)
        element(component, "File", Id=_identifier("f", relative), Source=source, KeyPath="yes")
    ElementTree.indent(wix)
    return ElementTree.ElementTree(wix)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the built folder (dist/cme-desktop)")
    parser.add_argument("out", type=Path, help="the .wxs file to write")
    parser.add_argument("--skip-symlinks", action="store_true")
    args = parser.parse_args(argv)
    try:
        files = collect(args.folder, skip_symlinks=args.skip_symlinks)
    except HarvestError as error:
        print(f"harvest: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fragment(files).write(args.out, encoding="utf-8", xml_declaration=True)
    print(f"{len(files)} files in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
