"""Forms as schools make them, saved by LibreOffice: the import reads ≥ 97 % of fields exactly.

The corpus in ``tests/fixtures/school_forms`` is synthetic (``tests.support.school_forms``
says how it is made and how to make it again): Appendix A filled in the ways of
``fixtures_docx`` and the ways real forms arrive, each saved again by LibreOffice
as ``.docx``, round-tripped through ``.odt``, "saved as PDF", and protected with a
password by msoffcrypto-tool and by LibreOffice itself; the forms saved as PDF are read
from their printed text. The whole corpus reads in
a few seconds, so all of it runs in the suite.
"""

from __future__ import annotations

import io
import json
from functools import cache
from typing import Any

import pytest

from cme_desktop.services.errors import NotAReferral, PasswordRequired
from cme_desktop.services.importing.read import read_file
from tests.support.school_forms import CORPUS_DIR, MANIFEST, exact_fields

#: The share of fields that must come back exactly from the Word forms.
TARGET = 0.97


@cache
def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def _names(suffix: str) -> list[str]:
    return sorted(name for name in _manifest()["files"] if name.endswith(suffix))


def _read(name: str) -> Any:
    entry = _manifest()["files"][name]
    password = _manifest()["password"] if entry["protected"] else None
    (parsed,) = read_file((CORPUS_DIR / name).read_bytes(), filename=name, password=password)
    return parsed


def test_the_corpus_is_small_and_has_every_kind_of_file() -> None:
    files = _manifest()["files"]
    assert sum((CORPUS_DIR / name).stat().st_size for name in files) < 2 * 1024 * 1024
    for kind in (".lo.docx", ".odt.docx", ".msoffcrypto.docx", ".lo-locked.docx", ".pdf"):
        assert _names(kind), kind
    assert {entry["source"] for entry in files.values()} == set(_manifest()["sources"])


def test_word_forms_saved_by_libreoffice_read_at_least_97_percent_exact() -> None:
    exact = total = 0
    wrong: dict[str, list[str]] = {}
    for name in _names(".docx"):
        source = _manifest()["sources"][_manifest()["files"][name]["source"]]
        good, bad = exact_fields(source["expected"], _read(name).referral)
        exact += good
        total += good + len(bad)
        if bad:
            wrong[name] = bad
    assert total > 3000
    assert exact / total >= TARGET, (exact / total, wrong)


@pytest.mark.parametrize("name", _names(".docx"))
def test_each_form_flags_what_it_copied_between_siblings(name: str) -> None:
    source = _manifest()["sources"][_manifest()["files"][name]["source"]]
    parsed = _read(name)
    assert set(source["uncertain"]) <= set(parsed.uncertain)


@pytest.mark.parametrize("name", _names(".lo-locked.docx") + _names(".lo-locked.pdf"))
def test_libreoffices_own_protection_asks_for_the_password(name: str) -> None:
    with pytest.raises(PasswordRequired):
        read_file((CORPUS_DIR / name).read_bytes(), filename=name, password=None)


def test_forms_saved_as_pdf_read_at_least_97_percent_exact() -> None:
    # Only the printed text is left: the tables are rebuilt from their ruled lines.
    exact = total = 0
    wrong: dict[str, list[str]] = {}
    for name in _names(".pdf"):
        source = _manifest()["sources"][_manifest()["files"][name]["source"]]
        good, bad = exact_fields(source["expected"], _read(name).referral)
        exact += good
        total += good + len(bad)
        if bad:
            wrong[name] = bad
    assert total > 1500
    assert exact / total >= TARGET, (exact / total, wrong)


@pytest.mark.parametrize("name", _names(".pdf"))
def test_each_form_saved_as_pdf_flags_what_it_copied_between_siblings(name: str) -> None:
    source = _manifest()["sources"][_manifest()["files"][name]["source"]]
    parsed = _read(name)
    assert parsed.referral["children"][0]["full_name"]
    assert set(source["uncertain"]) <= set(parsed.uncertain)


def test_a_pdf_that_is_not_the_form_asks_for_the_word_form() -> None:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Minutes of the governors' meeting")
    page.drawString(72, 700, "Apologies were received from two governors.")
    page.save()
    with pytest.raises(NotAReferral, match=r"ask the sender for the Word form \(\.docx\)"):
        read_file(out.getvalue(), filename="minutes.pdf", password=None)
