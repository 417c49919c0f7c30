"""server: the case's owner; on PostgreSQL the team's roles and the server's audit chain

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:30:00

``cases.owner`` holds the login of the officer whose case it is (``''`` = not
allocated): a plain ADD COLUMN with an empty default, so no table is rebuilt and the
cases already kept are simply not allocated yet. In the vault nobody else logs in, so
it stays empty there.

``carers``, ``timeline`` and ``tasks`` gain ``version`` (as ``cases`` has had from the
start): each save checks the number it read and moves it on, so two officers saving the
same record never overwrite each other unseen (``services.server.concurrency``). A plain
ADD COLUMN defaulting to 1, on both engines: no table is rebuilt, and every record kept
starts at version 1.

On PostgreSQL only, a trigger announces each change to a case when it commits
(``pg_notify`` on ``cme_cases``: its number and the changing program's
``application_name``), so the other officers' case lists refresh
(``services.server.live``).

On PostgreSQL only (a shared server, ``services.server``), in the migration's one
transaction:

- the audit chain moves into the database (``services.server.audit_server``): rows are
  stamped with the login and the server's time, numbered and hash-chained at commit by
  triggers, and can never be updated, deleted or truncated; any rows already in the log
  are numbered and chained first, in their order;
- the four group roles (officer, administrator, manager, auditor) are created if the DBA
  has not made them, granted their privileges and bound by row-level security
  (``services.server.roles``); the case's owner is guarded and its changes audited by
  triggers.

Downgrade: the roles' privileges, policies and triggers and the chain's triggers are
taken away (the roles themselves stay: they belong to the whole server), then the
columns are dropped; the log keeps its rows and their hashes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


#: The tables officers edit that gain a row version (``cases`` has one already).
VERSIONED = ("carers", "timeline", "tasks")
#: On PostgreSQL, each change to a case is announced when it commits (live refresh,
#: ``services.server.live``): the case's number and the program that changed it.
PG_NOTIFY = (
    """CREATE FUNCTION cme_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('cme_cases', coalesce(NEW.id, OLD.id)::text || ' '
            || coalesce(current_setting('application_name', true), ''));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER cases_notify AFTER INSERT OR UPDATE OR DELETE ON cases
        FOR EACH ROW EXECUTE FUNCTION cme_case_changed()""",
)
PG_NOTIFY_DROP = (
    "DROP TRIGGER IF EXISTS cases_notify ON cases",
    "DROP FUNCTION IF EXISTS cme_case_changed()",
)


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
            )
    with op.batch_alter_table("cases", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("owner", sa.String(63), server_default=sa.text("''"), nullable=False)
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in PG_NOTIFY:
            op.execute(statement)
    if bind.dialect.name == "postgresql":
        from cme_desktop.services.server import audit_server, roles

        schema = str(bind.execute(sa.text("SELECT current_schema()")).scalar_one())
        for statement in audit_server.install_sql(schema):
            bind.exec_driver_sql(statement)
        roles.install(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from cme_desktop.services.server import audit_server, roles

        roles.uninstall(bind)
        schema = str(bind.execute(sa.text("SELECT current_schema()")).scalar_one())
        for statement in audit_server.remove_sql(schema):
            bind.exec_driver_sql(statement)
    if bind.dialect.name == "postgresql":
        for statement in PG_NOTIFY_DROP:
            op.execute(statement)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("owner")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
