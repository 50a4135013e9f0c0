"""documents

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 11:40:00

Documents and their versions, document requests and admins' rule overrides.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    create_table('document_rule_overrides',
        reference('organization_id', 'organizations', ondelete='CASCADE'),
        sa.Column('effect', sa.String(length=10), nullable=False),
        sa.Column('doc_type', sa.String(length=40), nullable=False),
        sa.Column('destination_country', sa.String(length=2), nullable=True),
        sa.Column('transport_mode', sa.String(length=10), nullable=True),
        sa.Column('hs_chapter', sa.String(length=2), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        reference('created_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        indexes=['organization_id'],
    )
    create_table('documents',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('doc_type', sa.String(length=40), nullable=False),
        sa.Column('current_version', sa.Integer(), nullable=False),
        reference('created_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('withdrawn_at', timestamp(), nullable=True),
        reference('withdrawn_by_id', 'users', ondelete='SET NULL', nullable=True),
        indexes=['shipment_id'],
    )
    create_table('document_requests',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('doc_type', sa.String(length=40), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('note', sa.String(length=2000), nullable=True),
        reference('requested_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('created_at', timestamp(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        reference('document_id', 'documents', ondelete='SET NULL', nullable=True),
        sa.Column('fulfilled_at', timestamp(), nullable=True),
        indexes=['shipment_id'],
    )
    create_table('document_versions',
        reference('document_id', 'documents', ondelete='CASCADE'),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('note', sa.String(length=2000), nullable=True),
        reference('uploaded_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('uploaded_at', timestamp(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        reference('reviewed_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('reviewed_at', timestamp(), nullable=True),
        sa.Column('review_reason', sa.String(length=2000), nullable=True),
        unique=[('document_id', 'version')],
        indexes=['sha256'],
    )


def downgrade():
    # A table's indexes are dropped with it.
    op.drop_table('document_versions')
    op.drop_table('document_requests')
    op.drop_table('documents')
    op.drop_table('document_rule_overrides')
