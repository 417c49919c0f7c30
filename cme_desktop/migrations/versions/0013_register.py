"""register: the children-not-in-school register beside the CME record

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 17:30:00

(Placeholder: the schema change is written here.)
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
