"""member phone hash

A till enrolled with HQ keeps no full phone numbers (issue 12 item 7): a keyed
hash (HMAC-SHA256 with the chain's key, hex) to identify by phone, the last 4
digits (already there) and the masked form shown everywhere (138****8000).
`phone` stays for a standalone till, which is the only copy of its members.

This revision adds the columns and fills the masked form from existing phones.
It cannot hash (the key comes from HQ, not from the file): an enrolled store's
phones are hashed and cleared by its next sync (pos.services.phone_privacy).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _mask(e164: str) -> str:
    from pos.rules import phones

    try:
        return phones.mask(e164)
    except Exception:  # a number phonenumbers cannot parse any more: show nothing of it
        return "****"


def upgrade() -> None:
    op.add_column('members', sa.Column('phone_hash', sa.String(length=64), nullable=True))
    op.add_column('members', sa.Column('phone_masked', sa.String(length=20), nullable=True))
    op.create_index('ix_members_phone_hash', 'members', ['phone_hash'], unique=True)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, phone FROM members WHERE phone IS NOT NULL")).all()
    if rows:
        conn.execute(sa.text("UPDATE members SET phone_masked = :m WHERE id = :i"),
                     [{"m": _mask(p), "i": i} for i, p in rows])


def downgrade() -> None:
    op.drop_index('ix_members_phone_hash', table_name='members')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('phone_masked')
        batch_op.drop_column('phone_hash')
