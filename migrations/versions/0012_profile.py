"""profile

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:30:00

Milestone and document messages keep what they say as data (`messages.facts`), so each
reader's page and email renders them in their own language and time zone.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('facts')
