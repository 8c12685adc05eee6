"""Online orders and parcel pickup (issue 18): `channels` (an online shop's API key, hashed),
`online_orders` (by channel and order id: lines, amount, status, the points and their
pending date), `parcels` (label, pickup code, store, arrival and pickup).

Revision ID: hq0011
Revises: hq0009
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0011'
down_revision = 'hq0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'channels',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_channels')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_channels_key_hash')),
    )
    op.create_table(
        'online_orders',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('order_id', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('lines', sa.JSON(), nullable=False),
        sa.Column('paid_fen', sa.BigInteger(), nullable=False),
        sa.Column('pickup_store', sa.String(length=16), nullable=True),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('earn_entry_id', sa.Uuid(), nullable=True),
        sa.Column('reverse_entry_id', sa.Uuid(), nullable=True),
        sa.Column('available_at', sa.DateTime(), nullable=False),
        sa.Column('history', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_online_orders')),
        sa.UniqueConstraint('channel', 'order_id', name='uq_online_orders_channel_order'),
    )
    op.create_index('ix_online_orders_member_id', 'online_orders', ['member_id'])
    op.create_table(
        'parcels',
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
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.Column('coupon_code', sa.String(length=32), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parcels')),
        sa.UniqueConstraint('online_order_id', name=op.f('uq_parcels_online_order_id')),
        sa.UniqueConstraint('label', name=op.f('uq_parcels_label')),
        sa.UniqueConstraint('pickup_code', name=op.f('uq_parcels_pickup_code')),
    )
    op.create_index('ix_parcels_member_id', 'parcels', ['member_id'])
    op.create_index('ix_parcels_store_status', 'parcels', ['store_code', 'status'])


def downgrade() -> None:
    op.drop_index('ix_parcels_store_status', table_name='parcels')
    op.drop_index('ix_parcels_member_id', table_name='parcels')
    op.drop_table('parcels')
    op.drop_index('ix_online_orders_member_id', table_name='online_orders')
    op.drop_table('online_orders')
    op.drop_table('channels')
