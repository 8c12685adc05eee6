"""HQ settings (the chain's phone key, the unmask policy) and HQ's audit log

Tills keep only a keyed hash of each member's phone (issue 12 item 7); the key
is the chain's, made once at HQ and handed to each till at enrolment. A full
number goes to a till only through the audited unmask endpoint.

Revision ID: hq0002
Revises: hq0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0002'
down_revision = 'hq0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hq_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_hq_settings'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('store_code', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_member', 'audit_log', ['member_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_member', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_table('hq_settings')
