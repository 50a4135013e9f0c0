"""inbound email

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 01:00:00

Emails received through SendGrid's Inbound Parse (replies to shipment emails).
"""
from alembic import op
import sqlalchemy as sa

import hub.timestamps


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('posted_message_id', sa.Integer(), nullable=True),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('received_at', hub.timestamps.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['posted_message_id'], ['messages.id'], name=op.f('fk_inbound_emails_posted_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_inbound_emails_shipment_id_shipments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_inbound_emails_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_emails')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_emails_message_id'))
    )
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_emails_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_emails_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_emails_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_emails_user_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_emails_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_emails_received_at'))

    op.drop_table('inbound_emails')
