"""each merchant's own relationship in an alliance (issue 17)

Points entries, allocations and stored-value entries say whose they are (`merchant_code`;
NULL = `main`: every row from before, so a chain alone sees nothing change), and a
member's relationship with a merchant carries that merchant's tier (`member_merchants`
tier columns; `main`'s tier stays on the member row).

Revision ID: hq0014
Revises: hq0013
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0014'
down_revision = 'hq0013'
branch_labels = None
depends_on = None

_LEDGERS = ('points_entries', 'points_allocations', 'stored_value_entries')


def upgrade() -> None:
    for table in _LEDGERS:
        with op.batch_alter_table(table) as b:
            b.add_column(sa.Column('merchant_code', sa.String(length=16), nullable=True))
    with op.batch_alter_table('member_merchants') as b:
        b.add_column(sa.Column('tier_code', sa.String(length=16), nullable=True))
        b.add_column(sa.Column('tier_since', sa.DateTime(), nullable=True))
        b.add_column(sa.Column('tier_expires', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('member_merchants') as b:
        b.drop_column('tier_expires')
        b.drop_column('tier_since')
        b.drop_column('tier_code')
    for table in _LEDGERS:
        with op.batch_alter_table(table) as b:
            b.drop_column('merchant_code')
