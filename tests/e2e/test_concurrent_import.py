"""``cme import`` run several times at once, as real processes: one child, one case.

A scheduled import and the officer's own, or two scheduled runs that overlap,
used to match the child first and create the case after, each in its own
transaction: both found nothing and both created a case. The matching and the
saving now happen in one transaction under the vault's write lock, and the
file's SHA-256 is remembered, so the same file twice creates nothing.

The processes are run once, all at once, and the tests read what came of them:
each process imports the one shared form and a form of its own for another child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cme_desktop.models import Attachment, Case, Referral
from cme_desktop.services.protection.office import encrypt_office
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE
from tests.support.fixtures_docx import appendix_a_docx, filled_form, filled_referral

PROCESSES = 6
PASSWORD = "Kestrel-Pantry-27"


@dataclass(frozen=True)
class Outcome:
    shared: list[dict[str, Any]]  # what each process did with the one shared file
    own: list[dict[str, Any]]  # ... and with its own file for the other child
    counts: dict[str, int]
    cases_of_the_other_child: int


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    folder = tmp_path_factory.mktemp("concurrent")
    vault = Vault(folder / "cases.cme", scrypt=FAST_SCRYPT)
    vault.create(PASSPHRASE, actor="Test Officer").db.close()
    # No date of birth and no UPN: the child's details alone would never match (one case
    # per process before); the file's hash does.
    ref = filled_referral(301)
    ref["children"][0] |= {"date_of_birth": None, "upn": None}
    shared = folder / "shared.docx"
    shared.write_bytes(appendix_a_docx(ref))
    # The other child's form, encrypted by each sender with its own salt: every file
    # differs, so only matching the child inside the saving transaction can tell.
    other, docx = filled_form(302)
    password_file = folder / "password.txt"
    password_file.write_text(PASSWORD + "\n", "utf-8")
    batches: list[list[str | Path]] = []
    for number in range(PROCESSES):
        own = folder / f"own-{number}.docx"
        own.write_bytes(encrypt_office(docx, PASSWORD))
        batches.append([shared, own, "--password-file", password_file])
    assert len({path.read_bytes() for path in folder.glob("own-*.docx")}) == PROCESSES

    results = _import_at_once(vault, batches)

    db = vault.unlock(PASSPHRASE)
    try:
        with db.read() as session:
            counts = {
                model.__name__: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Case, Referral, Attachment)
            }
            name = other["children"][0]["full_name"]
            same_child = session.scalar(
                select(func.count()).select_from(Case).where(Case.full_name == name)
            )
    finally:
        db.close()
    return Outcome(
        shared=[r for r in results if r["source"] == "shared.docx"],
        own=[r for r in results if r["source"].startswith("own-")],
        counts=counts,
        cases_of_the_other_child=int(same_child or 0),
    )


def _import_at_once(vault: Vault, batches: list[list[str | Path]]) -> list[dict[str, Any]]:
    """One ``cme import --json`` process per batch, all started before any is waited for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CME_")}
    env["CME_PASSPHRASE"] = PASSPHRASE
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cme_desktop.cli.main",
                "--db",
                str(vault.path),
                "import",
                *map(str, batch),
                "--json",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for batch in batches
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert (proc.returncode, err) == (0, ""), err
        results += json.loads(out)
    return results


def test_one_file_imported_by_several_processes_at_once_makes_one_case(outcome: Outcome) -> None:
    outcomes = sorted(r["outcome"] for r in outcome.shared)
    assert outcomes == ["already_imported"] * (PROCESSES - 1) + ["created"]
    (created,) = [r for r in outcome.shared if r["outcome"] == "created"]
    for other in outcome.shared:
        if other["outcome"] == "already_imported":
            assert other["case_ids"] == [created["case_id"]]


def test_different_files_for_one_child_at_once_go_to_one_case(outcome: Outcome) -> None:
    assert sorted(r["outcome"] for r in outcome.own) == ["added"] * (PROCESSES - 1) + ["created"]
    assert len({r["case_id"] for r in outcome.own}) == 1
    assert outcome.cases_of_the_other_child == 1


def test_two_children_six_processes_two_cases_and_every_distinct_file_kept(
    outcome: Outcome,
) -> None:
    # The shared file once; each process's own file once.
    assert outcome.counts == {"Case": 2, "Referral": 1 + PROCESSES, "Attachment": 1 + PROCESSES}
