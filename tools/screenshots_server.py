"""Screenshots of the window on a shared PostgreSQL server: owners, "Give to…", Settings.

``python -m tools.screenshots_server`` runs offscreen on a new database of the test
server (``CME_TEST_POSTGRES_URL``, else the throwaway cluster of ``tools/test_postgres``)
filled with synthetic cases (Faker ``en_GB``), some given to two officers' logins made for
the purpose, and saves to ``docs/screenshots/``: the case list with its Owner column and
"Mine only" on, the "Give to…" dialog, a case with its owner in the header, and the
Security tab of Settings as a server shows it. The database and the logins are dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from cme_desktop.app import build_window, make_application  # noqa: E402
from cme_desktop.services.cases import demo  # noqa: E402
from cme_desktop.services.cases.case_list import CaseQuery  # noqa: E402
from cme_desktop.services.server import connection, roles, schema  # noqa: E402
from cme_desktop.services.server.database import ServerDatabase  # noqa: E402
from cme_desktop.services.settings import SettingsService  # noqa: E402
from cme_desktop.services.vault.unlock import Vault  # noqa: E402
from cme_desktop.ui.main_window import MainWindow  # noqa: E402
from cme_desktop.ui.settings_dialog import SettingsDialog  # noqa: E402
from cme_desktop.ui.vault.server_login import ServerLoginPage  # noqa: E402
from cme_desktop.ui.workspace.owner import GiveToDialog  # noqa: E402
from tools.screenshots import OUT, save, settle  # noqa: E402

TODAY = date(2026, 11, 2)
#: The officers' logins, as a DBA names them (docs/server.md).
OFFICERS = ("jsmith", "mpatel")


def _server() -> str:
    url = os.environ.get("CME_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    from tools.test_postgres import ensure

    return ensure()


def _prepare(url: str, password: str) -> None:
    """The schema, 80 synthetic cases, the officers' logins, and cases given to them."""
    engine = create_engine(make_url(url).set(drivername="postgresql+pg8000"), poolclass=NullPool)
    try:
        schema.upgrade(engine)
        with engine.begin() as conn:
            for login in OFFICERS:
                conn.execute(
                    text(f"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {roles.OFFICER}")
                )
    finally:
        engine.dispose()
    address = connection.parse(url)
    db = ServerDatabase.connect(address, address.password, actor="Set-up")
    try:
        demo.fill(db, cases=80, today=TODAY)
        with db.write() as session:
            ids = [int(i) for i in session.scalars(text("SELECT id FROM cases ORDER BY id"))]
            for n, case_id in enumerate(ids):
                owner = OFFICERS[n % 3] if n % 3 < 2 else ""  # a third not allocated
                session.execute(
                    text("UPDATE cases SET owner = :o WHERE id = :i"), {"o": owner, "i": case_id}
                )
        settings = SettingsService(db)
        loaded = settings.load()
        settings.save(
            replace(loaded, officer_name="Jo Smith", authority_name="Exampleshire County Council")
        )
    finally:
        db.close()


def _logged_in(app: QApplication, url: str, password: str, folder: Path) -> MainWindow:
    found = connection.parse(url)
    address = f"postgresql://{OFFICERS[0]}@{found.host}:{found.port}/{found.database}"
    window = build_window(Vault(folder / "unused.cme"), idle_lock_ms=3600_000, server=address)
    window.resize(1366, 768)
    window.show()
    page = window.gate
    assert isinstance(page, ServerLoginPage)
    page.password.setText(password)
    page.log_in()
    for _ in range(400):
        if window.services is not None:
            break
        settle(app, 50)
    assert window.services is not None, "the login did not finish"
    return window


def shots(app: QApplication, window: MainWindow) -> None:
    panel = window.desk.case_list
    panel.quick_buttons["all"].setChecked(True)
    panel.mine.setChecked(True)
    settle(app, 300)
    save(window, "server-case-list-owners.png")
    services = window.services
    assert services is not None
    panel.mine.setChecked(False)
    query = CaseQuery(quick="open", owner="")
    case_id = services.case_list.matching_ids(query, today=TODAY)[0]
    workspace = window.desk.open_case(case_id)
    assert workspace is not None

    def capture() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, GiveToDialog)
        dialog.to.setCurrentIndex(dialog.to.findData(OFFICERS[1]))
        settle(app, 200)
        save(dialog, "server-give-to.png")
        dialog.reject()

    QTimer.singleShot(300, capture)
    workspace.owner.give()
    settle(app, 200)
    save(window, "server-case-owner.png")
    dialog = SettingsDialog(window, services, window.changes)
    dialog.tabs.setCurrentIndex(2)
    dialog.show()
    settle(app, 300)
    save(dialog, "server-settings-security.png")
    dialog.done(0)


def main() -> int:
    app = make_application(["screenshots"])
    OUT.mkdir(parents=True, exist_ok=True)
    server = _server()
    name = f"cme_shots_{os.getpid()}"
    password = secrets.token_urlsafe(12)
    admin = create_engine(
        make_url(server).set(drivername="postgresql+pg8000"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        _prepare(url, password)
        with tempfile.TemporaryDirectory(prefix="cme-screenshots-") as tmp:
            window = _logged_in(app, url, password, Path(tmp))
            print("Screenshots (synthetic demo data, on a server):")
            shots(app, window)
            window.lock()
            window.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for login in OFFICERS:
                conn.execute(text(f"DROP ROLE IF EXISTS {login}"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
