"""The alliance (issue 17): merchants, each with its stores and program versions; a
member's relationship and consent per merchant; the alliance's shared rules; the shared
shopping-coin ledger (the till's tables); closed settlement periods and what each settled;
who funds a coupon.

An HQ from before is the one-merchant alliance `main`: the merchant `main` is made, every
store and program version is `main`'s (a column default), every member is `main`'s with
the consent they had (nothing a till sees changes).

Revision ID: hq0013
Revises: hq0012
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = 'hq0013'
down_revision = 'hq0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'merchants',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_merchants')),
    )
    with op.batch_alter_table('stores') as b:
        b.add_column(sa.Column('merchant_code', sa.String(length=16), nullable=False, server_default='main'))
    with op.batch_alter_table('programs') as b:
        b.add_column(sa.Column('merchant_code', sa.String(length=16), nullable=False, server_default='main'))
    with op.batch_alter_table('coupons') as b:
        b.add_column(sa.Column('funded_by', sa.String(length=16), nullable=True))
    op.create_table(
        'member_merchants',
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('merchant_code', sa.String(length=16), nullable=False),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.Column('joined_store', sa.String(length=16), nullable=True),
        sa.Column('consent', sa.Boolean(), nullable=False),
        sa.Column('consent_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('member_id', 'merchant_code', name=op.f('pk_member_merchants')),
    )
    op.create_table(
        'alliance_programs',
        sa.Column('version', sa.String(length=40), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('version', name=op.f('pk_alliance_programs')),
    )
    op.create_table(
        'coin_entries',
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
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coin_entries')),
    )
    op.create_index(op.f('ix_coin_entries_member_id'), 'coin_entries', ['member_id'])
    op.create_index(op.f('ix_coin_entries_sale_id'), 'coin_entries', ['sale_id'])
    op.create_index('ix_coin_entries_created', 'coin_entries', ['created_at', 'kind'])
    op.create_table(
        'coin_allocations',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('debit_id', sa.Uuid(), nullable=False),
        sa.Column('lot_id', sa.Uuid(), nullable=False),
        sa.Column('coins', sa.Integer(), nullable=False),
        sa.CheckConstraint('coins <> 0', name=op.f('ck_coin_allocations_nonzero')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_coin_allocations')),
    )
    op.create_index(op.f('ix_coin_allocations_debit_id'), 'coin_allocations', ['debit_id'])
    op.create_index(op.f('ix_coin_allocations_lot_id'), 'coin_allocations', ['lot_id'])
    op.create_table(
        'settlement_periods',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('date_from', sa.Date(), nullable=False),
        sa.Column('date_to', sa.Date(), nullable=False),
        sa.Column('tz', sa.String(length=40), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_periods')),
    )
    op.create_table(
        'settlement_items',
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('source_id', sa.Uuid(), nullable=False),
        sa.Column('period_id', sa.Uuid(), nullable=False),
        sa.Column('amount_fen', sa.Integer(), nullable=False),
        sa.Column('debtor', sa.String(length=16), nullable=False),
        sa.Column('creditor', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('source', 'source_id', name=op.f('pk_settlement_items')),
    )
    op.create_index(op.f('ix_settlement_items_period_id'), 'settlement_items', ['period_id'])
    # a closed period and what it settled are never rewritten: the database refuses it too
    if op.get_context().dialect.name == 'postgresql':
        op.execute("CREATE FUNCTION settlement_closed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "RAISE EXCEPTION 'a closed settlement period cannot change'; END $$")
        for table in ('settlement_periods', 'settlement_items'):
            op.execute(f"CREATE TRIGGER {table}_closed BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION settlement_closed()")
    else:
        for table in ('settlement_periods', 'settlement_items'):
            for what in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, 'a closed settlement period cannot change'); END")
    # the one-merchant alliance of an HQ from before: every member is main's, with their consent
    op.execute("INSERT INTO merchants (code, name, created_at) VALUES ('main', 'main', CURRENT_TIMESTAMP)")
    op.execute("INSERT INTO member_merchants (member_id, merchant_code, joined_at, joined_store, consent, consent_at) "
               "SELECT id, 'main', joined_at, joined_store, TRUE, joined_at FROM members")


def downgrade() -> None:
    if op.get_context().dialect.name == 'postgresql':
        op.execute("DROP TABLE settlement_items, settlement_periods")
        op.execute("DROP FUNCTION settlement_closed()")
    else:
        op.drop_table('settlement_items')
        op.drop_table('settlement_periods')
    op.drop_table('coin_allocations')
    op.drop_table('coin_entries')
    op.drop_table('alliance_programs')
    op.drop_table('member_merchants')
    with op.batch_alter_table('coupons') as b:
        b.drop_column('funded_by')
    with op.batch_alter_table('programs') as b:
        b.drop_column('merchant_code')
    with op.batch_alter_table('stores') as b:
        b.drop_column('merchant_code')
    op.drop_table('merchants')
