"""Reaching the files the program ships in ``resources/``: icon, words, policy, licences, letters.

In the source tree ``resources/`` sits beside ``cme_desktop/``; it is installed as the
data package ``cme_desktop.resources`` (see ``setup.py``), so one name such as
``"icons/cme-desktop-32.png"`` finds the file in the editable install, in an installed
wheel and in a frozen build alike.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "cme_desktop.resources"


def _find(name: str) -> Traversable:
    item = resources.files(PACKAGE).joinpath(*name.split("/"))
    if not item.is_file():
        raise FileNotFoundError(f"{name} is not among the files CME Desktop ships.")
    return item


def resource_path(name: str) -> Path:
    """The shipped file ``name`` (a ``/``-separated path inside ``resources/``) on disk.

    For what needs a file name (Qt's icons); the program is never run from a zip
    archive, so every shipped file is a real file.
    """
    item = _find(name)
    if not isinstance(item, Path):
        raise FileNotFoundError(f"{name} is not a file on disk ({item}).")
    return item


def read_text(name: str) -> str:
    """The shipped text file ``name`` (UTF-8), with its line endings as ``\\n``."""
    return _find(name).read_text(encoding="utf-8")
