"""HQ re-prices every sale: what HQ computed beside what the till claimed

`sales.repriced` (equal / mismatch / unpriced; NULL for returns, top-ups and the
sales ingested before this), `sales.hq_net_fen`, `sales.hq_points_earned`. The
differences themselves are `exceptions` rows (`reprice_mismatch`, `not_repriced`).

Revision ID: hq0003
Revises: hq0002
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0003'
down_revision = 'hq0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sales') as batch:
        batch.add_column(sa.Column('repriced', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('hq_net_fen', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('hq_points_earned', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales') as batch:
        batch.drop_column('hq_points_earned')
        batch.drop_column('hq_net_fen')
        batch.drop_column('repriced')
