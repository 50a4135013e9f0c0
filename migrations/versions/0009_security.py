"""security

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:00:00

Sessions that really end (a per-user session generation, bumped by logout, password change or
reset and deactivation) and API tokens that can be read-only and expire.
"""
from alembic import op
import sqlalchemy as sa

import hub.timestamps


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=10), server_default='write', nullable=False))
        batch_op.add_column(sa.Column('expires_at', hub.timestamps.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scope')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
