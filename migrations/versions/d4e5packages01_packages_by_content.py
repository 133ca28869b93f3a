"""problem packages stored by content (sha256), fetched by workers into their own cache

Revision ID: d4e5packages01
Revises: c3d4results01
Create Date: 2026-11-28 21:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e5packages01'
down_revision = 'c3d4results01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('problem_package',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.add_column(sa.Column('package_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_problem_package_hash'), ['package_hash'], unique=False)
        batch_op.create_foreign_key('fk_problem_package_hash', 'problem_package', ['package_hash'], ['sha256'])


def downgrade():
    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_constraint('fk_problem_package_hash', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_problem_package_hash'))
        batch_op.drop_column('package_hash')
    op.drop_table('problem_package')
