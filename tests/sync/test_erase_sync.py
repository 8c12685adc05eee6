"""A member erased at one till (SPEC §12) is erased at HQ and at every other till:
the anonymous record stays for the ledgers and sales, the person is gone."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from pos.services import members, privacy
from pos.services.checkout import Checkout, Tender
from pos.store.models import Member, MemberCard, MemberNote, MemberTag, OutboxEvent
from sync import engine

from .conftest import TOWEL, phone


def settle(*tills):
    for _ in range(2):
        for db in tills:
            engine.sync_once(db)


def test_erase_reaches_hq_and_the_other_till(two_tills, hq):
    a, b = two_tills
    number = phone()
    m = members.register(a, number, name="赵小云", region="杭州", card_no="CARD77", tags=["常客"])
    members.add_note(a, m.id, "过敏：花生", actor="C01")
    co = Checkout(a)
    co.add(TOWEL)
    co.attach_member_id(m.id)
    co.pay([Tender("cash", co.quote().net_fen)])
    settle(a, b)
    assert members.MemberIndex(str(b.path)).by_card("CARD77")  # B knows the member
    with b.read() as s:
        assert s.scalar(select(MemberNote.text).where(MemberNote.member_id == uuid.UUID(m.id))) == "过敏：花生"

    privacy.erase(a, m.id, actor="M01")
    settle(a, b)
    with a.read() as s:
        ev = s.scalar(select(OutboxEvent).where(OutboxEvent.kind == "member.erased"))
        assert ev.status == "sent", ev.result  # HQ took it (not refused)
    from sync.server.models import Member as HQMember, MemberCard as HQCard

    with hq.db.read() as s:
        row = s.get(HQMember, uuid.UUID(m.id))
        assert (row.status, row.name, row.region, row.phone, row.tags) == ("erased", None, None, None, [])
        assert s.scalars(select(HQCard).where(HQCard.member_id == row.id)).all() == []
    with b.read() as s:
        row = s.get(Member, uuid.UUID(m.id))
        assert (row.status, row.name, row.region, row.phone_hash, row.phone_last4) == ("erased", None, None, None, None)
        assert s.scalars(select(MemberTag).where(MemberTag.member_id == row.id)).all() == []
        assert s.scalars(select(MemberNote).where(MemberNote.member_id == row.id)).all() == []
        assert s.scalar(select(MemberCard.card_no).where(MemberCard.member_id == row.id)) != "CARD77"
    idx = members.MemberIndex(str(b.path))
    assert idx.by_card("CARD77") == [] and idx.by_phone(number) == []
    # the person may join again, as someone new, at either till
    again = members.register(b, number)
    assert again.id != m.id
