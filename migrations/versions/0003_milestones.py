"""milestones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:40:00

Owned by the milestones area; empty until that area adds tables or columns.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import hub.timestamps  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
