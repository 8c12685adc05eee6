"""lottery draws

The points lottery and campaign draws (pos.services.lottery): one row per draw,
written with the hash of its seed before the draw, the seed and the outcome after
(`lottery verify` recomputes it). Nothing else changes.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lottery_draws',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('campaign', sa.String(length=32), nullable=True),
    sa.Column('program_version', sa.String(length=40), nullable=True),
    sa.Column('cost_points', sa.Integer(), nullable=False),
    sa.Column('seed_hash', sa.String(length=64), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=True),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('store_code', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=True),
    sa.Column('test_clock', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_lottery_draws_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery_draws'))
    )
    with op.batch_alter_table('lottery_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_draws_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lottery_draws_campaign'), ['campaign'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lottery_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lottery_draws_campaign'))
        batch_op.drop_index(batch_op.f('ix_lottery_draws_member_id'))
    op.drop_table('lottery_draws')
