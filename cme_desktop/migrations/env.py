"""Alembic environment: migrations run on the vault's own keyed connection."""

from __future__ import annotations

from alembic import context

from cme_desktop.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the application runs migrations
    raise RuntimeError("Migrations run from cme_desktop.services.vault.migrations.upgrade().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
