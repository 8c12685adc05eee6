"""Member imports at HQ (`hq member import`, issue 15): `member_imports` keeps the old
system's key of each imported member (`external_id`, unique: a re-import updates,
never doubles) and the tier spend carried over. Opening balances are ledger entries
of kind `opening` (store HQ); nothing else changes.

Revision ID: hq0012
Revises: hq0010
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0012'
down_revision = 'hq0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'member_imports',
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=True),
        sa.Column('qualifying_spend_fen', sa.Integer(), nullable=False),
        sa.Column('spend_as_of', sa.DateTime(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_imports')),
        sa.UniqueConstraint('external_id', name=op.f('uq_member_imports_external_id')),
    )


def downgrade() -> None:
    op.drop_table('member_imports')
