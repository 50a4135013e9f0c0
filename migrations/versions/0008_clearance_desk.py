"""clearance desk

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:34:43

Country profiles with their revisions, each shipment's clearance clock, the customs-grade
shipment fields and people's working hours.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_keyed_table, key_reference, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    create_keyed_table('country_profiles', 'code',
        sa.Column('code', sa.String(length=2), nullable=False),
        sa.Column('time_zone', sa.String(length=64), nullable=False),
        sa.Column('working_days', sa.JSON(), nullable=False),
        sa.Column('clearance_days', sa.JSON(), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=1000), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        reference('updated_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('updated_at', timestamp(), nullable=True),
    )
    create_keyed_table('clearance_clocks', 'shipment_id',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('basis', sa.String(length=8), nullable=True),
        sa.Column('basis_on', sa.Date(), nullable=True),
        sa.Column('expected_release_on', sa.Date(), nullable=True),
        sa.Column('released_on', sa.Date(), nullable=True),
        sa.Column('business_days_taken', sa.Integer(), nullable=True),
        sa.Column('updated_at', timestamp(), nullable=False),
        indexes=['expected_release_on'],
    )
    create_keyed_table('country_profile_revisions', 'id',
        sa.Column('id', sa.Integer(), nullable=False),
        key_reference('country_code', sa.String(length=2), 'country_profiles', 'code', ondelete='CASCADE'),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('changed_fields', sa.JSON(), nullable=False),
        reference('changed_by_id', 'users', ondelete='SET NULL', nullable=True),
        sa.Column('changed_at', timestamp(), nullable=False),
        unique=[('country_code', 'revision')],
        indexes=['country_code'],
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('port_of_entry_subdivision', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('transport_document_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('container_numbers', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('carrier', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('vessel_or_flight', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('purchase_order', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('customs_entry_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('consignee', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('supplier', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('port_of_loading', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_shipments_customs_entry_number'), ['customs_entry_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_purchase_order'), ['purchase_order'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_transport_document_number'), ['transport_document_number'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_start', sa.String(length=5), server_default='09:00', nullable=False))
        batch_op.add_column(sa.Column('work_end', sa.String(length=5), server_default='18:00', nullable=False))
        batch_op.add_column(sa.Column('work_days', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('work_days')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')

    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_transport_document_number'))
        batch_op.drop_index(batch_op.f('ix_shipments_purchase_order'))
        batch_op.drop_index(batch_op.f('ix_shipments_customs_entry_number'))
        batch_op.drop_column('port_of_loading')
        batch_op.drop_column('supplier')
        batch_op.drop_column('consignee')
        batch_op.drop_column('customs_entry_number')
        batch_op.drop_column('purchase_order')
        batch_op.drop_column('vessel_or_flight')
        batch_op.drop_column('carrier')
        batch_op.drop_column('container_numbers')
        batch_op.drop_column('transport_document_number')
        batch_op.drop_column('port_of_entry_subdivision')

    with op.batch_alter_table('country_profile_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_country_profile_revisions_country_code'))

    op.drop_table('country_profile_revisions')
    with op.batch_alter_table('clearance_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_clocks_expected_release_on'))

    op.drop_table('clearance_clocks')
    op.drop_table('country_profiles')
