"""The authority's details asked on first run: checked, saved, and on every document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cme_desktop.services.documents.authority import DEFAULT
from cme_desktop.services.errors import InvalidInput
from cme_desktop.services.settings import (
    AuthorityAnswers,
    Settings,
    SettingsService,
    authority_of,
    check_la_number,
    with_authority,
)
from cme_desktop.services.vault.database import Database
from tests.support.credentials import PASSPHRASE
from tests.support.vault_copies import Template, copy_vault, make_template

GOOD = AuthorityAnswers(
    authority_name="  Testshire   County Council ",
    la_number=" 855 ",
    officer_name="Robin Example",
    contact_phone="0116 000 0000",
    contact_email="robin@testshire.gov.uk",
    contact_address="County Hall, Testtown",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def db(template: Template, tmp_path: Path) -> Iterator[Database]:
    opened = copy_vault(template, tmp_path / "v").unlock(PASSPHRASE)
    yield opened
    opened.close()


@pytest.mark.parametrize("typed", ["85", "8555", "85a", "", "８５５", "-85"])
def test_an_la_number_is_three_digits(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_la_number(typed)
    assert caught.value.field == "la_number"
    assert "3 digits" in caught.value.message


def test_a_good_la_number_is_kept_as_typed() -> None:
    assert check_la_number(" 855 ") == "855"
    assert check_la_number("001") == "001"


def test_the_answers_become_the_settings() -> None:
    settings = with_authority(Settings(), GOOD)
    assert settings.authority_name == "Testshire County Council"
    assert settings.la_number == "855"
    assert settings.officer_name == "Robin Example"
    assert settings.officer_title == Settings().officer_title  # left as it was
    details = authority_of(settings)
    assert details != DEFAULT
    assert details.name == "Testshire County Council"
    assert details.la_number == "855"
    assert "Robin Example" in details.contact_line()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"authority_name": "  "}, "authority_name"),
        ({"authority_name": "local authority"}, "authority_name"),
        ({"la_number": "12"}, "la_number"),
        ({"officer_name": ""}, "officer_name"),
        ({"contact_phone": "", "contact_email": ""}, "contact_phone"),
        ({"contact_email": "Robin Example"}, "contact_email"),
    ],
)
def test_each_missing_or_wrong_answer_is_named(change: dict[str, str], field: str) -> None:
    answers = AuthorityAnswers(**{**GOOD.__dict__, **change})
    with pytest.raises(InvalidInput) as caught:
        with_authority(Settings(), answers)
    assert caught.value.field == field


def test_saved_and_read_back(db: Database) -> None:
    service = SettingsService(db)
    service.save(with_authority(service.load(), GOOD))
    loaded = service.load()
    assert loaded.la_number == "855"
    assert authority_of(loaded).name == "Testshire County Council"


def test_a_bad_la_number_is_never_saved(db: Database) -> None:
    service = SettingsService(db)
    with pytest.raises(InvalidInput):
        service.save(Settings(authority_name="Testshire", la_number="85"))
    assert service.load().la_number == ""
