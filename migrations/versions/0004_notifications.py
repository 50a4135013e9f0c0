"""notifications: preferences, pending digests, suppressed addresses, processed SendGrid
events, and the outbox's transport and delivery time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:40:00
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    create_table('email_suppressions',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        unique=[('email',)],
    )
    create_table('email_digests',
        reference('user_id', 'users', ondelete='CASCADE'),
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('due_at', timestamp(), nullable=True),
        sa.Column('last_digested_seq', sa.Integer(), nullable=False),
        sa.Column('updated_at', timestamp(), nullable=False),
        unique=[('user_id', 'shipment_id')],
        indexes=['due_at', 'shipment_id', 'user_id'],
    )
    create_table('notification_preferences',
        reference('user_id', 'users', ondelete='CASCADE'),
        reference('shipment_id', 'shipments', ondelete='CASCADE', nullable=True),
        sa.Column('level', sa.String(length=12), nullable=False),
        sa.Column('muted_milestones', sa.JSON(), nullable=False),
        sa.Column('updated_at', timestamp(), nullable=False),
        unique=[('user_id', 'shipment_id')],
        indexes=['shipment_id', 'user_id'],
    )
    create_table('email_events',
        sa.Column('sg_event_id', sa.String(length=100), nullable=False),
        sa.Column('event', sa.String(length=20), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        reference('outbox_id', 'outbox_emails', ondelete='SET NULL', nullable=True),
        sa.Column('occurred_at', timestamp(), nullable=True),
        sa.Column('received_at', timestamp(), nullable=False),
        unique=[('sg_event_id',)],
        indexes=['outbox_id'],
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('delivery_updated_at', timestamp(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('delivery_updated_at')
        batch_op.drop_column('transport')

    # A table's indexes are dropped with it.
    op.drop_table('email_events')
    op.drop_table('notification_preferences')
    op.drop_table('email_digests')
    op.drop_table('email_suppressions')
