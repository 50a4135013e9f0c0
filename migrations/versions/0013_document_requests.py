"""document requests addressed to one participant

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:10:00

A document request may name the one participant who is asked (`assignee_id`); only they and
the owner's staff are emailed about it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_document_requests_assignee_id_users'), 'users',
                                    ['assignee_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('document_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_requests_assignee_id_users'), type_='foreignkey')
        batch_op.drop_column('assignee_id')
