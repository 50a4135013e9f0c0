"""handovers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:10:00

Whose move it is: the periods during which a shipment waited on us or on one partner.
"""
from alembic import op
import sqlalchemy as sa

from migrations.tables import create_table, reference, timestamp


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    create_table('handovers',
        reference('shipment_id', 'shipments', ondelete='CASCADE'),
        sa.Column('party', sa.String(length=10), nullable=False),
        reference('user_id', 'users', ondelete='SET NULL', nullable=True),
        reference('organization_id', 'organizations', ondelete='SET NULL', nullable=True),
        sa.Column('since', timestamp(), nullable=False),
        sa.Column('until', timestamp(), nullable=True),
        sa.Column('cause', sa.String(length=20), nullable=False),
        reference('answered_by_id', 'users', ondelete='SET NULL', nullable=True),
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index('ix_handovers_shipment_id_until', ['shipment_id', 'until'], unique=False)


def downgrade():
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_handovers_shipment_id_until')
    op.drop_table('handovers')
