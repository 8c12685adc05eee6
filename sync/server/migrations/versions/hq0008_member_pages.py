"""Member pages (issue 16): `notifications` (what the Notifier sent, phone masked)
and `otp_codes` (one-time codes: hashed, single use, expiring; the throttle's memory).

Revision ID: hq0008
Revises: hq0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0008'
down_revision = 'hq0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('phone_masked', sa.String(length=24), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    op.create_index('ix_notifications_phone', 'notifications', ['phone_hash', 'at'])
    op.create_table(
        'otp_codes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('ip_hash', sa.String(length=64), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('store_code', sa.String(length=16), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_codes')),
    )
    op.create_index('ix_otp_codes_phone', 'otp_codes', ['phone_hash', 'created_at'])
    op.create_index('ix_otp_codes_ip', 'otp_codes', ['ip_hash', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_otp_codes_ip', table_name='otp_codes')
    op.drop_index('ix_otp_codes_phone', table_name='otp_codes')
    op.drop_table('otp_codes')
    op.drop_index('ix_notifications_phone', table_name='notifications')
    op.drop_table('notifications')
