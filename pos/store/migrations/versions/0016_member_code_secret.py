"""The dynamic member code's per-member secret (issue 16 item 3)

`members.code_secret`: HQ's key of the member's changing code (pos.rules.dynamic_code),
pulled with the member so the till verifies a code offline. NULL until HQ sends it (a
standalone till, a member not pulled yet: the till asks HQ). Nothing else changes.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('code_secret', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('code_secret')
