"""A short fuzzing run of the PDF and Word readers: only explained errors, and always quickly.

Real files (our export, a filled fillable form, protected copies, a protected
Word form, an email carrying forms) are changed byte by byte where hypothesis
chooses, so that a failure shrinks to the smallest change that causes it. Each
read must give a referral or raise a ``CmeError`` with a message, and return
within ``BOUND_S`` seconds. The plain Word reader's own mutation runs are in
``test_docx_import.py``.

The suite runs a few dozen cases; ``CME_FUZZ_EXAMPLES=5000`` runs each test that
many times (see docs/fuzzing.md for longer runs, and atheris).
"""

from __future__ import annotations

import functools
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cme_desktop.services.documents.blank_form import render_blank_form
from cme_desktop.services.documents.styles import DEFAULT
from cme_desktop.services.errors import CmeError
from cme_desktop.services.importing.docx import parse_docx
from cme_desktop.services.importing.pdf import parse_pdf
from cme_desktop.services.importing.read import read_file
from cme_desktop.services.importing.result import ParsedReferral
from cme_desktop.services.protection.exports import encrypt, render_referral
from cme_desktop.services.referral.record import SCHEMA
from tests.e2e.test_blank_form import fill
from tests.support.fixtures_docx import filled_form, filled_referral

PASSWORD = "Thistle-Harbour-64"
#: A read of a form this size takes well under a second; this bound allows a busy machine.
BOUND_S = 5.0
EXAMPLES = int(os.environ.get("CME_FUZZ_EXAMPLES", "0"))


def fuzz(default: int) -> Any:
    """Hypothesis settings for a fuzz test: ``default`` cases, or ``CME_FUZZ_EXAMPLES``."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,  # measured by ``read`` itself, against BOUND_S
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


#: Where to change a byte (any position, taken modulo the file's length) and to what.
CHANGES = st.lists(
    st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 255)), min_size=1, max_size=32
)


def changed(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, value in changes:
        out[position % len(out)] = value
    return bytes(out)


@contextmanager
def hard_limit(seconds: float) -> Iterator[None]:
    """Fail instead of hanging the suite if a read never returns (POSIX main thread)."""

    def stop(_signum: int, _frame: Any) -> None:
        raise TimeoutError(f"the read did not return within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read(parse: Callable[[bytes], list[ParsedReferral]], data: bytes) -> None:
    """``parse(data)`` gives referrals or an explained ``CmeError``, within ``BOUND_S``."""
    started = time.perf_counter()
    with hard_limit(BOUND_S * 4):
        try:
            found = parse(data)
        except CmeError as error:
            assert error.message.strip()
        else:
            assert found and all(p.referral["schema"] == SCHEMA for p in found)
    assert time.perf_counter() - started < BOUND_S


# --- the seeds: real files, made once -------------------------------------------------------


@functools.cache
def our_pdf() -> bytes:
    return render_referral(filled_referral(64, children=2), fmt="pdf", authority=DEFAULT)


@functools.cache
def protected_pdf() -> bytes:
    return encrypt(our_pdf(), fmt="pdf", password=PASSWORD)


@functools.cache
def filled_fillable_form() -> bytes:
    values = {
        "children.0.full_name": "Imogen Hartley",
        "children.0.date_of_birth": "2/4/15",
        "school": "Brook Lane Academy",
        "risk_indicators.10.present": "/Yes",
        "risk_indicators.10.timing": "/Current",
    }
    return fill(render_blank_form(authority=DEFAULT), values)


@functools.cache
def protected_word() -> bytes:
    return encrypt(filled_form(64, style="careless")[1], fmt="docx", password=PASSWORD)


@functools.cache
def email_with_forms() -> bytes:
    message = EmailMessage()
    message["From"] = "Attendance Office <office@example.sch.uk>"
    message["To"] = "cme@example.gov.uk"
    message["Subject"] = "CME referrals"
    message["Date"] = "Thu, 01 Oct 2026 09:30:00 +0100"
    message.set_content("Two referrals attached.")
    word = "vnd.openxmlformats-officedocument.wordprocessingml.document"
    message.add_attachment(
        filled_form(65)[1], maintype="application", subtype=word, filename="a.docx"
    )
    message.add_attachment(our_pdf(), maintype="application", subtype="pdf", filename="b.pdf")
    return message.as_bytes()


def pdf_reader(password: str | None) -> Callable[[bytes], list[ParsedReferral]]:
    return lambda data: parse_pdf(data, password=password, source="fuzz.pdf")


# --- PDF --------------------------------------------------------------------------------------


@fuzz(20)
@given(CHANGES)
def test_fuzz_our_exported_pdf(changes: list[tuple[int, int]]) -> None:
    read(pdf_reader(None), changed(our_pdf(), changes))


@fuzz(10)
@given(CHANGES)
def test_fuzz_our_protected_pdf(changes: list[tuple[int, int]]) -> None:
    read(pdf_reader(PASSWORD), changed(protected_pdf(), changes))


@fuzz(10)
@given(CHANGES)
def test_fuzz_a_filled_fillable_form(changes: list[tuple[int, int]]) -> None:
    read(pdf_reader(None), changed(filled_fillable_form(), changes))


@fuzz(10)
@given(st.floats(0, 1, exclude_max=True), CHANGES)
def test_fuzz_a_truncated_pdf(keep: float, changes: list[tuple[int, int]]) -> None:
    data = our_pdf()[: int(len(our_pdf()) * keep)] or b"%"
    read(pdf_reader(None), changed(data, changes))


# --- Word, protected, and the email that carries forms ------------------------------------------


@fuzz(4)  # each case derives the agile key: about half a second
@given(CHANGES)
def test_fuzz_a_protected_word_form(changes: list[tuple[int, int]]) -> None:
    read(
        lambda data: parse_docx(data, password=PASSWORD, source="fuzz.docx"),
        changed(protected_word(), changes),
    )


@fuzz(8)
@given(CHANGES)
def test_fuzz_an_email_carrying_a_word_form_and_a_pdf(changes: list[tuple[int, int]]) -> None:
    read(
        lambda data: read_file(data, filename="fuzz.eml", password=None),
        changed(email_with_forms(), changes),
    )
