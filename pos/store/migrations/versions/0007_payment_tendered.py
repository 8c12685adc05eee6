"""payment tendered

What the customer handed over for each tender (`payments.tendered_fen`): two 500-yuan
notes for a 989.92 bill are two cash rows of 50000 tendered, the sale's `change_fen`
gives 10.08 back. `amount_fen` stays what the tender paid of the bill (refund
arithmetic and reports use it). Rows written before this revision tendered exactly
what they paid.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('payments', sa.Column('tendered_fen', sa.Integer(), nullable=True))
    op.execute("UPDATE payments SET tendered_fen = amount_fen")


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('tendered_fen')
