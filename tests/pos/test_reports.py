"""Store manager figures (pos/analytics/reports.py) on a small store built through the real
engine — `Checkout`, `returns.return_sale`, `checkout.topup`, `coupons.issue` —
with a FixedClock moved by hand (store zone Asia/Shanghai, UTC+8, no DST).
Every expected figure below is worked out by hand from this story.

Program: Vancl. Member tier pays 100 %, earns 2 pts/yuan (×1); VIP pays 98 %,
earns ×1.5; 100 pts = 2 yuan; top-up of 5,000 yuan → VIP at once, bonus 100
yuan; no basket here reaches the 300-yuan promotion.
Catalog: REG = 100 yuan, HALF = 50 yuan (both regular points class).

Before the period
    2026-08-01  O joins;            2026-08-23 12:00 O buys HALF        5,000 fen, +100 pts
    2026-09-15  A joins;            2026-10-01 12:00 A buys REG        10,000 fen, +200 pts
The period 2026-11-20 (Fri) .. 2026-11-22 (Sun), local times:
  11-20 09:00 B joins, 09:05 welcome-10 coupon issued to B; 09:30 C joins, 09:35 welcome-10 to C
  s1 11-20 10:00 C01  A      REG                          10,000   +200 pts
  s2 11-20 11:00 C02  —      HALF ×2                      10,000
  s3 11-20 15:00 C01  B      REG − welcome-10 (10 yuan)    9,000   +180 pts (coupon used: 1,000 fen)
  s4 11-20 16:00 C02  C      HALF                          5,000   +100 pts
  r1 11-20 17:00 C02  C      full return of s4            −5,000   −100 pts  (cancels s4: C's only sale)
  s5 11-20 23:30 C01  —      REG                          10,000            (UTC 15:30 on 11-20)
  11-21: no sale at all (yet UTC 2026-11-21 holds s6 below)
  s6 11-22 00:30 C01  A      HALF, 100 pts redeemed        4,800   +96 pts (48 yuan × 2; UTC 16:30 on 11-21)
  s7 11-22 10:00 C02  A      REG ×2                       20,000   +400 pts
  r2 11-22 14:00 C02  A      partial return: 1 REG of s7 −10,000   −200 pts  (s7 stands)
  s8 11-22 15:00 C01  —      HALF                          5,000
     11-22 16:00      A      top-up 5,000 yuan (+100 bonus) by WeChat → VIP (tier change member→vip, topup)
  s9 11-22 17:00 C01  A      HALF at VIP 98 %, stored value 4,900  +147 pts (49 × 2 × 1.5)
     11-22 12:00 E joins (never buys)
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from pos.loyalty import coupons
from pos.services import members
from pos.store import program_store
from pos.rules import program
from pos.analytics import reports
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender, topup
from pos.clock import FixedClock
from pos.store.database import open_db
from pos.demo.store import ean13
from pos.services.returns import return_sale

REG = ean13("690777100001")
HALF = ean13("690777100002")
CATALOG = f"""barcode,name,category,price_fen,kind
{REG},T恤,服装,10000,regular
{HALF},袜子,服装,5000,regular
"""
D1, D2, D3 = dt.date(2026, 11, 20), dt.date(2026, 11, 21), dt.date(2026, 11, 22)


def at(clock, text):
    clock.set(dt.datetime.fromisoformat(text))  # naive = store-local


def sell(db, clock, when, mid, *codes, cashier="", coupon=None, redeem=0, tender="cash"):
    at(clock, when)
    co = Checkout(db, cashier=cashier)
    for c in codes:
        co.add(c)
    if mid:
        co.attach_member_id(mid)
    if coupon:
        co.add_coupon(coupon)
    co.redeem(redeem)
    q = co.quote()
    return co.pay([Tender(tender, q.net_fen)])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "store.sqlite3"
    clock = FixedClock(dt.datetime(2026, 8, 1, 9, 0))
    db = open_db(path, clock=clock)
    program_store.install(db, program.preset("vancl"))
    csv = path.with_name("catalog.csv")
    csv.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, csv).ok
    doc = program_store.active(db)

    def join(when, n):
        at(clock, when)
        return members.register(db, f"1390014{n:04d}").id

    ids = {}
    ids["O"] = join("2026-08-01T09:00", 1)
    sell(db, clock, "2026-08-23T12:00", ids["O"], HALF)
    ids["A"] = join("2026-09-15T09:00", 2)
    sell(db, clock, "2026-10-01T12:00", ids["A"], REG)
    ids["B"] = join("2026-11-20T09:00", 3)
    at(clock, "2026-11-20T09:05")
    with db.transaction() as s:
        b_coupon = coupons.issue(s, db, doc, "welcome-10", member_id=uuid.UUID(ids["B"]), source="signup").code
    ids["C"] = join("2026-11-20T09:30", 4)
    at(clock, "2026-11-20T09:35")
    with db.transaction() as s:
        coupons.issue(s, db, doc, "welcome-10", member_id=uuid.UUID(ids["C"]), source="signup")
    sell(db, clock, "2026-11-20T10:00", ids["A"], REG, cashier="C01")
    sell(db, clock, "2026-11-20T11:00", None, HALF, HALF, cashier="C02")
    s3 = sell(db, clock, "2026-11-20T15:00", ids["B"], REG, cashier="C01", coupon=b_coupon)
    assert s3.totals["net_fen"] == 9000
    s4 = sell(db, clock, "2026-11-20T16:00", ids["C"], HALF, cashier="C02")
    at(clock, "2026-11-20T17:00")
    return_sale(db, s4.receipt_no, cashier="C02")
    sell(db, clock, "2026-11-20T23:30", None, REG, cashier="C01")
    s6 = sell(db, clock, "2026-11-22T00:30", ids["A"], HALF, cashier="C01", redeem=100)
    assert (s6.totals["net_fen"], s6.points["earned"], s6.points["redeemed"]) == (4800, 96, 100)
    s7 = sell(db, clock, "2026-11-22T10:00", ids["A"], REG, REG, cashier="C02")
    at(clock, "2026-11-22T14:00")
    return_sale(db, s7.receipt_no, {REG: 1}, cashier="C02")
    ids["E"] = join("2026-11-22T12:00", 5)
    sell(db, clock, "2026-11-22T15:00", None, HALF, cashier="C01")
    at(clock, "2026-11-22T16:00")
    topup(db, ids["A"], 500000, [Tender("wechat", 500000)])
    s9 = sell(db, clock, "2026-11-22T17:00", ids["A"], HALF, cashier="C01", tender="stored_value")
    assert (s9.totals["net_fen"], s9.points["earned"]) == (4900, 147)
    at(clock, "2026-11-23T10:00")
    yield db, doc, ids
    db.close()


def test_period_sales_transactions_refunds_and_non_members(store):
    db, doc, _ = store
    s = reports.period(db, doc, D1, D3).summary
    # sale tickets s1..s9: 10000+10000+9000+5000+10000+4800+20000+5000+4900 = 78,700
    assert s["sale_tickets_fen"] == 78700 and s["sale_tickets"] == 9
    # refunds r1 5,000 (full) + r2 10,000 (partial), netted: 78,700 − 15,000 = 63,700
    assert (s["refunds_fen"], s["return_tickets"], s["sales_fen"]) == (15000, 2, 63700)
    # 9 sale tickets − 1 cancelled (s4, by r1; the partial r2 cancels nothing) = 8
    assert (s["transactions"], s["cancelled_sales"]) == (8, 1)
    assert s["aov_fen"] == 7963  # 63,700 / 8 = 7,962.5 → half-up 7,963
    # units: s1 1, s2 2, s3 1, s4 1, s5 1, s6 1, s7 2, s8 1, s9 1 = 11; returns −1 −1 → 9
    assert s["items"] == 9 and s["items_per_basket"] == 9 / 8
    # each ticket's units (written by checkout and returns) are its lines' quantities
    with db.read() as ses:
        from sqlalchemy import text
        assert ses.execute(text(
            "SELECT COUNT(*) FROM sales s WHERE s.units != (SELECT COALESCE(SUM(qty), 0) FROM sale_lines l "
            "WHERE l.sale_id = s.id AND l.reward IS NULL)")).scalar() == 0
    # members: s1 10000 + s3 9000 + s4 5000 − r1 5000 + s6 4800 + s7 20000 − r2 10000 + s9 4900 = 38,700 in 6 − 1 = 5
    assert (s["member_sales_fen"], s["member_transactions"], s["member_aov_fen"]) == (38700, 5, 7740)
    # non-members apart: s2 10000 + s5 10000 + s8 5000 = 25,000 in 3; AOV 8,333.33 → 8,333
    assert (s["non_member_sales_fen"], s["non_member_transactions"], s["non_member_aov_fen"]) == (25000, 3, 8333)
    assert s["member_share_sales"] == 38700 / 63700 and s["member_share_transactions"] == 5 / 8


def test_period_member_funnel_and_churn(store):
    db, doc, _ = store
    s = reports.period(db, doc, D1, D3).summary
    # buyers: A (s1, s6, s7, s9 → 4 net), B (s3 → 1); C (s4 − r1 = 0) is no buyer
    assert (s["buyers"], s["repeat_buyers"], s["repeat_purchase_rate"]) == (2, 1, 0.5)
    # joined in the period: B, C, E; converted: B only (C's only sale was refunded in full, E never bought)
    assert (s["new_members"], s["new_members_converted"], s["conversion_rate"]) == (3, 1, 1 / 3)
    # churn, 90 days: buyers of 08-22..11-19 = {A (10-01), O (08-23)}; of those, no purchase in
    # 08-25..11-22: O → 1 / 2
    assert (s["churn_days"], s["churn_base"], s["churned"], s["churn_rate"]) == (90, 2, 1, 0.5)
    assert s["members_total"] == 5  # O, A, B, C, E


def test_period_points_coupons_stored_value_and_liability(store):
    db, doc, _ = store
    s = reports.period(db, doc, D1, D3).summary
    # earned 200 (s1) + 180 (s3) + 100 (s4) + 96 (s6) + 400 (s7) + 147 (s9) = 1,123; taken back 100 (r1) + 200 (r2)
    assert (s["points_earned"], s["points_taken_back"], s["points_issued"]) == (1123, 300, 823)
    assert (s["points_redeemed"], s["points_refunded"], s["points_expired"]) == (100, 0, 0)
    # outstanding at the end: before 300 (O 100 + A 200) + 823 − 100 = 1,023
    # (A 743, B 180, C 0, O 100); liability 1,023 × 200 fen / 100 pts = 2,046 fen = 20.46 yuan
    assert s["points_outstanding"] == 1023
    assert (s["points_liability_fen"], s["points_liability_yuan"]) == (2046, "20.46")
    # coupons: 2 issued (B, C), 1 used (B's on s3, 10 yuan) → rate 1 / 2
    assert (s["coupons_issued"], s["coupons_issued_used"], s["coupon_redemption_rate"]) == (2, 1, 0.5)
    assert (s["coupons_redeemed"], s["coupons_redeemed_fen"]) == (1, 1000)
    # stored value: in 500,000 + 10,000 bonus; out 4,900 (s9); balance 505,100
    assert (s["sv_topup_fen"], s["sv_bonus_fen"], s["sv_in_fen"]) == (500000, 10000, 510000)
    assert (s["sv_spent_fen"], s["sv_out_fen"], s["sv_balance_fen"]) == (4900, 4900, 505100)


def test_period_tiers_cashiers_days_hours(store):
    db, doc, _ = store
    r = reports.period(db, doc, D1, D3)
    assert [(t["tier"], t["members"]) for t in r.tiers] == [("member", 4), ("vip", 1), ("svip", 0)]
    assert r.tier_moves == [{"from_tier": "member", "to_tier": "vip", "reason": "topup", "direction": "up", "members": 1}]
    # C01: s1 10000 + s3 9000 + s5 10000 + s6 4800 + s8 5000 + s9 4900 = 43,700 in 6
    # C02: s2 10000 + s4 5000 − r1 5000 + s7 20000 − r2 10000 = 20,000 in 3 − 1 = 2, refunds 15,000
    assert [(c["cashier"], c["sales_fen"], c["transactions"], c["refunds_fen"]) for c in r.cashiers] == [
        ("C01", 43700, 6, 0), ("C02", 20000, 2, 15000)]
    # days: 11-20 s1+s2+s3+s4−r1+s5 = 39,000 in 5 − 1 = 4 (members 19,000 in 2); 11-21 nothing;
    # 11-22 s6 + s7 − r2 + s8 + s9 = 24,700 in 4 (members 19,700 in 3)
    assert [(d["date"], d["sales_fen"], d["transactions"], d["member_sales_fen"], d["member_transactions"])
            for d in r.by_day] == [("2026-11-20", 39000, 4, 19000, 2), ("2026-11-21", 0, 0, 0, 0),
                                   ("2026-11-22", 24700, 4, 19700, 3)]
    # store-local hours: 0 s6; 10 s1, s7; 11 s2; 14 r2; 15 s3, s8; 16 s4 (the top-up is no sale);
    # 17 r1 −5,000 and s9 4,900; 23 s5
    hours = {h["hour"]: (h["tickets"], h["member_tickets"], h["sales_fen"]) for h in r.by_hour if h["tickets"] or h["sales_fen"]}
    assert hours == {0: (1, 1, 4800), 10: (2, 2, 30000), 11: (1, 0, 10000), 14: (0, 0, -10000),
                     15: (2, 1, 14000), 16: (1, 1, 5000), 17: (1, 1, -100), 23: (1, 0, 10000)}


def test_decomposition_holds_exactly(store):
    db, doc, _ = store
    d = reports.period(db, doc, D1, D3).decomposition
    # traffic 5 members, buyers 2, member transactions 5, member sales 38,700:
    # 5 × (2/5 = 0.4) × (5/2 = 2.5) × (38,700/5 = 7,740) = 38,700
    assert (d["traffic"], d["buyers"], d["transactions"], d["member_sales_fen"]) == (5, 2, 5, 38700)
    assert (d["conversion"], d["repeat"], d["aov_fen"], d["product_fen"], d["residual_fen"]) == (0.4, 2.5, 7740.0, 38700, 0)
    assert d["member_sales_fen"] + d["non_member_sales_fen"] == d["sales_fen"] == 63700


def test_day_with_no_sales(store):
    """11-21 has no ticket, though UTC 2026-11-21 holds s6 (00:30 local on 11-22)."""
    db, doc, _ = store
    r = reports.daily(db, doc, D2)
    s = r.summary
    assert (s["sales_fen"], s["transactions"], s["aov_fen"], s["items_per_basket"]) == (0, 0, None, None)
    assert (s["member_share_sales"], s["repeat_purchase_rate"], s["conversion_rate"]) == (None, None, None)
    assert s["points_earned"] == 0 and s["points_redeemed"] == 0  # s6's entries belong to 11-22
    assert all(h["tickets"] == 0 and h["sales_fen"] == 0 for h in r.by_hour)
    assert r.cashiers == [] and r.by_day == [{"date": "2026-11-21", "sales_fen": 0, "transactions": 0,
                                              "member_sales_fen": 0, "member_transactions": 0}]
    # churn on 11-21: buyers of 08-23..11-20 = A, O, B (C's sale was cancelled) → base 3;
    # none in 08-24..11-21: O → 1 / 3
    assert (s["churn_base"], s["churned"]) == (3, 1)
    assert s["members_total"] == 4 and s["new_members"] == 0  # E joins on 11-22
    assert r.decomposition["residual_fen"] == 0 and r.decomposition["product_fen"] is None


def test_daily_first_day_and_tiers_as_they_were(store):
    db, doc, _ = store
    r = reports.daily(db, doc, D1)
    s = r.summary
    # s1 + s2 + s3 + s4 − r1 + s5 = 39,000 in 5 − 1 = 4: AOV 9,750; units 1+2+1+1+1−1 = 5
    assert (s["sales_fen"], s["transactions"], s["aov_fen"], s["items"]) == (39000, 4, 9750, 5)
    assert (s["buyers"], s["repeat_buyers"]) == (2, 0)  # A and B once each; C net 0
    assert (s["new_members"], s["new_members_converted"]) == (2, 1)  # B, C; B converted
    # earned 200 + 180 + 100, taken back 100 → issued 380; outstanding 300 + 380 = 680 → 13.60 yuan
    assert (s["points_issued"], s["points_outstanding"], s["points_liability_yuan"]) == (380, 680, "13.60")
    assert (s["churn_base"], s["churned"]) == (2, 0)  # A and O both bought within 08-23..11-20
    # A became VIP only on 11-22: at the end of 11-20 all four members (A, B, C, O) were 'member'
    assert [(t["tier"], t["members"]) for t in r.tiers] == [("member", 4), ("vip", 0), ("svip", 0)]
    assert r.tier_moves == []


def test_traffic_by_hour_across_local_midnight(store):
    """s5 at 23:30 local (15:30 UTC 11-20) is hour 23 of 11-20; s6 at 00:30 local on 11-22
    is 16:30 UTC on 11-21 — hour 0 of 11-22, not part of 11-21."""
    db, doc, _ = store
    d1 = {h["hour"]: h["tickets"] for h in reports.daily(db, doc, D1).by_hour if h["tickets"]}
    d3 = {h["hour"]: h["tickets"] for h in reports.daily(db, doc, D3).by_hour if h["tickets"]}
    assert d1 == {10: 1, 11: 1, 15: 1, 16: 1, 23: 1}
    assert d3 == {0: 1, 10: 1, 15: 1, 17: 1}


def test_drill_down_member_lists(store):
    db, doc, ids = store
    code = lambda rows: sorted(r["id"] for r in rows)  # noqa: E731
    assert code(reports.members_behind(db, doc, D1, D3, "buyers")) == sorted([ids["A"], ids["B"]])
    assert code(reports.members_behind(db, doc, D1, D3, "repeat_buyers")) == [ids["A"]]
    assert code(reports.members_behind(db, doc, D1, D3, "new_members")) == sorted([ids["B"], ids["C"], ids["E"]])
    assert code(reports.members_behind(db, doc, D1, D3, "converted")) == [ids["B"]]
    assert code(reports.members_behind(db, doc, D1, D3, "not_converted")) == sorted([ids["C"], ids["E"]])
    churned = reports.members_behind(db, doc, D1, D3, "churned")
    assert code(churned) == [ids["O"]] and churned[0]["phone_masked"] == "139****0001"
    # the liability's members, most points first: A 200 + 200 − 100 + 96 + 400 − 200 + 147 = 743, B 180, O 100
    # (C's 100 were taken back with s4; E never bought)
    holders = reports.members_behind(db, doc, D1, D3, "points_holders")
    assert [r["id"] for r in holders] == [ids["A"], ids["B"], ids["O"]]
    assert [r["points"] for r in holders] == [743, 180, 100]
    assert code(reports.members_behind(db, doc, D1, D3, "coupon_users")) == [ids["B"]]  # welcome-10 on s3
    sv = reports.members_behind(db, doc, D1, D3, "stored_value_holders")  # A: 500,000 + 10,000 bonus − 4,900
    assert [(r["id"], r["stored_value_fen"]) for r in sv] == [(ids["A"], 505100)]
    assert reports.members_behind(db, doc, D1, D2, "stored_value_holders") == []  # the top-up came on the 22nd
    with pytest.raises(ValueError):
        reports.members_behind(db, doc, D1, D3, "sales_fen")


def test_tables_and_exports(store, tmp_path):
    from openpyxl import load_workbook

    from pos.analytics import export

    db, doc, _ = store
    r = reports.period(db, doc, D1, D3)
    tables = r.tables()
    assert [t.name for t in tables] == ["summary", "by_day", "by_hour", "cashiers", "tiers", "tier_moves", "decomposition"]
    text = export.csv_text(tables)
    assert "summary,,sales_fen,63700" in text and "by_day,2026-11-21,sales_fen,0" in text
    assert "cashiers,C02,refunds_fen,15000" in text
    assert export.csv_text(tables, table="by_day").splitlines()[1] == "2026-11-20,39000,4,19000,2"
    wb = load_workbook(export.save_xlsx(tables, tmp_path / "p.xlsx"))
    ws = wb["summary"]
    assert [c.value for c in ws[2]] == ["sales_fen", 63700, 637.0]
    assert wb["by_day"]["A1"].value == "date" and wb["by_day"]["C2"].value == 390.0  # sales_yuan
    with pytest.raises(ValueError):
        reports.period(db, doc, D3, D1)
