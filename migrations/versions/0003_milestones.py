"""milestones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:40:00

Owned by the milestones area: the `milestones` table (a shipment's clearance timeline).
"""
import sqlalchemy as sa
from alembic import op

import hub.timestamps

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_milestones_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_milestones_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_milestones')),
    # Same code at the same second on the same shipment is one milestone, even under concurrency.
    sa.UniqueConstraint('shipment_id', 'code', 'occurred_at', name=op.f('uq_milestones_shipment_id_code_occurred_at'))
    )


def downgrade():
    op.drop_table('milestones')
