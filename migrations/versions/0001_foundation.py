"""foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 11:27:40.943055

"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_table('organizations',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('created_at', timestamp(), nullable=False),
    )
    create_table('users',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        reference('organization_id', 'organizations'),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', timestamp(), nullable=False),
        unique=[('email',)],
        indexes=['organization_id'],
    )
    create_table('api_tokens',
        reference('user_id', 'users', ondelete='CASCADE'),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('last_used_at', timestamp(), nullable=True),
        unique=[('digest',)],
        indexes=['user_id'],
    )
    create_table('audit_log',
        reference('actor_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target_type', sa.String(length=32), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('shipment_id', sa.Integer(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('remote_addr', sa.String(length=64), nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        indexes=['actor_id', 'shipment_id'],
    )
    create_table('shipments',
        sa.Column('reference', sa.String(length=64), nullable=False),
        reference('owner_org_id', 'organizations'),
        sa.Column('origin_country', sa.String(length=2), nullable=False),
        sa.Column('destination_country', sa.String(length=2), nullable=False),
        sa.Column('port_of_entry', sa.String(length=100), nullable=True),
        sa.Column('transport_mode', sa.String(length=10), nullable=False),
        sa.Column('incoterm', sa.String(length=3), nullable=True),
        sa.Column('goods_description', sa.String(length=2000), nullable=True),
        sa.Column('hs_codes', sa.JSON(), nullable=False),
        sa.Column('declared_value', sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        sa.Column('etd', timestamp(), nullable=True),
        sa.Column('eta', timestamp(), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('last_seq', sa.Integer(), nullable=False),
        reference('created_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('updated_at', timestamp(), nullable=False),
        unique=[('owner_org_id', 'reference')],
        indexes=['destination_country', 'owner_org_id', 'status'],
    )
    create_table('messages',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('seq', sa.Integer(), nullable=False),
        reference('author_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('client_id', sa.String(length=36), nullable=True),
        sa.Column('via', sa.String(length=5), nullable=False),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('edited_at', timestamp(), nullable=True),
        sa.Column('deleted_at', timestamp(), nullable=True),
        unique=[('author_id', 'client_id'), ('shipment_id', 'seq')],
    )
    op.create_index('ix_messages_shipment_created', 'messages', ['shipment_id', 'created_at'], unique=False)
    create_table('outbox_emails',
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('to_email', sa.String(length=254), nullable=False),
        sa.Column('to_name', sa.String(length=200), nullable=False),
        reference('user_id', 'users', ondelete='SET NULL', nullable=True),
        reference('shipment_id', 'shipments', ondelete='CASCADE', nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('text_body', sa.Text(), nullable=False),
        sa.Column('html_body', sa.Text(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', timestamp(), nullable=False),
        sa.Column('lease_until', timestamp(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('provider_message_id', sa.String(length=200), nullable=True),
        sa.Column('delivery_status', sa.String(length=20), nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('sent_at', timestamp(), nullable=True),
        indexes=['shipment_id', 'user_id'],
    )
    op.create_index('ix_outbox_emails_due', 'outbox_emails', ['status', 'next_attempt_at'], unique=False)
    create_table('shipment_participants',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        reference('user_id', 'users', ondelete='CASCADE'),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('last_read_seq', sa.Integer(), nullable=False),
        reference('added_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('added_at', timestamp(), nullable=False),
        unique=[('shipment_id', 'user_id')],
        indexes=['user_id'],
    )
    create_table('message_mentions',
        reference('message_id', 'messages', ondelete='CASCADE'),
        reference('user_id', 'users', ondelete='CASCADE'),
        unique=[('message_id', 'user_id')],
        indexes=['user_id'],
    )
    create_table('message_revisions',
        reference('message_id', 'messages', ondelete='CASCADE'),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('replaced_at', timestamp(), nullable=False),
        indexes=['message_id'],
    )


def downgrade():
    # A table's indexes are dropped with it.
    op.drop_table('message_revisions')
    op.drop_table('message_mentions')
    op.drop_table('shipment_participants')
    op.drop_table('outbox_emails')
    op.drop_table('messages')
    op.drop_table('shipments')
    op.drop_table('audit_log')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('organizations')
