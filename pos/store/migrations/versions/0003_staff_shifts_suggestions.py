"""staff, shifts, suggestions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('product_cycles',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('cycle_days', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_product_cycles'))
    )
    op.create_table('product_pairs',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('other', sa.String(length=40), nullable=False),
    sa.Column('support', sa.Integer(), nullable=False),
    sa.Column('lift_milli', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', 'other', name=op.f('pk_product_pairs'))
    )
    op.create_table('staff',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('line_discount_pct', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_staff'))
    )
    op.create_table('shifts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('cashier', sa.String(length=16), nullable=False),
    sa.Column('register_no', sa.String(length=8), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('opening_float_fen', sa.Integer(), nullable=False),
    sa.Column('counted_fen', sa.Integer(), nullable=True),
    sa.Column('expected_fen', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('test_clock', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cashier'], ['staff.code'], name=op.f('fk_shifts_cashier_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_cashier'), ['cashier'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shifts_cashier'))

    op.drop_table('shifts')
    op.drop_table('staff')
    op.drop_table('product_pairs')
    op.drop_table('product_cycles')
