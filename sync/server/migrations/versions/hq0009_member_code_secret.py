"""The dynamic member code's per-member secret (issue 16 item 3)

`members.code_secret`: 32 random bytes as hex, the key of the member page's changing
code (pos.rules.dynamic_code). Made here for every member (existing ones now: SQLite's
randomblob, PostgreSQL's gen_random_uuid, both from the system's secure source), sent
to the tills in the member's pull row, never shown.

Revision ID: hq0009
Revises: hq0008
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0009'
down_revision = 'hq0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('code_secret', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE members SET code_secret = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') "
                   "WHERE code_secret IS NULL")
    else:
        op.execute("UPDATE members SET code_secret = lower(hex(randomblob(32))) WHERE code_secret IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.drop_column('code_secret')
