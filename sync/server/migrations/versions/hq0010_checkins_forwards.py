"""Arrival check-in and coupon forwarding (issue 16 items 4 and 5): `checkins` (one arrival
of a member at a store, the arrivals feed's cursor `seq`), `coupon_forwards` (a coupon's
forward link, claimed once) and `coupons.referrer_id` (who forwarded the coupon to its
holder: the referral credit when the friend uses it).

Revision ID: hq0010
Revises: hq0011
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0010'
down_revision = 'hq0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'checkins',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('store_code', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('via', sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_checkins')),
        sa.UniqueConstraint('id', name=op.f('uq_checkins_id')),
    )
    op.create_index('ix_checkins_member_id', 'checkins', ['member_id'])
    op.create_index('ix_checkins_store_seq', 'checkins', ['store_code', 'seq'])
    op.create_table(
        'coupon_forwards',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('coupon_code', sa.String(length=32), nullable=False),
        sa.Column('from_member', sa.Uuid(), nullable=False),
        sa.Column('to_member', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_forwards')),
    )
    op.create_index('ix_coupon_forwards_coupon_code', 'coupon_forwards', ['coupon_code'])
    op.create_index('ix_coupon_forwards_from_member', 'coupon_forwards', ['from_member'])
    op.create_index('ix_coupon_forwards_to_member', 'coupon_forwards', ['to_member'])
    with op.batch_alter_table('coupons') as batch:
        batch.add_column(sa.Column('referrer_id', sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('coupons') as batch:
        batch.drop_column('referrer_id')
    op.drop_index('ix_coupon_forwards_to_member', table_name='coupon_forwards')
    op.drop_index('ix_coupon_forwards_from_member', table_name='coupon_forwards')
    op.drop_index('ix_coupon_forwards_coupon_code', table_name='coupon_forwards')
    op.drop_table('coupon_forwards')
    op.drop_index('ix_checkins_store_seq', table_name='checkins')
    op.drop_index('ix_checkins_member_id', table_name='checkins')
    op.drop_table('checkins')
