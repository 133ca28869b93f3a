"""division.scratch_max_mib: the largest Scratch project (.sb3) a division accepts, MiB (NULL = site setting)

Revision ID: e5f6scratchcap01
Revises: d4e5packages01
Create Date: 2026-11-28 23:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e5f6scratchcap01'
down_revision = 'd4e5packages01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scratch_max_mib', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('division', schema=None) as batch_op:
        batch_op.drop_column('scratch_max_mib')
