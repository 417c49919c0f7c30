"""``cme snapshot`` and ``cme report ...``: files written, one clear line on a bad argument."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cme_desktop.cli import main as cli
from cme_desktop.models.records import Case
from cme_desktop.services.cases import demo
from cme_desktop.services.reports.dfe_csv import COLUMNS, validate_return_csv
from cme_desktop.services.settings import Settings, SettingsService
from cme_desktop.services.vault.unlock import Vault
from tests.support.credentials import FAST_SCRYPT, PASSPHRASE


@pytest.fixture
def vault_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cases.cme"
    created = Vault(path, scrypt=FAST_SCRYPT).create(PASSPHRASE, actor="T")
    demo.fill(created.db, cases=25, seed=3)
    SettingsService(created.db).save(Settings(la_number="855"))
    created.db.close()
    monkeypatch.setenv("CME_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(
        "cme_desktop.services.vault.secret_store.system_secret_store", lambda: None, raising=False
    )
    return path


def _cme(vault_file: Path, *args: str) -> int:
    return cli.main(["--db", str(vault_file), *args])


def test_report_commands_write_their_files(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert (
        _cme(
            vault_file,
            "report",
            "quarterly",
            "--quarter",
            "2026-Q3",
            "--out",
            str(out / "q.pdf"),
            "--csv",
            str(out / "q.csv"),
        )
        == 0
    )
    assert (out / "q.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "q.csv").read_text("utf-8-sig").startswith("section,measure,2025-Q4")
    assert (
        _cme(
            vault_file,
            "report",
            "dfe-termly",
            "--census-date",
            "2026-10-01",
            "--out",
            str(out / "d.csv"),
            "--pdf",
            str(out / "d.pdf"),
        )
        == 0
    )
    returned = (out / "d.csv").read_text("utf-8-sig")
    assert returned.startswith(",".join(COLUMNS)) and validate_return_csv(returned) == []
    assert "CME,855,2026-10-01,Total,TOTAL," in returned
    assert (out / "d.pdf").read_bytes().startswith(b"%PDF")
    for name in ("w.csv", "w.pdf"):
        assert _cme(vault_file, "report", "without-place", "--out", str(out / name), "--plain") == 0
    assert (out / "w.csv").read_text("utf-8-sig").startswith("Reference,Name,")
    assert sorted(p.name for p in out.iterdir()) == [
        "d.csv",
        "d.pdf",
        "q.csv",
        "q.pdf",
        "w.csv",
        "w.pdf",
    ]
    assert "Quarterly report 2026-Q3 (Jul–Sep 2026)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "quarterly", "--quarter", "2026-Q5", "--out", "x.pdf"), "YYYY-Qn"),
        (("report", "quarterly", "--quarter", "Q3 2026", "--out", "x.pdf"), "YYYY-Qn"),
        (("report", "quarterly", "--quarter", "2026-Q3", "--out", "x.docx"), "must end in .pdf"),
        (("report", "dfe-termly", "--census-date", "1/10/2026", "--out", "x.csv"), "YYYY-MM-DD"),
        (("report", "without-place", "--out", "x.txt"), "must end in .xlsx, .pdf or .csv"),
        (("report", "nonsense"), "invalid choice"),
    ],
)
def test_malformed_arguments_exit_2_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    """Refused before any vault is opened (there is none here)."""
    try:
        code = _cme(tmp_path / "none.cme", *args)
    except SystemExit as exc:  # argparse's own usage errors leave this way
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_snapshot_saves_the_month_once(
    vault_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cme(vault_file, "snapshot") == 0
    assert _cme(vault_file, "snapshot") == 0
    out = capsys.readouterr().out.splitlines()
    month = f"{date.today():%Y-%m}"
    assert out[0].startswith(f"Saved {month}: ") and out[0].endswith(f"cases-{month}.cme")
    assert out[1].startswith(f"This month ({month}) is already saved")
    assert (vault_file.parent / "backups" / f"cases-{month}.cme").is_file()


def test_a_dfe_return_with_incomplete_cases_is_refused_and_nothing_written(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Vault(vault_file, scrypt=FAST_SCRYPT).unlock(PASSPHRASE, actor="T")
    try:
        with db.write() as s:
            case = s.get(Case, 1)
            assert case is not None
            case.status, case.closed_on, case.sex = "open", None, ""
            case.date_of_birth, case.cme_confirmed_on = date(2015, 3, 15), date(2026, 9, 1)
            case.opened_on = date(2026, 9, 1)
    finally:
        db.close()
    out = tmp_path / "dfe.csv"
    code = _cme(
        vault_file, "report", "dfe-termly", "--census-date", "2026-10-01", "--out", str(out)
    )
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err.strip()
    assert err.startswith("cme: The DfE return is not ready:") and "CME-000001" in err
    assert "no sex recorded" in err and len(err.splitlines()) == 1


def test_report_recount_says_what_a_correction_changed_and_replaces_only_when_asked(
    vault_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import func, select, update

    from cme_desktop.models.audit import AuditEvent

    assert _cme(vault_file, "report", "recount", "--quarter", "2026-Q3") == 0
    assert "No figures are kept for 2026-Q3" in capsys.readouterr().out
    out = tmp_path / "q.pdf"
    assert _cme(vault_file, "report", "quarterly", "--quarter", "2026-Q3", "--out", str(out)) == 0
    capsys.readouterr()
    assert _cme(vault_file, "report", "recount", "--quarter", "2026-Q3") == 0
    assert "agree with the records" in capsys.readouterr().out

    db = Vault(vault_file).unlock(PASSPHRASE, actor="T")
    try:
        with db.write() as s:  # a case notified in the quarter was recorded by the wrong route
            case_id, route = s.execute(
                select(Case.id, Case.identification_route)
                .where(Case.notified_on.between(date(2026, 7, 1), date(2026, 9, 30)))
                .order_by(Case.id)
                .limit(1)
            ).one()
            other = "pupil_database" if route != "pupil_database" else "notification"
            s.execute(update(Case).where(Case.id == case_id).values(identification_route=other))
    finally:
        db.close()

    assert _cme(vault_file, "report", "recount", "--quarter", "2026-Q3") == 1
    said = capsys.readouterr()
    assert "Notifications received, by route (policy 8.1) / " in said.out
    assert said.err.startswith("cme: 2 figure(s) kept for 2026-Q3 differ from the records")
    assert said.err.count("\n") == 1
    assert _cme(vault_file, "report", "recount", "--quarter", "2026-Q3", "--replace") == 0
    assert "Replaced" in capsys.readouterr().out
    assert _cme(vault_file, "report", "recount", "--quarter", "2026-Q3") == 0
    assert "agree with the records" in capsys.readouterr().out
    db = Vault(vault_file).unlock(PASSPHRASE, actor="T")
    try:
        with db.read() as s:
            replaced = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "figures_replaced")
            )
    finally:
        db.close()
    assert replaced == 1
