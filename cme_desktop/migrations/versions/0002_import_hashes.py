"""import hashes: each kept file's SHA-256, so a file imported again is recognised

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: no table is rebuilt, so no cascade and no search trigger is at stake.
    with op.batch_alter_table("attachments", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_attachments_content_sha256"), ["content_sha256"], unique=False
        )
    # The files already kept get their hash too, one at a time: each may be megabytes.
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM attachments ORDER BY id"))]
    for attachment_id in ids:
        content = conn.execute(
            sa.text("SELECT content FROM attachments WHERE id = :id"), {"id": attachment_id}
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE attachments SET content_sha256 = :digest WHERE id = :id"),
            {"digest": hashlib.sha256(bytes(content)).hexdigest(), "id": attachment_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_content_sha256"))
        batch_op.drop_column("content_sha256")
