"""each merchant's own relationship in an alliance (issue 17)

Points, their allocations and stored value say whose they are (`merchant_code`, stamped
by HQ; NULL = `main`, a chain alone: every row from before), and a member says at which
merchant they joined the alliance (`home_merchant`, from HQ). Nullable columns only.
And a partial index on `members.merged_into` (the member panel looks up the records merged
into a member on every identification: a full scan of the members without it).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_LEDGERS = ('points_entries', 'points_allocations', 'stored_value_entries')


def upgrade() -> None:
    for table in _LEDGERS:
        with op.batch_alter_table(table) as b:
            b.add_column(sa.Column('merchant_code', sa.String(length=16), nullable=True))
    with op.batch_alter_table('members') as b:
        b.add_column(sa.Column('home_merchant', sa.String(length=16), nullable=True))
    op.create_index('ix_members_merged_into', 'members', ['merged_into'], unique=False,
                    sqlite_where=sa.text('merged_into IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_members_merged_into', 'members')
    with op.batch_alter_table('members') as b:
        b.drop_column('home_merchant')
    for table in _LEDGERS:
        with op.batch_alter_table(table) as b:
            b.drop_column('merchant_code')
