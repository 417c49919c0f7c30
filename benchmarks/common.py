"""What a benchmark module gets (``Bench``) and gives back (``Result``).

A module ``benchmarks/<name>.py`` contributes rows to the table by defining
functions ``measure_<something>(bench: Bench) -> list[Result]``; ``run.py``
finds and calls them for each vault size, in file order.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass(frozen=True)
class Result:
    """One row of the table for one vault size."""

    key: str
    label: str
    samples: tuple[float, ...]
    unit: str = "ms"
    target: float | None = None  # the figure must stay below this, in ``unit``
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def worst(self) -> float:
        return max(self.samples)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "target": self.target,
            "median": self.median,
            "worst": self.worst,
            "n": len(self.samples),
            "note": self.note,
        }


@dataclass
class Bench:
    """One vault size: the vault file, its passphrase, and shared objects for measuring."""

    cases: int
    vault_path: Path
    passphrase: str
    repeat: int = 5
    shared: dict[str, Any] = field(default_factory=dict)

    def timed(self, work: Callable[[], object]) -> float:
        """Milliseconds ``work()`` takes."""
        started = time.perf_counter()
        work()
        return (time.perf_counter() - started) * 1000


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the milliseconds taken."""
    out: list[float] = []
    started = time.perf_counter()
    try:
        yield out
    finally:
        out.append((time.perf_counter() - started) * 1000)
