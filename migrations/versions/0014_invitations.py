"""invitations

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 04:10:00

Pending participation: an existing user invited by email onto a shipment by a coordinator who
could not already see them takes part only once they accept (issue 14).
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    create_table('shipment_invitations',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        reference('user_id', 'users', ondelete='CASCADE'),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('nonce', sa.String(length=32), nullable=False),
        reference('invited_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        unique=[('shipment_id', 'user_id')],
        indexes=['user_id'],
    )


def downgrade():
    op.drop_table('shipment_invitations')
