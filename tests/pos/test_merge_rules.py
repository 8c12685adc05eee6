"""The one merge rule (pos.rules.merge) and the one ledger move (ledger.move_balance),
used by the till's merge and by HQ's (sync.server.members.merge_members)."""
import datetime as dt
import uuid

from sqlalchemy import select

from pos.loyalty import ledger
from pos.rules.merge import merge_fields, takes_phone, tier_rank
from pos.services import members
from pos.store.models import PointsEntry, StoredValueEntry

UTC = dt.timezone.utc
T0, T1 = dt.datetime(2025, 1, 5, tzinfo=UTC), dt.datetime(2026, 3, 1, tzinfo=UTC)
PROFILE = ("name", "gender", "birthday", "region", "preferences")


def test_the_survivor_takes_only_the_gaps_the_higher_tier_and_the_earlier_join():
    keep = {"name": "王小明", "gender": "", "birthday": None, "region": "杭州", "preferences": {},
            "marketing_consent": False, "tier_code": "vip", "tier_since": T1, "tier_expires": dt.date(2027, 3, 1),
            "joined_at": T1}
    other = {"name": "王", "gender": "M", "birthday": dt.date(1990, 5, 1), "region": "上海",
             "preferences": {"size": "L"}, "marketing_consent": True, "consent_at": T0, "tier_code": "svip",
             "tier_since": T0, "tier_expires": dt.date(2026, 1, 5), "joined_at": T0}
    fm = merge_fields(keep, other, PROFILE, keep_tags=["vip-day"], other_tags=["vip-day", "baby"])
    assert fm.values == {"gender": "M", "birthday": dt.date(1990, 5, 1), "preferences": {"size": "L"},
                         "marketing_consent": True, "consent_at": T0, "tier_code": "svip", "tier_since": T0,
                         "tier_expires": dt.date(2026, 1, 5), "joined_at": T0}
    assert fm.filled == ["gender", "birthday", "preferences", "marketing_consent", "tier"]
    assert fm.tags == ["baby"]


def test_nothing_is_taken_from_an_emptier_lower_record():
    keep = {"name": "李", "marketing_consent": True, "tier_code": "svip", "joined_at": T0}
    other = {"name": None, "marketing_consent": True, "consent_at": T1, "tier_code": "member", "joined_at": T1}
    fm = merge_fields(keep, other, PROFILE, keep_tags=["a"], other_tags=["a"])
    assert fm.values == {"joined_at": T0} and fm.filled == [] and fm.tags == []


def test_unknown_tiers_rank_below_every_known_one_and_the_phone_goes_only_to_a_phoneless_survivor():
    assert tier_rank("svip") > tier_rank("vip") > tier_rank("member") > tier_rank("gold") == -1
    assert merge_fields({"tier_code": "gold"}, {"tier_code": "member"}, ()).values.get("tier_code") == "member"
    assert merge_fields({"tier_code": "gold"}, {"tier_code": "platinum"}, (),
                        tier_order=("gold", "platinum")).filled == ["tier"]
    assert takes_phone(False, True) and not takes_phone(True, True) and not takes_phone(False, False)


def test_move_balance_moves_each_lot_with_its_expiry_debt_as_debt_and_stored_value(db, clock):
    a, b = members.register(db, "13800138000"), members.register(db, "13900139000")
    keep, other = uuid.UUID(a.id), uuid.UUID(b.id)
    now = clock.now()
    soon, later = now + dt.timedelta(days=30), now + dt.timedelta(days=400)
    with db.transaction() as s:
        ledger.credit(s, other, "earn", 300, now=now, expires_at=soon)
        ledger.credit(s, other, "earn", 200, now=now, expires_at=later)
        ledger.sv_post(s, other, "topup", 5000, now=now)
        ledger.debit(s, keep, "redeem", 80, now=now, allow_debt=True)  # the survivor owes 80
        moved = ledger.move_balance(s, other, keep, now=now, store_code="S001", reason="merge x -> y")
    assert moved == (500, 5000)
    with db.read() as s:
        assert ledger.points_balance(s, other) == 0 and ledger.sv_balance(s, other) == 0
        assert ledger.points_balance(s, keep) == 500 - 80 and ledger.sv_balance(s, keep) == 5000
        lots = sorted((lot.remaining, lot.expires_at) for lot in ledger.open_lots(s, keep))
        assert lots == [(200, later), (220, soon)]  # the debt was paid from the lot moved first
        assert ledger.open_debts(s, keep) == []
        rows = s.scalars(select(PointsEntry).where(PointsEntry.kind.in_(("merge_in", "merge_out")))).all()
        assert {r.reason for r in rows} == {"merge x -> y"} and all(r.store_code == "S001" for r in rows)
        sv = s.scalars(select(StoredValueEntry).where(StoredValueEntry.kind.in_(("merge_in", "merge_out")))).all()
        assert sorted(r.amount_fen for r in sv) == [-5000, 5000]
        assert ledger.find_drift(s) == []


def test_move_balance_moves_a_debt_to_the_survivor(db, clock):
    a, b = members.register(db, "13800138000"), members.register(db, "13900139000")
    keep, other = uuid.UUID(a.id), uuid.UUID(b.id)
    now = clock.now()
    with db.transaction() as s:
        ledger.debit(s, other, "redeem", 150, now=now, allow_debt=True)
        moved = ledger.move_balance(s, other, keep, now=now, store_code="HQ", reason="r")
    assert moved == (-150, 0)
    with db.read() as s:
        assert ledger.points_balance(s, other) == 0 and ledger.points_balance(s, keep) == -150
        assert sum(d.unpaid for d in ledger.open_debts(s, keep)) == 150
