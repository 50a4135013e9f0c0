"""risks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:20:00

Risk flags (one open flag per automatic rule and shipment: the unique shipment_id/open_key),
thread messages turned into facts, and the `risks` notification preference (on by default).
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    create_table(
        'risk_flags',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('severity', sa.String(length=10), nullable=False),
        sa.Column('detail', sa.String(length=500), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('hs_codes', sa.JSON(), nullable=False),
        sa.Column('open_key', sa.String(length=40), nullable=True),
        sa.Column('cause_key', sa.String(length=200), nullable=True),
        reference('owner_id', 'users', ondelete='SET NULL', nullable=True),
        reference('opened_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('opened_at', timestamp(), nullable=False),
        sa.Column('resolved_at', timestamp(), nullable=True),
        reference('resolved_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('resolution', sa.String(length=10), nullable=True),
        sa.Column('resolution_note', sa.Text(), nullable=True),
        reference('evidence_message_id', 'messages', ondelete='SET NULL', nullable=True),
        unique=[('shipment_id', 'open_key')],
        indexes=['shipment_id', 'owner_id'],
    )
    create_table(
        'message_facts',
        reference('message_id', 'messages', ondelete='CASCADE'),
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('kind', sa.String(length=10), nullable=False),
        reference('risk_flag_id', 'risk_flags', ondelete='CASCADE', nullable=True),
        reference('milestone_id', 'milestones', ondelete='CASCADE', nullable=True),
        reference('created_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        unique=[('message_id', 'kind')],
        indexes=['message_id', 'shipment_id'],
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risks', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('risks')
    op.drop_table('message_facts')
    op.drop_table('risk_flags')
