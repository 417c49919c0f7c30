"""The ``cme`` command, run as the officer runs it: a real process, the real scrypt tuning.

Each run costs an interpreter start and (for most) a ~0.5 s unlock, so the runs are
made once, up front, the independent ones side by side, and the tests read the results.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import select

from cme_desktop.models import Case, Escalation
from cme_desktop.models import vocabularies as vocab
from cme_desktop.services.vault.unlock import Vault

PASSPHRASE = "a passphrase for the cme command"
RECOVERY_KEY = re.compile(r"\b(?:[A-HJ-NP-Z2-9]{4}-){7}[A-HJ-NP-Z2-9]{4}\b")


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str


def _env(passphrase: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CME_")}
    if passphrase is not None:
        env["CME_PASSPHRASE"] = passphrase
    return env


def _start(folder: Path, args: list[str], passphrase: str | None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cme_desktop.cli.main", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(passphrase),
        cwd=folder,
    )


def _finish(args: list[str], proc: subprocess.Popen[str]) -> Run:
    out, err = proc.communicate(timeout=120)
    return Run(tuple(args), proc.returncode, out, err)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("cli")
    db = str(folder / "cases.cme")
    done: dict[str, Run] = {}
    for name, args in (
        ("init", ["--db", db, "init"]),
        ("demo", ["--db", db, "demo", "--cases", "50"]),
    ):
        done[name] = _finish(args, _start(folder, args, PASSPHRASE))
        assert done[name].code == 0, done[name]

    # What the demo wrote, read directly; then a copy of the vault with one audit row
    # edited behind the application's back (one unlock serves both: scrypt is ~0.5 s).
    opened = Vault(Path(db)).unlock(PASSPHRASE)
    try:
        with opened.read() as session:
            cases = session.scalars(select(Case)).all()
            direct = {
                "cases": len(cases),
                "decisions": set(session.scalars(select(Escalation.decision))),
                "reasons": {c.reason_missing for c in cases},
                "closed_without_outcome": [
                    c.id for c in cases if c.status == "closed" and not c.closing_outcome
                ],
            }
        key = bytes(opened.key)
    finally:
        opened.close()
    (folder / "direct.json").write_text(json.dumps(direct, default=sorted), "utf-8")
    tampered = folder / "tampered"
    tampered.mkdir()
    for suffix in ("", ".keys"):
        shutil.copy2(db + suffix, tampered / ("cases.cme" + suffix))
    conn = sqlcipher.connect(str(tampered / "cases.cme"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("UPDATE audit_log SET detail = 'cases=5' WHERE action = 'demo_data'")
    (edited,) = conn.execute("SELECT id FROM audit_log WHERE action = 'demo_data'").fetchone()
    conn.commit()
    conn.close()
    (folder / "edited-row.txt").write_text(str(edited), "ascii")

    side_by_side: dict[str, tuple[list[str], str | None]] = {
        "list_json": (["--db", db, "list", "--json"], PASSPHRASE),
        "verify": (["--db", db, "audit", "verify"], PASSPHRASE),
        "verify_tampered": (["--db", str(tampered / "cases.cme"), "audit", "verify"], PASSPHRASE),
        "wrong_passphrase": (["--db", db, "list"], "not the vault's passphrase"),
        "missing_vault": (["--db", str(folder / "nowhere.cme"), "list"], PASSPHRASE),
        "no_command": ([], PASSPHRASE),
        "unknown_option": (["--db", db, "list", "--colour"], PASSPHRASE),
        "bad_cases": (["--db", db, "demo", "--cases", "0"], PASSPHRASE),
    }
    started = {
        name: (args, _start(folder, args, passphrase))
        for name, (args, passphrase) in side_by_side.items()
    }
    for name, (args, proc) in started.items():
        done[name] = _finish(args, proc)
    return done


def _one_line(run: Run) -> str:
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run
    assert lines[0].startswith("cme: "), run
    return lines[0]


def test_no_traceback_ever(runs: dict[str, Run]) -> None:
    for name, run in runs.items():
        assert "Traceback" not in run.err, name
        assert "Traceback" not in run.out, name


def test_init_prints_the_recovery_key_once(runs: dict[str, Run]) -> None:
    run = runs["init"]
    assert run.out.startswith("Vault created at ")
    assert len(RECOVERY_KEY.findall(run.out)) == 1
    assert "Recovery key (shown once" in run.out
    assert RECOVERY_KEY.search(run.err) is None
    for name, other in runs.items():
        if name != "init":
            assert RECOVERY_KEY.search(other.out + other.err) is None, name


def test_demo_spreads_over_steps_statuses_and_escalations(runs: dict[str, Run]) -> None:
    assert runs["demo"].out.startswith("Added 50 synthetic cases")
    listed = json.loads(runs["list_json"].out)
    assert runs["list_json"].code == 0
    assert isinstance(listed, list) and len(listed) == 50
    for row in listed:
        assert {"id", "full_name", "date_of_birth", "status"} <= set(row)
        assert isinstance(row["id"], int) and row["full_name"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["date_of_birth"])
    assert [row["id"] for row in listed] == sorted(row["id"] for row in listed)
    assert {row["status"] for row in listed} == {"open", "closed"}
    assert {row["tracking_step"] for row in listed} == set(range(1, 10))
    assert any(row["escalated_police"] for row in listed)
    assert any(row["escalated_social_care"] for row in listed)


def _vault_path(runs: dict[str, Run]) -> Path:
    (line,) = [ln for ln in runs["init"].out.splitlines() if ln.startswith("Vault created at ")]
    return Path(line.removeprefix("Vault created at "))


def test_demo_data_seen_directly(runs: dict[str, Run]) -> None:
    direct = json.loads((_vault_path(runs).parent / "direct.json").read_text("utf-8"))
    assert direct["cases"] == 50
    assert set(direct["decisions"]) == {t.key for t in vocab.ESCALATION_DECISIONS}
    assert set(direct["reasons"]) == {t.key for t in vocab.REASONS_MISSING}
    assert direct["closed_without_outcome"] == []


def test_audit_verify(runs: dict[str, Run]) -> None:
    run = runs["verify"]
    assert run.code == 0, run
    assert re.fullmatch(r"Audit log intact: \d+ events, hash chain verified\.\n", run.out)


def test_audit_verify_names_the_edited_row(runs: dict[str, Run]) -> None:
    run = runs["verify_tampered"]
    assert run.code == 1
    assert run.out == ""
    edited = (_vault_path(runs).parent / "edited-row.txt").read_text("ascii")
    assert _one_line(run) == f"cme: the audit log has been altered: row {edited} has been altered."


def test_wrong_passphrase(runs: dict[str, Run]) -> None:
    run = runs["wrong_passphrase"]
    assert run.code == 3
    assert run.out == ""
    assert "passphrase" in _one_line(run)


def test_missing_vault(runs: dict[str, Run]) -> None:
    run = runs["missing_vault"]
    assert run.code == 1
    assert "nowhere.cme" in _one_line(run)


@pytest.mark.parametrize("name", ["no_command", "unknown_option", "bad_cases"])
def test_bad_usage(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.code == 2, run
    assert run.out == ""
    _one_line(run)
