"""checkout: cases checked out to a laptop vault and checked back in

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:30:00

(Placeholder: the schema change is written here.)
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
