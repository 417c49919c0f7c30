"""Importing a folder with progress and Cancel (pytest-qt): n of m, stopped before the next
file, what was read reviewed and imported, and a clear account of the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from cme_desktop.models.vocabularies import RISK_INDICATORS
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.ui import background
from cme_desktop.ui.importing import flow as importing
from cme_desktop.ui.importing.run import ImportRun
from cme_desktop.ui.main_window import MainWindow
from tests.support.fixtures_docx import appendix_a_docx, filled_referral
from tests.support.main_window import Prompts

#: Children no demo case resembles, so that each form is a new case.
NAMES = (
    "Xanthe Quillfeather",
    "Ignatius Brackenbury",
    "Philippa Wetherspoon",
    "Octavian Marchbanks",
    "Rosalind Thistlewood",
)


def form(seed: int, name: str) -> bytes:
    ref = filled_referral(seed)
    ref["children"][0] |= {"full_name": name, "aka": "", "date_of_birth": "2012-01-0" + str(seed)}
    for term in RISK_INDICATORS:
        ref["risk_indicators"][term.key] = {"present": False, "timing": None}
    return appendix_a_docx(ref, style="clean")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Five referral forms in a folder, named so that they are read in this order."""
    here = tmp_path / "referrals"
    here.mkdir()
    for number, name in enumerate(NAMES, start=1):
        (here / f"{number} {name}.docx").write_bytes(form(number, name))
    return here


@pytest.fixture
def importer(window: MainWindow) -> Iterator[importing.Importer]:
    found = importing.install(window)
    yield found
    if found.run is not None and found.run.review is not None:
        found.run.review.reject()


def _all_cases(window: MainWindow) -> int:
    assert window.services is not None
    return window.services.case_list.count(CaseQuery(quick="all"))


def _import_each_review(qtbot: QtBot, run: ImportRun) -> list[str]:
    """Press Import on every review as it comes; the names of the children imported."""
    names: list[str] = []
    while not run.done:
        qtbot.waitUntil(lambda: run.done or run.review is not None, timeout=60_000)
        review = run.review
        if review is None:
            break
        names.append(review.editor.referral()["children"][0]["full_name"])
        review.import_button.click()
        qtbot.waitUntil(lambda r=review: run.review is not r, timeout=30_000)
    return names


def test_a_folder_cancelled_after_two_files_imports_those_two_and_says_so(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    folder: Path,
) -> None:
    before = _all_cases(window)
    asked.confirm_answer = False  # no escalation questions

    run = importer.import_paths([folder])
    assert run is not None
    cancel_at_two = []

    def cancel_when_two_are_read(done: int, total: int, _text: str) -> None:
        if done == 2 and not cancel_at_two:
            cancel_at_two.append(total)
            run.progress.cancel()  # as the Cancel button does

    run.progress.changed.connect(cancel_when_two_are_read)
    imported = _import_each_review(qtbot, run)
    qtbot.waitUntil(lambda: run.done, timeout=30_000)

    assert cancel_at_two == [5]
    assert run.progress.reports == [(0, 5), (1, 5), (2, 5)]  # a count per file begun
    assert imported == list(NAMES[:2])
    assert _all_cases(window) == before + 2
    assert len(run.imported) == 2
    (summary,) = asked.texts("info")
    assert "stopped after 2 of 5 files" in summary
    assert "Imported: 2 cases created or updated." in summary
    for name in NAMES[2:]:
        assert name in summary
    assert NAMES[0] not in summary and NAMES[1] not in summary
    assert asked.texts("warn") == []  # nothing failed: only stopped


def test_an_import_not_cancelled_counts_every_file_and_ends_its_progress(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    folder: Path,
) -> None:
    for extra in sorted(folder.iterdir())[2:]:
        extra.unlink()  # two files are enough here
    run = importer.import_paths([folder])
    assert run is not None
    skipped = 0
    while not run.done:
        qtbot.waitUntil(lambda: run.done or run.review is not None, timeout=60_000)
        if run.review is not None:
            review = run.review
            review.skip_button.click()
            skipped += 1
            qtbot.waitUntil(lambda r=review: run.review is not r, timeout=30_000)

    assert skipped == 2
    assert run.progress.reports == [(0, 2), (1, 2), (2, 2)]
    assert run.progress.is_ended() and not run.was_cancelled()
    assert asked.texts("info") == []  # an import that was not stopped needs no account


def test_cancel_before_any_file_opens_nothing(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _all_cases(window)
    started: list[Any] = []
    with monkeypatch.context() as held:  # held back, to press Cancel before it starts
        held.setattr(ImportRun, "start", lambda self: started.append(self))
        run = importer.import_paths([folder])
    assert run is not None and started == [run]
    run.progress.cancel()
    run.start()
    qtbot.waitUntil(lambda: run.done, timeout=10_000)

    assert _all_cases(window) == before
    (summary,) = asked.texts("info")
    assert "stopped before any file was read" in summary and "Nothing was imported." in summary
    assert all(name in summary for name in NAMES)


def test_the_progress_window_shows_the_count_and_its_cancel_button_stops_the_work(
    qtbot: QtBot,
) -> None:
    progress = background.Progress("Reading the files…", cancellable=True, stopping_text="Stop")
    dialog = background.ProgressDialog(None, "Import referrals", progress, delay_ms=0)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    progress.report(3, 5, "Reading 4 of 5: form.docx")

    panel = dialog.panel
    assert panel.label.text() == "Reading 4 of 5: form.docx"
    assert (panel.bar.value(), panel.bar.maximum()) == (3, 5)
    assert panel.bar.text() == "3 of 5"
    panel.cancel_button.click()
    assert progress.cancelled()
    assert not panel.cancel_button.isEnabled() and panel.label.text() == "Stop"
    assert dialog.isVisible()  # it stays until the work has stopped
    progress.end()
    assert not dialog.isVisible()
