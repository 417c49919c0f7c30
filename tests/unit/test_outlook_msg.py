"""Outlook messages read from memory with olefile alone: every field, every attachment, every
damaged or hostile file refused with a typed error, quickly.

The files are written by ``tests.support.msg_writer``; the first tests check that writer
against olefile (no defect at all).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import random
import struct
import time
from datetime import UTC, datetime
from typing import Any

import olefile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme_desktop.services.errors import CorruptFile, HostileFile
from cme_desktop.services.importing.outlook_msg import (
    MAX_ATTACHMENTS,
    OutlookMessage,
    read_outlook_message,
)
from tests.support.msg_writer import (
    SECTOR,
    CompoundFile,
    EmbeddedMessage,
    FileAttachment,
    Message,
    directory_entries,
    fat_entry_offset,
)

SENT = datetime(2026, 9, 30, 9, 15, tzinfo=UTC)
RECEIVED = datetime(2026, 9, 30, 9, 16, 30, 250000, tzinfo=UTC)
DOCX = b"PK\x03\x04" + bytes(range(256)) * 3
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 30  # over the 4096-byte mini stream cutoff


def referral_email() -> Message:
    forwarded = Message(
        subject="Pupil CME",
        sender_name="Sam Teacher",
        sender_smtp="sam.teacher@school.example",
        sent=datetime(2026, 9, 29, 16, 0, tzinfo=UTC),
        body="Sibling's form attached.",
        attachments=[FileAttachment("sibling.pdf", PDF)],
    )
    return Message(
        subject="FW: CME referral – Year 5",
        sender_name="Jo Bloggs",
        sender_smtp="jo.bloggs@school.example",
        sent=SENT,
        received=RECEIVED,
        body="Referral attached.\r\nThanks, Jo",
        attachments=[
            FileAttachment("referral.docx", DOCX),
            FileAttachment("signature.png", b"\x89PNG\r\n\x1a\n" + bytes(9)),
            EmbeddedMessage("Pupil CME", forwarded),
        ],
    )


def read(message: Message, **limits: Any) -> OutlookMessage:
    return read_outlook_message(message.to_bytes(), **limits)


# --- the writer ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000])
def test_the_writer_makes_a_compound_file_olefile_finds_no_defect_in(size: int) -> None:
    ole_file = CompoundFile()
    data = bytes(random.Random(size).randrange(256) for _ in range(size))
    ole_file.add_stream("folder/inner/stream", data)
    ole_file.add_stream("small", b"tiny")
    with olefile.OleFileIO(
        io.BytesIO(ole_file.to_bytes()), raise_defects=olefile.DEFECT_UNSURE
    ) as ole:
        assert ole.parsing_issues == []
        assert ole.openstream("folder/inner/stream").read() == data
        assert ole.openstream("small").read() == b"tiny"


def test_the_writer_grows_the_fat_past_the_header_with_difat_sectors() -> None:
    big = random.Random(7).randbytes(8 * 1024 * 1024)
    data = Message(subject="big", attachments=[FileAttachment("big.bin", big)]).to_bytes()
    assert struct.unpack_from("<I", data, 72)[0] >= 1  # DIFAT sectors used
    with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_UNSURE) as ole:
        assert ole.parsing_issues == []
    assert read_outlook_message(data).attachments[0].data == big


# --- the fields ----------------------------------------------------------------------------


def test_the_details_of_a_message_are_read() -> None:
    message = read(referral_email())
    assert message.subject == "FW: CME referral – Year 5"
    assert message.sender == "Jo Bloggs <jo.bloggs@school.example>"
    assert message.sent == SENT
    assert message.received == RECEIVED
    assert message.body == "Referral attached.\r\nThanks, Jo"
    assert message.has_rtf_body is False


def test_unicode_strings_keep_every_character() -> None:
    subject = "Zażółć gęślą jaźń – 日本語 – 😀"
    message = read(Message(subject=subject, sender_name="Ōno Søren", body="✓\u00a0done"))
    assert (message.subject, message.sender, message.body) == (subject, "Ōno Søren", "✓\u00a0done")


@pytest.mark.parametrize(
    ("text", "code_page", "stored"),
    [
        ("Привет, Иван", 1251, {}),  # PidTagMessageCodepage
        ("Привет, Иван", 1251, {"store_code_page": False, "locale": 0x0419}),  # Russian
        ("Zażółć gęślą", 1250, {"store_code_page": False, "locale": 0x0415}),  # Polish
        ("日本語の件名", 932, {"store_code_page": False, "locale": 0x0411}),  # Japanese
        ("格式測試", 950, {"store_code_page": False, "locale": 0x0404}),  # Chinese (Taiwan)
        ("Café crème", 1252, {"store_code_page": False, "locale": 0x0809}),  # English (UK)
        ("Café crème", 1252, {"store_code_page": False}),  # nothing stored: Windows default
        # The internet code page is the MIME body's: believed only when nothing else is said.
        ("Ελληνικά", 1253, {"store_code_page": False, "internet_code_page": 1253}),
        ("Grüße", 1252, {"store_code_page": False, "internet_code_page": 65001, "locale": 0x0407}),
    ],
)
def test_8_bit_strings_are_read_in_the_code_page_of_the_message(
    text: str, code_page: int, stored: dict[str, Any]
) -> None:
    message = read(
        Message(subject=text, sender_name=text, unicode=False, code_page=code_page, **stored)
    )
    assert (message.subject, message.sender) == (text, text)


def test_a_message_code_page_is_kept_by_the_items_embedded_in_it() -> None:
    inner = Message(subject="Вложение", unicode=False, code_page=1251, store_code_page=False)
    outer = Message(
        subject="Письмо",
        unicode=False,
        code_page=1251,
        attachments=[EmbeddedMessage("Вложение", inner)],
    )
    message = read(outer)
    assert message.subject == "Письмо"
    embedded = message.attachments[0]
    assert embedded.name == "Вложение.msg"
    assert embedded.message is not None
    assert embedded.message.subject == "Вложение"


@pytest.mark.parametrize(
    ("fields", "sender"),
    [
        ({"sender_name": "Jo Bloggs", "sender_smtp": "jo@x.example"}, "Jo Bloggs <jo@x.example>"),
        ({"sender_name": "Jo Bloggs"}, "Jo Bloggs"),
        ({"sender_smtp": "jo@x.example"}, "jo@x.example"),
        ({"sender_name": "jo@x.example", "sender_smtp": "jo@x.example"}, "jo@x.example"),
        (
            {"sender_name": "Jo Bloggs", "sender_email": "jo@x.example"},
            "Jo Bloggs <jo@x.example>",
        ),
        (
            # An Exchange sender's X.500 address is no address to show.
            {"sender_name": "Jo Bloggs", "sender_email": "/O=COUNCIL/OU=EXCHANGE/CN=JOB"},
            "Jo Bloggs",
        ),
        ({}, ""),
    ],
)
def test_the_sender_is_the_name_and_address_there_are(fields: dict[str, str], sender: str) -> None:
    assert read(Message(subject="x", **fields)).sender == sender


def test_the_sender_of_a_received_message_comes_from_its_internet_headers() -> None:
    headers = (
        "Microsoft Mail Internet Headers Version 2.0\r\n"
        "Received: from mail.school.example\r\n"
        "From: =?utf-8?q?Zo=C3=AB_Smith?= <zoe@school.example>\r\n"
        "Subject: referral\r\n\r\n"
    )
    message = Message(subject="x", sender_name="Zoe (Exchange)", headers=headers)
    assert read(message).sender == "Zoë Smith <zoe@school.example>"


def test_a_from_header_with_a_broken_encoded_word_is_shown_as_written() -> None:
    message = Message(subject="x", headers="From: =?x?B?+?= <jo@x.example>\r\n\r\n")
    assert read(message).sender == "=?x?B?+?= <jo@x.example>"


def test_headers_without_a_from_leave_the_sender_to_the_properties() -> None:
    message = Message(subject="x", sender_name="Jo", headers="Subject: referral\r\n\r\n")
    assert read(message).sender == "Jo"


def test_a_draft_has_no_sent_date_and_no_date_means_none() -> None:
    draft = read(Message(subject="draft", sent=SENT, unsent=True))
    assert draft.sent is None
    assert read(Message(subject="undated")).sent is None
    # Outlook writes the year 4500 for "no date".
    no_date = Message(subject="x", sent=datetime(4501, 1, 1, tzinfo=UTC))
    assert read(no_date).sent is None


def test_a_body_kept_only_as_rtf_is_said_to_be_so() -> None:
    message = read(Message(subject="x", rtf_body=b"\x10\x00\x00\x00compressed rtf"))
    assert message.body is None
    assert message.has_rtf_body is True
    assert read(Message(subject="x")).has_rtf_body is False


def test_strings_lose_the_terminating_nul_some_writers_store() -> None:
    assert read(Message(subject="test message\0")).subject == "test message"


# --- attachments ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 100_000])
def test_an_attachment_is_read_byte_for_byte(size: int) -> None:
    data = random.Random(size).randbytes(size)
    message = read(Message(subject="x", attachments=[FileAttachment("form.pdf", data)]))
    (attachment,) = message.attachments
    assert (attachment.name, attachment.kind, attachment.data) == ("form.pdf", "file", data)


def test_attachments_keep_their_order_past_nine() -> None:
    files = [FileAttachment(f"file {n}.pdf", bytes([n])) for n in range(12)]
    message = read(Message(subject="x", attachments=list(files)))
    assert [a.name for a in message.attachments] == [f"file {n}.pdf" for n in range(12)]
    assert [a.data for a in message.attachments] == [bytes([n]) for n in range(12)]


def test_an_attachment_is_named_by_its_long_then_short_name() -> None:
    message = read(
        Message(
            subject="x",
            attachments=[
                FileAttachment("Referral form 2026.docx", DOCX, short_name="REFERR~1.DOC"),
                FileAttachment(None, DOCX, short_name="REFERR~1.DOC"),
                FileAttachment(None, DOCX, display_name="shown, but not a file name"),
            ],
        )
    )
    assert [a.name for a in message.attachments] == [
        "Referral form 2026.docx",
        "REFERR~1.DOC",
        "",
    ]


def test_attachments_without_data_are_other() -> None:
    message = read(
        Message(
            subject="x",
            attachments=[
                FileAttachment("https://share.example/form.docx", None, method=7),  # a link
                FileAttachment("lost.docx", None, method=None),
            ],
        )
    )
    assert [(a.name, a.kind, a.data) for a in message.attachments] == [
        ("https://share.example/form.docx", "other", None),
        ("lost.docx", "other", None),
    ]


def test_the_content_of_a_signed_message_is_given_as_mime() -> None:
    mime = b"MIME-Version: 1.0\r\nContent-Type: multipart/signed; boundary=b\r\n\r\n--b--\r\n"
    message = read(
        Message(
            subject="signed",
            message_class="IPM.Note.SMIME.MultipartSigned",
            attachments=[FileAttachment(None, mime, mime_type="multipart/signed")],
        )
    )
    (content,) = message.attachments
    assert (content.kind, content.data) == ("signed", mime)


def test_a_forwarded_message_is_read_with_its_own_attachment() -> None:
    message = read(referral_email())
    docx, png, forwarded = message.attachments
    assert (docx.name, docx.kind, docx.data) == ("referral.docx", "file", DOCX)
    assert png.name == "signature.png"
    assert (forwarded.name, forwarded.kind, forwarded.data) == ("Pupil CME.msg", "message", None)
    inner = forwarded.message
    assert inner is not None
    assert inner.subject == "Pupil CME"
    assert inner.sender == "Sam Teacher <sam.teacher@school.example>"
    assert inner.sent == datetime(2026, 9, 29, 16, 0, tzinfo=UTC)
    assert inner.body == "Sibling's form attached."
    assert [(a.name, a.data) for a in inner.attachments] == [("sibling.pdf", PDF)]


def _nested(levels: int) -> Message:
    message = Message(subject=f"level {levels}", attachments=[FileAttachment("form.pdf", PDF)])
    for level in range(levels - 1, -1, -1):
        message = Message(
            subject=f"level {level}", attachments=[EmbeddedMessage(f"level {level + 1}", message)]
        )
    return message


def test_forwarded_messages_are_opened_down_to_the_depth_asked_for() -> None:
    message = read(_nested(6), max_depth=3)
    subjects = []
    item = message.attachments[0]
    while item.message is not None:
        subjects.append(item.message.subject)
        item = item.message.attachments[0]
    assert subjects == ["level 1", "level 2", "level 3"]
    assert (item.name, item.kind, item.message) == ("level 4.msg", "message", None)
    assert read(_nested(1), max_depth=0).attachments[0].message is None


def test_a_message_nested_far_too_deep_is_read_only_as_deep_as_asked_quickly() -> None:
    start = time.perf_counter()
    message = read(_nested(60))
    assert time.perf_counter() - start < 5
    assert message.attachments[0].message is not None


# --- limits and damage ---------------------------------------------------------------------


def test_attachments_past_the_limit_are_refused_at_every_level() -> None:
    files = [FileAttachment(f"{n}.pdf", b"%PDF") for n in range(MAX_ATTACHMENTS)]
    assert len(read(Message(subject="x", attachments=list(files))).attachments) == MAX_ATTACHMENTS
    inner = Message(subject="inner", attachments=[FileAttachment("one more.pdf", b"%PDF")])
    over = Message(subject="x", attachments=[*files[:-1], EmbeddedMessage("inner", inner)])
    with pytest.raises(HostileFile, match=f"more than {MAX_ATTACHMENTS} attachments"):
        read(over)
    with pytest.raises(HostileFile, match="more than 3 attachments"):
        read(Message(subject="x", attachments=list(files[:4])), max_attachments=3)


def test_a_file_over_the_size_limit_is_not_opened() -> None:
    data = referral_email().to_bytes()
    with pytest.raises(HostileFile, match="larger than"):
        read_outlook_message(data, max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xd0\xcf\x11\xe0",
        b"not an outlook message at all" * 100,
        random.Random(1).randbytes(20_000),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(2).randbytes(20_000),
    ],
    ids=["empty", "magic only", "text", "random", "random behind the OLE magic"],
)
def test_what_is_not_a_compound_file_is_damaged(data: bytes) -> None:
    with pytest.raises(CorruptFile, match="Outlook message"):
        read_outlook_message(data)


def test_a_compound_file_that_is_not_a_message_is_named_so() -> None:
    other = CompoundFile()
    other.add_stream("WordDocument", bytes(600))
    with pytest.raises(CorruptFile, match="not an Outlook message"):
        read_outlook_message(other.to_bytes())


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.99])
def test_a_truncated_message_is_damaged(keep: float) -> None:
    data = referral_email().to_bytes()
    with pytest.raises(CorruptFile, match="Outlook message"):
        read_outlook_message(data[: int(len(data) * keep)])


def test_a_message_overwritten_after_its_header_is_damaged() -> None:
    data = referral_email().to_bytes()
    with pytest.raises(CorruptFile, match="Outlook message"):
        read_outlook_message(data[:512] + b"\xff" * (len(data) - 512))


def _entry(data: bytes, name: str) -> int:
    return next(offset for _, offset, found in directory_entries(data) if found == name)


def test_a_stream_declaring_a_huge_size_is_refused() -> None:
    data = bytearray(referral_email().to_bytes())
    struct.pack_into("<I", data, _entry(data, "__substg1.0_37010102") + 120, 0xFFFFFFF0)
    with pytest.raises(CorruptFile, match="damaged attachments"):
        read_outlook_message(bytes(data))


def test_a_mini_stream_declaring_a_huge_size_is_refused() -> None:
    data = bytearray(referral_email().to_bytes())
    struct.pack_into("<I", data, _entry(data, "Root Entry") + 120, 0x7FFFFFF0)
    with pytest.raises(HostileFile, match="more data than its file"):
        read_outlook_message(bytes(data))


def test_streams_built_to_share_sectors_are_refused() -> None:
    """Chains that run into one another: each stream fits in the file, all of them do not."""
    big = random.Random(3).randbytes(40_960)
    files = [FileAttachment("big.bin", big)] + [
        FileAttachment(f"{n}.bin", bytes(5000)) for n in range(5)
    ]
    data = bytearray(Message(subject="x", attachments=files).to_bytes())
    streams = [
        offset
        for _, offset, name in directory_entries(bytes(data))
        if name == "__substg1.0_37010102"
    ]
    starts = {offset: struct.unpack_from("<I", data, offset + 116)[0] for offset in streams}
    big_entry = next(o for o in streams if struct.unpack_from("<I", data, o + 120)[0] == 40_960)
    for offset in streams:
        if offset == big_entry:
            continue
        # First sector of its own, then the big stream's whole chain.
        struct.pack_into("<I", data, fat_entry_offset(data, starts[offset]), starts[big_entry])
        struct.pack_into("<I", data, offset + 120, SECTOR + 40_960)
    with pytest.raises(HostileFile, match="more data than its file"):
        read_outlook_message(bytes(data))


def test_a_directory_entry_referenced_twice_is_damage() -> None:
    data = bytearray(referral_email().to_bytes())
    sid, offset = next(
        (sid, offset)
        for sid, offset, name in directory_entries(bytes(data))
        if name == "__substg1.0_0037001F"
    )
    struct.pack_into("<I", data, offset + 68, sid)  # its own left sibling: a loop
    with pytest.raises(CorruptFile, match="Outlook message"):
        read_outlook_message(bytes(data))


def test_a_header_declaring_far_more_fat_than_the_file_holds_is_refused_at_once() -> None:
    """A looping DIFAT chain under a huge FAT count keeps olefile busy for hours."""
    data = referral_email().to_bytes()
    loop_sector = len(data) // SECTOR - 1
    hostile = bytearray(data + struct.pack("<127I", *([0] * 127)) + struct.pack("<I", loop_sector))
    fat_sectors = 1_000_000
    struct.pack_into("<I", hostile, 44, fat_sectors)
    struct.pack_into("<II", hostile, 68, loop_sector, (fat_sectors - 109 + 126) // 127)
    start = time.perf_counter()
    with pytest.raises(CorruptFile):
        read_outlook_message(bytes(hostile))
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("field_offset", [64, 72], ids=["mini FAT sectors", "DIFAT sectors"])
def test_a_header_declaring_more_sectors_than_the_file_has_is_refused(field_offset: int) -> None:
    data = bytearray(referral_email().to_bytes())
    struct.pack_into("<I", data, field_offset, 0x00FFFFFF)
    with pytest.raises(CorruptFile):
        read_outlook_message(bytes(data))


def test_storages_nested_thousands_deep_are_refused() -> None:
    ole_file = CompoundFile()
    ole_file.add_stream("__properties_version1.0", bytes(32))
    ole_file.add_stream("/".join(["s"] * 3000) + "/end", b"x")
    with pytest.raises(HostileFile, match="nested far deeper"):
        read_outlook_message(ole_file.to_bytes())


def test_nothing_is_written_to_or_read_from_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    data = referral_email().to_bytes()

    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was opened")

    monkeypatch.setattr(builtins, "open", no_files)
    monkeypatch.setattr(io, "open", no_files)
    assert read_outlook_message(data).subject == "FW: CME referral – Year 5"


_VALID = referral_email().to_bytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(
        st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=40
    ),
    cut=st.integers(513, len(_VALID)),
)
def test_a_damaged_message_is_read_or_refused_never_raises_anything_else(
    changes: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_VALID)
    for offset, value in changes:
        data[offset] = value
    with contextlib.suppress(CorruptFile, HostileFile):
        read_outlook_message(bytes(data[:cut]))


def test_a_file_of_far_more_streams_than_a_real_message_is_refused_at_once() -> None:
    """olefile's load time grows with the square of the entries: 400,000 fit in 50 MB."""
    ole_file = CompoundFile()
    ole_file.add_stream("__properties_version1.0", bytes(32))
    for number in range(20_001):
        ole_file.add_stream(f"__recip_version1.0_#{number:08X}", b"x")
    data = ole_file.to_bytes()
    start = time.perf_counter()
    with pytest.raises(HostileFile, match="far more parts than a real email"):
        read_outlook_message(data)
    assert time.perf_counter() - start < 1
