"""shopping coins and the alliance's rules (issue 17)

The alliance's shared coin ledger (`coin_entries`, `coin_allocations`: the same tables as
HQ's) and the alliance rules this till received (`alliance_programs`). New tables only;
nothing else changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coin_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('coins', sa.Integer(), nullable=False),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('merchant_code', sa.String(length=16), nullable=True),
    sa.Column('store_code', sa.String(length=16), nullable=True),
    sa.Column('sale_id', sa.Uuid(), nullable=True),
    sa.Column('reverses_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('alliance_version', sa.String(length=40), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('test_clock', sa.Boolean(), nullable=False),
    sa.CheckConstraint('coins <> 0', name=op.f('ck_coin_entries_nonzero')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_coin_entries_member_id_members')),
    sa.ForeignKeyConstraint(['reverses_id'], ['coin_entries.id'], name=op.f('fk_coin_entries_reverses_id_coin_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coin_entries'))
    )
    op.create_index(op.f('ix_coin_entries_member_id'), 'coin_entries', ['member_id'])
    op.create_index(op.f('ix_coin_entries_sale_id'), 'coin_entries', ['sale_id'])
    op.create_index('ix_coin_entries_created', 'coin_entries', ['created_at', 'kind'])
    op.create_table('coin_allocations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('debit_id', sa.Uuid(), nullable=False),
    sa.Column('lot_id', sa.Uuid(), nullable=False),
    sa.Column('coins', sa.Integer(), nullable=False),
    sa.CheckConstraint('coins <> 0', name=op.f('ck_coin_allocations_nonzero')),
    sa.ForeignKeyConstraint(['debit_id'], ['coin_entries.id'], name=op.f('fk_coin_allocations_debit_id_coin_entries')),
    sa.ForeignKeyConstraint(['lot_id'], ['coin_entries.id'], name=op.f('fk_coin_allocations_lot_id_coin_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coin_allocations'))
    )
    op.create_index(op.f('ix_coin_allocations_debit_id'), 'coin_allocations', ['debit_id'])
    op.create_index(op.f('ix_coin_allocations_lot_id'), 'coin_allocations', ['lot_id'])
    op.create_table('alliance_programs',
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('installed_at', sa.DateTime(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_alliance_programs'))
    )


def downgrade() -> None:
    op.drop_table('alliance_programs')
    op.drop_table('coin_allocations')
    op.drop_table('coin_entries')
