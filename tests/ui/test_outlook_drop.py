"""Messages dragged straight out of Outlook (pytest-qt): a ``FileGroupDescriptorW`` naming
them and ``FileContents`` holding their bytes, imported from memory."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from cme_desktop.models.vocabularies import RISK_INDICATORS
from cme_desktop.services.errors import UnreadableFile
from cme_desktop.ui.importing import flow as importing
from cme_desktop.ui.importing.outlook_drop import (
    CONTENTS_FORMAT,
    DESCRIPTOR_FORMAT,
    contents_format,
    read_descriptor,
    read_drop,
)
from cme_desktop.ui.main_window import MainWindow
from tests.support.fixtures_docx import appendix_a_docx, filled_referral
from tests.support.main_window import Prompts
from tests.support.msg_writer import FileAttachment, Message

FD_ATTRIBUTES, FD_FILESIZE = 0x04, 0x40


def descriptor(names: list[str]) -> bytes:
    """A FILEGROUPDESCRIPTORW as Windows writes it: a count, then 592-byte records."""
    out = struct.pack("<I", len(names))
    for number, name in enumerate(names):
        size = 40_000 + number  # the sizes Outlook states; the reader relies on the bytes
        record = bytearray(592)
        struct.pack_into("<I", record, 0, FD_ATTRIBUTES | FD_FILESIZE)
        struct.pack_into("<I", record, 36, 0x80)  # FILE_ATTRIBUTE_NORMAL
        struct.pack_into("<II", record, 64, size >> 32, size & 0xFFFFFFFF)
        encoded = name.encode("utf-16-le")[: 259 * 2]
        record[72 : 72 + len(encoded)] = encoded
        out += bytes(record)
    return out


def referral_message(name: str, seed: int) -> bytes:
    """An Outlook message from a school with the referral form attached."""
    ref = filled_referral(seed)
    ref["children"][0] |= {"full_name": name, "aka": "", "date_of_birth": "2012-02-03"}
    for term in RISK_INDICATORS:
        ref["risk_indicators"][term.key] = {"present": False, "timing": None}
    form = appendix_a_docx(ref, style="clean")
    return Message(
        subject=f"CME referral: {name}",
        sender_name="Designated Safeguarding Lead",
        sender_smtp="dsl@school.example.org",
        sent=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        body="Please find the referral attached. The password follows by phone.",
        attachments=[FileAttachment("CME referral.docx", form)],
    ).to_bytes()


def outlook_drag(items: list[tuple[str, bytes | None]], *, indexed: bool = True) -> QMimeData:
    """The drag data Qt gives on Windows for messages dragged out of Outlook.

    ``indexed``: the contents of every item are there by index (``;index=N``), as
    Qt asks Windows for them; otherwise only the plain format, the first item's.
    """
    mime = QMimeData()
    mime.setData(DESCRIPTOR_FORMAT, descriptor([n for n, _ in items]))
    first = items[0][1]
    if first is not None:
        mime.setData(CONTENTS_FORMAT, first)
    if indexed:
        for index, (_name, data) in enumerate(items):
            if data is not None:
                mime.setData(contents_format(index), data)
    return mime


def drop_mime(window: MainWindow, mime: QMimeData) -> bool:
    """Drag ``mime`` over the window and drop it; whether the window took the drag."""
    action, button = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    modifiers = Qt.KeyboardModifier.NoModifier
    try:
        enter = QDragEnterEvent(QPointF(40, 40), action, mime, button, modifiers)
    except TypeError:  # PySide6 before 6.12 takes a QPoint only
        enter = QDragEnterEvent(QPoint(40, 40), action, mime, button, modifiers)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(window, QDropEvent(QPointF(40, 40), action, mime, button, modifiers))
    return True


@pytest.fixture
def importer(window: MainWindow) -> Iterator[importing.Importer]:
    found = importing.install(window)
    yield found
    if found.run is not None and found.run.review is not None:
        found.run.review.reject()


def test_the_descriptor_gives_each_name_without_its_folder() -> None:
    data = descriptor(["Inbox\\CME referral: Xanthe.msg", "notes.txt", "a/b/form.docx"])
    assert read_descriptor(data) == ["CME referral: Xanthe.msg", "notes.txt", "form.docx"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "description is empty"),
        (struct.pack("<I", 0), "Nothing was dragged"),
        (descriptor(["one.msg", "two.msg"])[:-100], "damaged"),
        (struct.pack("<I", 10_000_000) + bytes(592), "damaged"),
    ],
)
def test_a_damaged_descriptor_is_refused_plainly(data: bytes, words: str) -> None:
    with pytest.raises(UnreadableFile) as raised:
        read_descriptor(data)
    assert words in raised.value.message


def test_a_drop_whose_contents_never_came_says_what_to_do() -> None:
    mime = QMimeData()
    mime.setData(DESCRIPTOR_FORMAT, descriptor(["Referral.msg"]))
    with pytest.raises(UnreadableFile) as raised:
        read_drop(mime)
    assert "Referral.msg" in raised.value.message and "Save As" in raised.value.message


def test_a_message_dragged_from_outlook_is_reviewed_under_its_own_name(
    qtbot: QtBot, window: MainWindow, importer: importing.Importer, asked: Prompts
) -> None:
    message = referral_message("Xanthe Quillfeather", 11)
    mime = outlook_drag([("CME referral Xanthe Quillfeather.msg", message)], indexed=False)

    assert drop_mime(window, mime)
    qtbot.waitUntil(
        lambda: importer.run is not None and importer.run.review is not None, timeout=60_000
    )

    run = importer.run
    assert run is not None and run.review is not None
    parsed = run.review.parsed
    assert parsed.source == "CME referral Xanthe Quillfeather.msg › CME referral.docx"
    assert parsed.referral["children"][0]["full_name"] == "Xanthe Quillfeather"
    assert asked.texts("warn") == [] and asked.texts("error") == []


def test_several_messages_come_by_index_and_one_that_did_not_is_named(
    qtbot: QtBot, window: MainWindow, importer: importing.Importer, asked: Prompts
) -> None:
    first = referral_message("Ignatius Brackenbury", 12)
    second = referral_message("Philippa Wetherspoon", 13)
    mime = outlook_drag(
        [
            ("Referral one.msg", first),
            ("Referral two.msg", second),
            ("Referral three.msg", None),  # Windows gave nothing for this one
        ]
    )

    assert drop_mime(window, mime)
    seen: list[str] = []
    run = None
    while run is None or not run.done:
        qtbot.waitUntil(
            lambda: (
                importer.run is not None and (importer.run.done or importer.run.review is not None)
            ),
            timeout=60_000,
        )
        run = importer.run
        assert run is not None
        if run.review is not None:
            review = run.review
            seen.append(review.parsed.source)
            review.skip_button.click()
            qtbot.waitUntil(lambda r=review, now=run: now.review is not r)

    assert seen == [
        "Referral one.msg › CME referral.docx",
        "Referral two.msg › CME referral.docx",
    ]
    (warning,) = asked.texts("warn")
    assert "Referral three.msg" in warning and "Drag this one on its own" in warning


def test_files_and_other_drags_are_told_apart(window: MainWindow) -> None:
    importing.install(window)
    text_only = QMimeData()
    text_only.setText("just some text")
    assert not drop_mime(window, text_only)
