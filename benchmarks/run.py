"""The performance suite: ``python -m benchmarks.run [--sizes 1000 10000 100000]``.

For each size a demo vault is built once (``benchmarks/out/``, see
``vaults.py``) and prepared before measuring (schema current, this month
already saved, the same key derivation at every size). Each module of
measures runs for each size in a process of its own, so that one's memory is
not another's. The table shows the median of each figure at every size, the
ratio of the largest size to the smallest (the cost must not grow with the
number of cases) and how many samples each figure is the median of.

Rows come from ``measure_*`` functions in the modules of this folder (see
``common.py``); add a module to add rows. Every module runs in ``--repeat``
processes at each size, the sizes taking turns (see ``measure_module``), and
the samples of its processes are pooled; one that sets ``MEMORY_TARGET_MB`` has
its peak resident memory as a row too, one sample per process. A module that
sets ``NEEDS_VAULT = False`` runs at one size only, and its rows go in a table
of their own.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.common import Bench, Result, peak_rss_mb, samples_text
from benchmarks.vaults import OUT, PASSPHRASE, SCRYPT, prepare, vault_path

HERE = Path(__file__).resolve().parent
_NOT_MEASURES = {
    "run",
    "common",
    "vaults",
    "launch",
    "register",
    "server_load",  # run on its own: it needs a PostgreSQL server
    "__init__",
    "__main__",
}
#: Modules measured first, in this order; the rest follow by name.
_FIRST = ("officer", "desktop")
SIZES = (1_000, 10_000, 100_000)


def module_names() -> list[str]:
    """The modules of this folder that may define ``measure_*`` functions, in run order."""
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in _NOT_MEASURES)
    return [n for n in _FIRST if n in names] + [n for n in names if n not in _FIRST]


def measure_modules() -> list[ModuleType]:
    """Every module of measures, imported."""
    return [importlib.import_module(f"benchmarks.{name}") for name in module_names()]


def measures_of(module: ModuleType) -> list[Callable[[Bench], list[Result]]]:
    found = [
        f
        for name, f in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("measure_") and f.__module__ == module.__name__
    ]
    return sorted(found, key=lambda f: f.__code__.co_firstlineno)


def run_one(cases: int, repeat: int, module_name: str) -> list[dict[str, Any]]:
    """Measure one module at one size, in this process."""
    module = importlib.import_module(f"benchmarks.{module_name}")
    path = vault_path(cases) if getattr(module, "NEEDS_VAULT", True) else None
    bench = Bench(cases=cases, vault_path=path, passphrase=PASSPHRASE, repeat=repeat)
    results: list[Result] = []
    for measure in measures_of(module):
        print(f"  {cases:>7,} cases: {measure.__name__} …", file=sys.stderr, flush=True)
        results.extend(measure(bench))
    closer = getattr(module, "close", None)
    if callable(closer):
        closer(bench)
    target = getattr(module, "MEMORY_TARGET_MB", None)
    if target is not None:
        results.append(
            Result(
                f"memory_{module_name}",
                f"Peak memory, {module_name} (resident, one sample per process)",
                (peak_rss_mb(),),
                unit="MB",
                target=target,
            )
        )
    return [r.as_dict() for r in results]


def _child(cases: int, repeat: int, module_name: str) -> list[dict[str, Any]]:
    try:
        return _child_once(cases, repeat, module_name)
    except subprocess.CalledProcessError as failed:
        # One process that fails (on a machine others are using too) would end an hour's
        # run: it is said, and run once more; a second failure ends the run.
        print(
            f"  {module_name} at {cases:,} cases failed ({failed.returncode}): once more",
            file=sys.stderr,
            flush=True,
        )
        return _child_once(cases, repeat, module_name)


def _child_once(cases: int, repeat: int, module_name: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.run",
                "--one",
                str(cases),
                "--module",
                module_name,
                "--repeat",
                str(repeat),
                "--json",
                str(out),
            ],
            check=True,
            cwd=HERE.parent,
            env={**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")},
        )
        data: list[dict[str, Any]] = json.loads(out.read_text("utf-8"))
        return data


def _pool(into: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row["key"] in into:
            into[row["key"]]["samples"] += row["samples"]
        else:
            into[row["key"]] = row


def measure_module(
    sizes: Sequence[int], repeat: int, module_name: str
) -> dict[int, list[dict[str, Any]]]:
    """One module at every size, in ``repeat`` rounds of one process per size.

    The sizes take turns (1,000, 10,000, 100,000, then again), so that whatever else
    the machine is doing weighs on every size alike and the ratios stay fair. A
    module that sets ``SAMPLES_PER_PROCESS`` takes that many samples in each process
    (its figures are then per process, as a new process per launch is).
    """
    module = importlib.import_module(f"benchmarks.{module_name}")
    per_process = getattr(module, "SAMPLES_PER_PROCESS", repeat)
    pooled: dict[int, dict[str, dict[str, Any]]] = {n: {} for n in sizes}
    for _ in range(repeat):
        for n in sizes:
            _pool(pooled[n], _child(n, per_process, module_name))
    return {n: list(rows.values()) for n, rows in pooled.items()}


def _median(row: dict[str, Any]) -> float:
    return Result(row["key"], row["label"], tuple(row["samples"])).median


def _figure(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    unit, median = row["unit"], _median(row)
    text = f"{median:,.2f} {unit}" if unit in {"s", "×"} else f"{median:,.0f} {unit}"
    if row.get("show_worst"):
        text += f" (worst {max(row['samples']):,.0f})"
    return text


def _met(rows: list[dict[str, Any] | None], ratio: float | None, any_row: dict[str, Any]) -> str:
    checks: list[bool] = []
    target = any_row["target"]
    if target:
        checks += [_median(r) <= target for r in rows if r is not None]
    ratio_target = any_row.get("ratio_target")
    if ratio_target and ratio is not None:
        checks.append(ratio <= ratio_target)
    if not checks:
        return "—"
    return "yes" if all(checks) else "**no**"


def table(sizes: Sequence[int], results: dict[int, list[dict[str, Any]]]) -> str:
    """The results at every size as a Markdown table."""
    by_size = {n: {r["key"]: r for r in results[n]} for n in sizes}
    keys = list(dict.fromkeys(r["key"] for n in reversed(sizes) for r in results[n]))
    small, big = sizes[0], sizes[-1]
    head = " | ".join(f"{n:,} cases" for n in sizes)
    lines = [
        f"| Measure | Target | {head} | {big // 1000:,}k ÷ {small // 1000:,}k | Samples | Met |",
        "|---|---|" + "---|" * len(sizes) + "---|---|---|",
    ]
    for key in keys:
        rows = [by_size[n].get(key) for n in sizes]
        # Label, note and targets as the largest vault measured them.
        any_row = next(r for r in reversed(rows) if r is not None)
        s, b = rows[0], rows[-1]
        ratio = _median(b) / _median(s) if s and b and _median(s) > 0 else None
        targets = []
        if any_row["target"]:
            targets.append(f"≤ {any_row['target']:,g} {any_row['unit']}")
        if any_row.get("ratio_target"):
            targets.append(f"ratio ≤ {any_row['ratio_target']:g}")
        label = any_row["label"] + (f" ({any_row['note']})" if any_row["note"] else "")
        cells = " | ".join(_figure(r) for r in rows)
        ratio_text = f"{ratio:.2f}×" if ratio is not None else "—"
        counts = samples_text([len(r["samples"]) if r else 0 for r in rows])
        met = _met(rows, ratio, any_row)
        lines.append(
            f"| {label} | {'; '.join(targets) or '—'} | {cells} | {ratio_text} | {counts} | {met} |"
        )
    return "\n".join(lines)


def flat_table(rows: list[dict[str, Any]]) -> str:
    """Figures that do not depend on the vault's size, as a Markdown table."""
    lines = ["| Measure | Target | Median | Worst | Samples | Met |", "|---|---|---|---|---|---|"]
    for row in rows:
        target = f"≤ {row['target']:,g} {row['unit']}" if row["target"] else "—"
        label = row["label"] + (f" ({row['note']})" if row["note"] else "")
        worst = f"{max(row['samples']):,.0f} {row['unit']}"
        met = _met([row], None, row)
        n = len(row["samples"])
        lines.append(f"| {label} | {target} | {_figure(row)} | {worst} | {n} | {met} |")
    return "\n".join(lines)


def _load() -> str:
    """The machine's load while measuring: other work on the same cores slows every figure."""
    try:
        one, five, _ = os.getloadavg()
    except (AttributeError, OSError):
        return ""
    return f"; load average {one:.1f} (5 min {five:.1f}) at the end"


def machine_line(repeat: int) -> str:
    """Where and how the figures were measured (the line above the table)."""
    return (
        f"CME Desktop benchmark, {date.today():%d %b %Y}: {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"medians, at least {repeat} samples each; scrypt n=2^{SCRYPT.n.bit_length() - 1} "
        f"r={SCRYPT.r} p={SCRYPT.p} for every vault; no monthly save running{_load()}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=list(SIZES), help="the vaults' sizes, in cases"
    )
    parser.add_argument("--repeat", type=int, default=5, help="samples per figure (at least 5)")
    parser.add_argument("--only", nargs="*", metavar="MODULE", help="measure these modules only")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        results = run_one(args.one, args.repeat, args.module)
        args.json.write_text(json.dumps(results), "utf-8")
        return 0
    if args.repeat < 5:
        parser.error("--repeat must be at least 5: a median of fewer samples says little")
    sizes = sorted(args.sizes)
    for n in sizes:
        prepare(n)
    names = [n for n in module_names() if not args.only or n in args.only]
    by_size: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    flat: list[dict[str, Any]] = []
    for name in names:
        if getattr(importlib.import_module(f"benchmarks.{name}"), "NEEDS_VAULT", True):
            for n, rows in measure_module(sizes, args.repeat, name).items():
                by_size[n] += rows
        else:
            flat += measure_module(sizes[-1:], args.repeat, name)[sizes[-1]]
    text = machine_line(args.repeat) + "\n\n" + table(sizes, by_size) + "\n"
    if flat:
        text += "\nFigures that do not depend on the vault:\n\n" + flat_table(flat) + "\n"
    print()
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(text, "utf-8")
    (OUT / "results.json").write_text(json.dumps({"sizes": sizes, "results": by_size}), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
