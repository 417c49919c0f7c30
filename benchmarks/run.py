"""The performance suite: ``python -m benchmarks.run [--cases 100000 --small 1000]``.

For each size a demo vault is built once (``benchmarks/out/``); each module of
measures runs for each size in a process of its own, so that one's peak
memory is not another's. The
table shows the median of each figure for both sizes side by side and their
ratio: the cost must not grow with the number of cases.

Rows come from ``measure_*`` functions in the modules of this folder (see
``common.py``); add a module to add rows. Each module also gets a row with its
process's peak memory (with a target if the module sets ``MEMORY_TARGET_MB``).
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

from benchmarks.common import Bench, Result
from benchmarks.vaults import OUT, PASSPHRASE, ensure_vault

HERE = Path(__file__).resolve().parent
_NOT_MEASURES = {"run", "common", "vaults", "__init__", "__main__"}
#: Modules measured first, in this order; the rest follow by name.
_FIRST = ("desktop",)


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


def peak_memory_mb() -> float | None:
    """The process's peak resident memory, in MB (None where it cannot be read)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def run_one(cases: int, repeat: int, module_name: str) -> list[dict[str, Any]]:
    """Measure one module at one size, in this process."""
    bench = Bench(cases=cases, vault_path=ensure_vault(cases), passphrase=PASSPHRASE, repeat=repeat)
    module = importlib.import_module(f"benchmarks.{module_name}")
    results: list[Result] = []
    for measure in measures_of(module):
        print(f"  {cases:>7,} cases: {measure.__name__} …", file=sys.stderr, flush=True)
        results.extend(measure(bench))
    closer = getattr(module, "close", None)
    if callable(closer):
        closer(bench)
    peak = peak_memory_mb()
    if peak is not None:
        target = getattr(module, "MEMORY_TARGET_MB", None)
        results.append(
            Result(
                f"memory_{module_name}",
                f"Peak memory, {module_name} (resident)",
                (peak,),
                unit="MB",
                target=target,
            )
        )
    return [r.as_dict() for r in results]


def _measure_in_child(cases: int, repeat: int, module_name: str) -> list[dict[str, Any]]:
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


def _figure(row: dict[str, Any] | None) -> str:
    if row is None:
        return "—"
    unit = row["unit"]
    text = f"{row['median']:,.2f} {unit}" if unit == "s" else f"{row['median']:,.0f} {unit}"
    if row["key"] == "keystroke":
        text += f" (worst {row['worst']:,.0f})"
    return text


def table(
    small: int, big: int, rows_small: list[dict[str, Any]], rows_big: list[dict[str, Any]]
) -> str:
    """The results as a Markdown table."""
    by_small = {r["key"]: r for r in rows_small}
    by_big = {r["key"]: r for r in rows_big}
    keys = list(dict.fromkeys([r["key"] for r in rows_big] + [r["key"] for r in rows_small]))
    lines = [
        f"| Measure | Target | {small:,} cases | {big:,} cases | Ratio | Met |",
        "|---|---|---|---|---|---|",
    ]
    for key in keys:
        s, b = by_small.get(key), by_big.get(key)
        any_row = b or s
        assert any_row is not None
        target = any_row["target"]
        target_text = f"< {target:,.0f} {any_row['unit']}" if target else "—"
        ratio = f"{b['median'] / s['median']:.1f}×" if s and b and s["median"] > 0 else "—"
        met = "—"
        if target:
            worst_ok = all(r is None or r["median"] < target for r in (s, b))
            met = "yes" if worst_ok else "**no**"
        label = any_row["label"] + (f" ({any_row['note']})" if any_row["note"] else "")
        lines.append(f"| {label} | {target_text} | {_figure(s)} | {_figure(b)} | {ratio} | {met} |")
    return "\n".join(lines)


def _load() -> str:
    """The machine's load while measuring: other work on the same cores slows every figure."""
    try:
        one, five, _ = os.getloadavg()
    except (AttributeError, OSError):
        return ""
    return f"; load average {one:.1f} (5 min {five:.1f})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000, help="the large vault's size")
    parser.add_argument("--small", type=int, default=1_000, help="the small vault's size")
    parser.add_argument("--repeat", type=int, default=5, help="samples per figure")
    parser.add_argument("--only", nargs="*", metavar="MODULE", help="measure these modules only")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--module", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        results = run_one(args.one, args.repeat, args.module)
        args.json.write_text(json.dumps(results), "utf-8")
        return 0
    for n in (args.small, args.cases):
        ensure_vault(n)
    names = [n for n in module_names() if not args.only or n in args.only]
    small: list[dict[str, Any]] = []
    big: list[dict[str, Any]] = []
    for name in names:
        small += _measure_in_child(args.small, args.repeat, name)
        big += _measure_in_child(args.cases, args.repeat, name)
    header = (
        f"CME Desktop benchmark, {date.today():%d %b %Y}: {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"medians of {args.repeat}+ samples{_load()}."
    )
    text = header + "\n\n" + table(args.small, args.cases, small, big) + "\n"
    print()
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
