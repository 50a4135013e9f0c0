"""notifications: preferences, pending digests, suppressed addresses, processed SendGrid
events, and the outbox's transport and delivery time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:40:00
"""
from alembic import op
import sqlalchemy as sa

import hub.timestamps


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_suppressions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_suppressions')),
    sa.UniqueConstraint('email', name=op.f('uq_email_suppressions_email'))
    )
    op.create_table('email_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('due_at', hub.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_digested_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_email_digests_shipment_id_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_digests')),
    sa.UniqueConstraint('user_id', 'shipment_id', name=op.f('uq_email_digests_user_id_shipment_id'))
    )
    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_digests_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_digests_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_digests_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('muted_milestones', sa.JSON(), nullable=False),
    sa.Column('updated_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_notification_preferences_shipment_id_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('user_id', 'shipment_id', name=op.f('uq_notification_preferences_user_id_shipment_id'))
    )
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_preferences_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_preferences_user_id'), ['user_id'], unique=False)

    op.create_table('email_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sg_event_id', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', hub.timestamps.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_emails.id'], name=op.f('fk_email_events_outbox_id_outbox_emails'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_events')),
    sa.UniqueConstraint('sg_event_id', name=op.f('uq_email_events_sg_event_id'))
    )
    with op.batch_alter_table('email_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_events_outbox_id'), ['outbox_id'], unique=False)

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('delivery_updated_at', hub.timestamps.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_column('delivery_updated_at')
        batch_op.drop_column('transport')

    with op.batch_alter_table('email_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_events_outbox_id'))

    op.drop_table('email_events')
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_preferences_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_preferences_shipment_id'))

    op.drop_table('notification_preferences')
    with op.batch_alter_table('email_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_digests_user_id'))
        batch_op.drop_index(batch_op.f('ix_email_digests_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_email_digests_due_at'))

    op.drop_table('email_digests')
    op.drop_table('email_suppressions')
