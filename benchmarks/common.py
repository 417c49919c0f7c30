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
    target: float | None = None  # the median must not exceed this, in ``unit``
    note: str = ""
    #: The median at the largest size over the median at the smallest must not exceed this.
    ratio_target: float | None = None
    show_worst: bool = False  # the table shows the worst sample beside the median

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
            "samples": list(self.samples),
            "note": self.note,
            "ratio_target": self.ratio_target,
            "show_worst": self.show_worst,
        }


@dataclass
class Bench:
    """One vault size: the vault file, its passphrase, and shared objects for measuring."""

    cases: int
    vault_path: Path | None  # None for a module that needs no vault
    passphrase: str
    repeat: int = 5
    shared: dict[str, Any] = field(default_factory=dict)

    def timed(self, work: Callable[[], object]) -> float:
        """Milliseconds ``work()`` takes."""
        started = time.perf_counter()
        work()
        return (time.perf_counter() - started) * 1000

    def path(self) -> Path:
        """The vault's path (for a module that needs one)."""
        assert self.vault_path is not None, "this module needs a vault"
        return self.vault_path


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB.

    Linux's ``VmHWM`` first: ``ru_maxrss`` of a child started by fork and exec still
    counts the memory of the parent it was forked from.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def samples_text(counts: list[int]) -> str:
    """How many samples a row's figures are medians of: ``5``, or ``5 / 5 / 25`` if they differ."""
    shown = [c for c in counts if c]
    if shown and all(c == shown[0] for c in shown):
        return str(shown[0])
    return " / ".join(str(c) if c else "—" for c in counts)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the milliseconds taken."""
    out: list[float] = []
    started = time.perf_counter()
    try:
        yield out
    finally:
        out.append((time.perf_counter() - started) * 1000)
