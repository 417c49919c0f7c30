"""The build's own tools under packaging/, for the tests: its rules and the MSI's harvester.

packaging/ is not a Python package (an importable ``packaging`` there would hide the
``packaging`` library that pip and PyInstaller use), so its modules are loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def _load(relative: str, name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACKAGING / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and the like look their module up by name
    spec.loader.exec_module(module)
    return module


rules = _load("freeze_rules.py", "cme_packaging_freeze_rules")
harvest = _load("windows/harvest.py", "cme_packaging_harvest")
