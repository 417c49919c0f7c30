"""Importing in the window (pytest-qt): drop a protected form, give its password, review, save."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cme_desktop.models.vocabularies import RISK_INDICATORS
from cme_desktop.services.cases.case_list import CaseQuery
from cme_desktop.services.protection.office import encrypt_office
from cme_desktop.ui import look, prompts
from cme_desktop.ui.importing import flow as importing
from cme_desktop.ui.importing.review import COL_CASE, COL_REFERRAL
from cme_desktop.ui.main_window import MainWindow
from tests.support.fixtures_docx import appendix_a_docx, filled_referral, ole_doc_bytes
from tests.support.main_window import KNOWN_NAME, Prompts

PASSWORD = "Meadow-Kettle-29"


def set_cell(data: bytes, label: str, value: str) -> bytes:
    """The form with the cell right of ``label`` filled in as a school might."""
    document = docx.Document(io.BytesIO(data))
    for table in document.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells[:-1]):
                if cell.text.strip().rstrip(":").strip() == label:
                    cells[i + 1].text = value
                    out = io.BytesIO()
                    document.save(out)
                    return out.getvalue()
    raise AssertionError(f"no label {label!r}")


def referral_form(name: str, *, whereabouts_unknown: bool) -> bytes:
    """A school's Word form for ``name`` (born as the known case was), one answer unreadable."""
    ref = filled_referral(88)
    ref["children"][0] |= {"full_name": name, "aka": "", "date_of_birth": "2015-03-04"}
    for term in RISK_INDICATORS:
        ref["risk_indicators"][term.key] = {"present": False, "timing": None}
    if whereabouts_unknown:
        ref["risk_indicators"]["10"] = {"present": True, "timing": "current"}
    return set_cell(appendix_a_docx(ref, style="clean"), "Child in Care?", "possibly")


def drop(window: MainWindow, paths: list[Path]) -> None:
    """Drag files from the file manager and drop them on the window."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    action, button = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    modifiers = Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(QPointF(40, 40), action, mime, button, modifiers)
    except TypeError:  # PySide6 before 6.12 takes a QPoint only
        enter = QDragEnterEvent(QPoint(40, 40), action, mime, button, modifiers)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(window, QDropEvent(QPointF(40, 40), action, mime, button, modifiers))


@pytest.fixture
def importer(window: MainWindow) -> Iterator[importing.Importer]:
    found = importing.install(window)
    yield found
    if found.run is not None and found.run.review is not None:
        found.run.review.reject()


@pytest.fixture
def passwords(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The password prompts shown; answered wrongly once, then rightly."""
    asked: list[str] = []
    answers = iter(["Meadow-Kettle-92", PASSWORD])

    def ask_password(_parent: Any, _title: str, label: str) -> str | None:
        asked.append(label)
        return next(answers, None)

    monkeypatch.setattr(prompts, "ask_password", ask_password)
    return asked


def known_case(window: MainWindow) -> int:
    assert window.services is not None
    (case_id,) = window.services.case_list.matching_ids(CaseQuery(search=KNOWN_NAME, quick="all"))
    return case_id


def test_drop_a_protected_form_review_it_and_add_it_to_the_existing_case(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    passwords: list[str],
    asked: Prompts,
    tmp_path: Path,
) -> None:
    assert window.services is not None
    case_id = known_case(window)
    before = window.services.cases.get(case_id)
    path = tmp_path / "CME referral.docx"
    form = referral_form("Zebedee Quatermain", whereabouts_unknown=True)
    path.write_bytes(encrypt_office(form, PASSWORD))
    asked.confirm_answer = False  # "Consider escalation": not now

    drop(window, [path])
    qtbot.waitUntil(
        lambda: importer.run is not None and importer.run.review is not None, timeout=60_000
    )

    assert len(passwords) == 2
    assert "password-protected" in passwords[0]
    assert "does not open" in passwords[1] and "attempt 2 of 3" in passwords[1]
    review = importer.run.review if importer.run else None
    assert review is not None
    assert review.editor.is_uncertain("children.child_in_care")
    assert not review.editor.is_uncertain("children.full_name")
    (choice,) = review.choices
    candidate = choice.candidate()
    assert candidate is not None and candidate.case_id == case_id
    assert choice.action() == "add"  # one clear match: suggested
    assert "school" in choice.differing_fields()
    row = [c.field for c in choice.comparison].index("school")
    for column in (COL_CASE, COL_REFERRAL):
        item = choice.table.item(row, column)
        assert item is not None
        assert item.background().color() == look.fill("difference")[0]

    choice.choose("add", case_id)
    review.import_button.click()
    qtbot.waitUntil(lambda: importer.run is not None and importer.run.done, timeout=30_000)

    after = window.services.cases.get(case_id)
    assert len(after.referrals) == len(before.referrals) + 1
    assert after.draft.school == before.draft.school  # the case's own value is kept
    assert after.draft.ethnicity == "White British"  # a blank field is filled
    assert after.draft.whereabouts_unknown
    assert "Consider escalation" in asked.titles("confirm")
    workspace = window.desk.current_workspace()
    assert workspace is not None and workspace.case_id == case_id


def test_skip_saves_nothing_and_unreadable_files_are_listed(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    tmp_path: Path,
) -> None:
    assert window.services is not None
    listing = window.services.case_list
    cases_before = listing.count(CaseQuery(quick="all"))
    form = tmp_path / "referral.docx"
    form.write_bytes(referral_form("Yusuf Abernethy", whereabouts_unknown=False))
    legacy = tmp_path / "old form.doc"
    legacy.write_bytes(ole_doc_bytes())

    run = importer.import_paths([form, legacy])
    assert run is not None
    qtbot.waitUntil(lambda: run.review is not None, timeout=60_000)

    (warning,) = asked.texts("warn")
    assert "old form.doc" in warning and ".docx" in warning
    review = run.review
    assert review is not None and review.choices[0].action() == "new"
    assert not review.choices[0].match.candidates
    review.skip_button.click()
    qtbot.waitUntil(lambda: run.done, timeout=10_000)

    assert listing.count(CaseQuery(quick="all")) == cases_before
    assert run.imported == []


def test_a_file_imported_before_is_named_with_its_case_and_not_imported_again(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    tmp_path: Path,
) -> None:
    assert window.services is not None
    listing = window.services.case_list
    form = tmp_path / "referral.docx"
    form.write_bytes(referral_form("Wilhelmina Ashcombe", whereabouts_unknown=False))

    first = importer.import_paths([form])
    assert first is not None
    qtbot.waitUntil(lambda: first.review is not None, timeout=60_000)
    assert first.review is not None and first.review.already is None
    first.review.import_button.click()
    qtbot.waitUntil(lambda: first.done, timeout=30_000)
    (case_id,) = first.imported
    cases = listing.count(CaseQuery(quick="all"))

    again = importer.import_paths([form])
    assert again is not None
    qtbot.waitUntil(lambda: again.review is not None, timeout=60_000)
    review = again.review
    assert review is not None and review.already is not None
    assert f"to case CME-{case_id:06d}" in review.already.text()
    assert "already imported" in review.already.text()
    assert not review.import_button.isEnabled()
    review.skip_button.click()
    qtbot.waitUntil(lambda: again.done, timeout=10_000)
    assert listing.count(CaseQuery(quick="all")) == cases


def test_a_pipe_dropped_on_the_window_is_listed_as_not_read(
    qtbot: QtBot,
    window: MainWindow,
    importer: importing.Importer,
    asked: Prompts,
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "referral.docx"
    os.mkfifo(fifo)  # opened for reading, it would wait for ever

    run = importer.import_paths([fifo])
    assert run is not None
    qtbot.waitUntil(lambda: run.done, timeout=30_000)

    (warning,) = asked.texts("warn")
    assert "referral.docx" in warning and "This is a pipe (FIFO), not a file" in warning
