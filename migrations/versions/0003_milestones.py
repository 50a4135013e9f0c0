"""milestones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:40:00

Owned by the milestones area: the `milestones` table (a shipment's clearance timeline).
"""
import sqlalchemy as sa
from alembic import op

from migrations.tables import create_table, reference, timestamp

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    create_table('milestones',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('occurred_at', timestamp(), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=True),
        sa.Column('note', sa.String(length=1000), nullable=True),
        reference('recorded_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('recorded_at', timestamp(), nullable=False),
        # Same code at the same second on the same shipment is one milestone, even under concurrency.
        unique=[('shipment_id', 'code', 'occurred_at')],
    )


def downgrade():
    op.drop_table('milestones')
