"""online orders and parcels

Issue 18: the member's online orders as HQ sends them (`online_orders`) and the parcels
for pickup at this store (`parcels`: label, pickup code, arrival, pickup, the voucher).
New tables only; nothing else changes.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('online_orders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('pickup_store', sa.String(length=16), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('points_reversed', sa.Boolean(), nullable=False),
    sa.Column('available_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_orders'))
    )
    op.create_index(op.f('ix_online_orders_member_id'), 'online_orders', ['member_id'], unique=False)
    op.create_table('parcels',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('online_order_id', sa.Uuid(), nullable=False),
    sa.Column('order_ref', sa.String(length=100), nullable=False),
    sa.Column('store_code', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=24), nullable=False),
    sa.Column('pickup_code', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(), nullable=True),
    sa.Column('collected_at', sa.DateTime(), nullable=True),
    sa.Column('coupon_code', sa.String(length=32), nullable=True),
    sa.Column('received_by', sa.String(length=32), nullable=True),
    sa.Column('collected_by', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('test_clock', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcels')),
    sa.UniqueConstraint('label', name=op.f('uq_parcels_label')),
    sa.UniqueConstraint('pickup_code', name=op.f('uq_parcels_pickup_code'))
    )
    op.create_index(op.f('ix_parcels_member_id'), 'parcels', ['member_id'], unique=False)
    op.create_index('ix_parcels_status', 'parcels', ['status', 'arrived_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_parcels_status', table_name='parcels')
    op.drop_index(op.f('ix_parcels_member_id'), table_name='parcels')
    op.drop_table('parcels')
    op.drop_index(op.f('ix_online_orders_member_id'), table_name='online_orders')
    op.drop_table('online_orders')
