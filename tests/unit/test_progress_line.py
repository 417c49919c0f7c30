"""The progress of long work on the command line, and the counts the demo reports."""

from __future__ import annotations

import io

from cme_desktop.cli.vault import progress_line
from cme_desktop.services.cases import demo
from cme_desktop.services.vault.database import Database


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_per_tenth_and_the_last() -> None:
    out = io.StringIO()
    report = progress_line("Creating demo cases", stream=out)
    for done in range(0, 10_001, 500):
        report(done, 10_000)

    lines = out.getvalue().splitlines()
    assert lines[0] == "Creating demo cases: 0 of 10000"
    assert "Creating demo cases: 2000 of 10000" in lines
    assert "Creating demo cases: 2500 of 10000" not in lines  # same tenth as 2000
    assert lines[-1] == "Creating demo cases: 10000 of 10000"
    assert len(lines) == 11


def test_a_terminal_gets_one_line_rewritten_and_ended() -> None:
    out = _Terminal()
    report = progress_line("Creating demo cases", stream=out)
    report(0, 4000)
    report(2000, 4000)
    report(4000, 4000)

    assert out.getvalue() == (
        "\rCreating demo cases: 0 of 4000"
        "\rCreating demo cases: 2000 of 4000"
        "\rCreating demo cases: 4000 of 4000\n"
    )


def test_the_demo_reports_before_the_first_batch_and_after_each(db: Database) -> None:
    seen: list[tuple[int, int]] = []
    summary = demo.fill(db, cases=50, seed=5, batch=20, progress=lambda d, t: seen.append((d, t)))

    assert summary.cases == 50
    assert seen == [(0, 50), (20, 50), (40, 50), (50, 50)]
