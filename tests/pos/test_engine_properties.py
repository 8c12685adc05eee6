"""Property tests of the loyalty engine on a real SQLite store (DESIGN "Checks
that hold the shape"): random sequences of sales (random items, member or
not, points, gifts, coupons, tenders), returns of random lines of earlier
receipts, top-ups, expiry runs and tier reviews, with the clock moving
forward. After every step:

- the balance cache never drifts from the ledgers (find_drift is empty);
- every member's points balance == Σ remaining lots − Σ unpaid debts, no lot
  or debit is over-allocated, allocations never cross members;
- sale lines add up to the sale, payments to what was due;
- a sale never refunds more than was paid, in total or per tender, no line
  returns more than was sold, no points come back twice;
- a fully returned sale gives back exactly its money and points;
- replaying a committed sale, return, expiry run or tier review changes nothing.
"""
from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from pos.services import checkout, members, returns
from pos.loyalty import coupons, expiry, ledger, tiers
from pos.rules import program
from pos.store import program_store
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.clock import FixedClock
from pos.store.database import open_db
from pos.demo.store import ean13
from pos.errors import DomainError
from pos.store.models import Member, Sale, SaleLine
from pos.rules.program import Expiry

PRODUCTS = [  # (barcode, price fen, points class, member price, no member discount)
    (ean13("690999000001"), 10000, "regular", "", "false"),
    (ean13("690999000002"), 8000, "special", "", "false"),
    (ean13("690999000003"), 3000, "none", "", "false"),
    (ean13("690999000004"), 15000, "regular", "", "true"),
    (ean13("690999000005"), 990, "regular", "", "false"),
    (ean13("690999000006"), 12900, "regular", "11900", "false"),
    (ean13("690999000007"), 33333, "regular", "", "false"),
    (ean13("690999000008"), 99900, "regular", "", "false"),
]
WEIGHT_BASE = ean13("215432100000")  # 29.99 yuan per kg
CATALOG = "barcode,name,category,price_fen,kind,member_price_fen,no_member_discount\n" + "".join(
    f"{code},商品{i},服装,{fen},{cls},{mp},{nmd}\n" for i, (code, fen, cls, mp, nmd) in enumerate(PRODUCTS)
) + f"{WEIGHT_BASE},苹果,生鲜,2999,regular,,false\n"
SCANS = [p[0] for p in PRODUCTS] + [ean13("215432100750"), ean13("215432101234")]  # two weight labels

VANCL = program.preset("vancl")
DOCS = {  # (the rolling model of the plain Vancl preset is covered in test_expiry.py)
    "vancl-perlot": VANCL.model_copy(update={"version": "vancl-perlot", "expiry": Expiry(model="per_lot", months=12)}),
    "hdcrm": program.preset("hdcrm"),  # year-end clearing, window tiers, deduct from the refund
}
PHONES = ["13800138000", "13900139000", "13700137000"]
TENDERS = ["cash", "cash_change", "wechat", "split", "sv", "gift_card"]

sale_op = st.tuples(
    st.just("sale"),
    st.lists(st.tuples(st.integers(0, len(SCANS) - 1), st.integers(1, 3)), min_size=1, max_size=4),
    st.sampled_from([None, 0, 0, 1, 2]),  # member
    st.sampled_from([0, 0, 100, 300, 1500, 150, 10**6]),  # points to redeem (150: not a whole step; 10**6: all there is)
    st.sampled_from([None, None, 0, 1]),  # a gift of the catalog
    st.booleans(),  # use a coupon from the wallet (issued on the spot if the wallet is empty)
    st.sampled_from(TENDERS),
    st.sampled_from(["store", "store", "shipped"]),
)
return_op = st.tuples(
    st.just("return"), st.integers(0, 1000), st.booleans(),
    st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 3)), min_size=1, max_size=3),
)
basket = st.lists(st.tuples(st.integers(0, len(SCANS) - 1), st.integers(1, 3)), min_size=1, max_size=3)
# earn, spend everything, then return the earning sale (all or part): debts, deductions, refunds of used points
churn_op = st.tuples(st.just("churn"), st.integers(0, 2), basket, basket, st.booleans(),
                     st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 3)), min_size=1, max_size=2))
ops = st.lists(st.one_of(
    churn_op,
    sale_op, sale_op, sale_op, sale_op, return_op, return_op, return_op,
    st.tuples(st.just("advance"), st.sampled_from([1, 3, 30, 95, 200, 370])),
    st.tuples(st.just("expire")),
    st.tuples(st.just("review")),
    st.tuples(st.just("topup"), st.integers(0, 2), st.sampled_from([10000, 50000, 100000])),
    st.tuples(st.just("issue"), st.integers(0, 2)),
), min_size=6, max_size=18)


class Store:
    def __init__(self, root: Path, name: str, opening: int):
        self.clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0), tz="Asia/Shanghai")
        self.db = open_db(root / "store.sqlite3", clock=self.clock)
        program_store.install(self.db, DOCS[name])
        self.prog = program_store.active(self.db)
        (root / "catalog.csv").write_text(CATALOG, encoding="utf-8")
        assert import_csv(self.db, root / "catalog.csv").ok
        self.members = [members.register(self.db, p).id for p in PHONES]
        with self.db.transaction() as s:
            now = self.clock.now()
            for mid in self.members if opening else ():
                ledger.credit(s, uuid.UUID(mid), "adjust", opening, now=now, expires_at=expiry.lot_expiry(self.prog, now, self.clock))
        self.receipts: list[str] = []

    # --- steps ------------------------------------------------------------------

    def sale(self, items, who, redeem, gift, coupon, tender, channel):
        co = Checkout(self.db, channel=channel)
        for idx, qty in items:
            code = SCANS[idx]
            co.add(code, qty if code.startswith("69") else 1)
        mid = self.members[who] if who is not None else None
        if mid:
            co.attach_member_id(mid)
            co.redeem(redeem)
            if gift is not None and self.prog.gifts:
                co.add_gift(self.prog.gifts[gift % len(self.prog.gifts)].code)
            if coupon:
                with self.db.read() as s:
                    wallet = coupons.wallet(s, uuid.UUID(mid), self.clock.now())
                if not wallet:
                    self.issue(who)
                    with self.db.read() as s:
                        wallet = coupons.wallet(s, uuid.UUID(mid), self.clock.now())
                co.add_coupon(wallet[0].code)
        q = co.quote()
        due = q.net_fen
        assert due >= 0 and q.points_value_fen >= 0
        tenders = self._tenders(mid, tender, due)
        if tenders and tenders[0].type == "gift_card":
            q = co.quote(tuple(tenders))
        r = co.pay(tenders)
        assert not r.replayed and r.totals["net_fen"] == due
        self.receipts.append(r.receipt_no)
        before = self.counts()
        again = co.pay(tenders)  # the cashier presses Pay twice
        assert again.replayed and again.receipt_no == r.receipt_no and again.totals == r.totals
        assert self.counts() == before
        assert r.points["earned"] == q.points_earned and r.points["redeemed"] == q.points_redeemed

    def _tenders(self, mid, kind, due) -> list[Tender]:
        if due == 0:
            return []
        if kind == "cash_change":
            return [Tender("cash", (due // 10000 + 1) * 10000)]
        if kind == "wechat":
            return [Tender("wechat", due)]
        if kind == "gift_card":
            return [Tender("gift_card", due)]
        if kind == "split" and due > 1:
            return [Tender("alipay", due // 3), Tender("cash", due - due // 3 + 500)]
        if kind == "sv" and mid:
            with self.db.read() as s:
                have = ledger.sv_balance(s, uuid.UUID(mid))
            if have == 0:
                self.topup(self.members.index(mid), 50000)
                with self.db.read() as s:
                    have = ledger.sv_balance(s, uuid.UUID(mid))
            part = min(have, due)
            out = [Tender("stored_value", part)] if part else []
            return out + ([Tender("cash", due - part)] if due - part else [])
        return [Tender("cash", due)]

    def return_(self, sel, full, picks):
        if not self.receipts:
            return
        receipt = self.receipts[sel % len(self.receipts)]
        with self.db.read() as s:
            sale = s.scalar(select(Sale).where(Sale.receipt_no == receipt))
            lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
            left = {}
            for ln in lines:
                back = -(s.scalar(select(func.coalesce(func.sum(SaleLine.qty), 0)).where(SaleLine.returns_line_id == ln.id)))
                left[ln.code] = left.get(ln.code, 0) + ln.qty - back
        if sum(left.values()) == 0:
            with pytest.raises(DomainError) as e:
                returns.return_sale(self.db, receipt)
            assert e.value.code == "return.nothing_left"
            return
        wanted = None
        if not full:
            codes = [c for c, n in left.items() if n > 0]
            wanted = {}
            for line_sel, qty in picks:
                code = codes[line_sel % len(codes)]
                wanted[code] = min(left[code], max(wanted.get(code, 0), qty))
        preview = returns.plan(self.db, receipt, wanted)
        rid = uuid.uuid4()
        # after the tier's return window a manager approves (pos.services.returns)
        r = returns.return_sale(self.db, receipt, wanted, return_id=rid,
                                window_override="M001" if preview.window_closed else None)
        assert r.plan == preview
        assert r.plan.refund_fen >= 0 and r.plan.deduction_fen >= 0 and r.plan.points_refunded >= 0
        assert r.plan.refund_fen + r.plan.deduction_fen == r.plan.spend_back_fen
        before = self.counts()
        again = returns.return_sale(self.db, receipt, wanted, return_id=rid)
        assert again.sale.replayed and again.sale.receipt_no == r.sale.receipt_no
        assert self.counts() == before

    def expire(self):
        day = self.clock.today()
        expiry.run_expiry(self.db, self.prog, day)
        before = self.counts()
        assert expiry.run_expiry(self.db, self.prog, day).as_dict() == {"members": 0, "lots": 0, "points": 0}
        assert self.counts() == before
        cutoff = self.clock.start_of_day(day)
        with self.db.read() as s:
            for mid in self.members:  # nothing past its date is left
                assert not [lot for lot in ledger.open_lots(s, uuid.UUID(mid))
                            if lot.expires_at is not None and lot.expires_at <= cutoff]

    def review(self):
        day = self.clock.today()
        tiers.review_due(self.db, self.prog, day)
        before = self.counts()
        assert tiers.review_due(self.db, self.prog, day) == []
        assert self.counts() == before

    def topup(self, who, amount):
        try:
            checkout.topup(self.db, self.members[who], amount, [Tender("cash", amount)])
        except DomainError as e:
            assert e.code == "topup.max"

    def issue(self, who):
        template = (self.prog.issuance.signup or [self.prog.coupon_templates[0].code])[-1]
        with self.db.transaction() as s:
            coupons.issue(s, self.db, self.prog, template, member_id=uuid.UUID(self.members[who]), source="campaign")

    def run(self, op):
        kind, *args = op
        if kind == "sale":
            self.sale(*args)
        elif kind == "return":
            self.return_(*args)
        elif kind == "advance":
            self.clock.advance(days=args[0])
        elif kind == "expire":
            self.expire()
        elif kind == "review":
            self.review()
        elif kind == "topup":
            self.topup(*args)
        elif kind == "issue":
            self.issue(*args)
        elif kind == "churn":
            who, earn_items, spend_items, full, picks = args
            self.sale(earn_items, who, 0, None, False, "cash", "store")
            first = len(self.receipts) - 1
            self.check()
            self.clock.advance(hours=2)
            self.sale(spend_items, who, 10**6, None, False, "wechat", "store")
            self.check()
            self.clock.advance(days=1)
            self.return_(first, full, picks)

    # --- invariants ------------------------------------------------------------------

    def counts(self):
        with self.db.read() as s:
            return s.execute(text(
                "SELECT (SELECT count(*) FROM sales), (SELECT count(*) FROM sale_lines), (SELECT count(*) FROM payments),"
                " (SELECT count(*) FROM points_entries), (SELECT count(*) FROM points_allocations),"
                " (SELECT count(*) FROM stored_value_entries), (SELECT count(*) FROM coupon_uses),"
                " (SELECT count(*) FROM tier_changes), (SELECT count(*) FROM outbox),"
                " (SELECT coalesce(sum(last_seq), 0) FROM receipt_counters), (SELECT count(*) FROM baskets)")).one()

    def check(self):
        with self.db.read() as s:
            assert ledger.find_drift(s) == []
            q = lambda sql: s.execute(text(sql)).all()  # noqa: E731
            # allocations: never more than a lot holds or a debit owes, never across members
            assert q("SELECT e.id FROM points_entries e JOIN (SELECT lot_id, sum(points) p FROM points_allocations"
                     " GROUP BY lot_id) a ON a.lot_id = e.id WHERE e.points <= 0 OR a.p > e.points") == []
            assert q("SELECT e.id FROM points_entries e JOIN (SELECT debit_id, sum(points) p FROM points_allocations"
                     " GROUP BY debit_id) a ON a.debit_id = e.id WHERE e.points >= 0 OR a.p > -e.points") == []
            assert q("SELECT a.id FROM points_allocations a JOIN points_entries d ON d.id = a.debit_id"
                     " JOIN points_entries l ON l.id = a.lot_id WHERE d.member_id <> l.member_id") == []
            for mid in self.members:
                m = uuid.UUID(mid)
                bal = ledger.points_balance(s, m)
                lots = ledger.open_lots(s, m)
                debts = ledger.open_debts(s, m)
                assert bal == sum(lot.remaining for lot in lots) - sum(d.unpaid for d in debts)
                assert all(lot.remaining > 0 for lot in lots) and all(d.unpaid > 0 for d in debts)
                assert ledger.available_points(s, m, self.clock.now()) <= bal
                assert ledger.sv_balance(s, m) >= 0
                assert s.get(Member, m).tier_code in {lv.code for lv in self.prog.tiers.levels}
            # lines add up to the sale; payments to what was due (refunds: to what was refunded)
            assert q("SELECT s.receipt_no FROM sales s LEFT JOIN (SELECT sale_id, sum(net_fen) n, sum(gross_fen) g"
                     " FROM sale_lines GROUP BY sale_id) l ON l.sale_id = s.id WHERE s.kind IN ('sale', 'return')"
                     " AND (coalesce(l.n, 0) <> s.net_fen OR coalesce(l.g, 0) <> s.gross_fen)") == []
            assert q("SELECT s.receipt_no FROM sales s LEFT JOIN (SELECT sale_id, sum(amount_fen) p FROM payments"
                     " GROUP BY sale_id) p ON p.sale_id = s.id"
                     " WHERE coalesce(p.p, 0) <> s.paid_fen - s.change_fen"
                     " OR (s.kind = 'sale' AND s.paid_fen - s.change_fen <> s.net_fen)") == []
            # per sale: never more refunded than paid (in total and per tender); no line returned twice over
            assert q("SELECT o.receipt_no FROM sales o JOIN sales r ON r.original_sale_id = o.id GROUP BY o.id"
                     " HAVING sum(-r.paid_fen) > o.net_fen OR sum(-r.net_fen) > o.net_fen"
                     " OR sum(-r.points_redeemed) > o.points_redeemed OR sum(-r.points_earned) > o.points_earned"
                     " OR min(-r.paid_fen) < 0") == []
            assert q("SELECT p.sale_id, p.tender FROM payments p JOIN sales o ON o.id = p.sale_id AND o.kind = 'sale'"
                     " GROUP BY p.sale_id, p.tender HAVING sum(p.amount_fen) + coalesce((SELECT sum(x.amount_fen)"
                     " FROM payments x JOIN sales r ON r.id = x.sale_id WHERE r.original_sale_id = p.sale_id"
                     " AND x.tender = p.tender), 0) < 0") == []
            assert q("SELECT x.tender FROM payments x JOIN sales r ON r.id = x.sale_id WHERE r.kind = 'return'"
                     " AND x.tender NOT IN (SELECT p.tender FROM payments p WHERE p.sale_id = r.original_sale_id)") == []
            assert q("SELECT l.id FROM sale_lines l JOIN sale_lines b ON b.returns_line_id = l.id GROUP BY l.id"
                     " HAVING sum(-b.qty) > l.qty OR sum(-b.net_fen) > l.net_fen OR sum(-b.points) > l.points") == []
            # a fully returned sale gives back exactly its money and points, no rounding loss
            full = q("SELECT o.receipt_no, o.net_fen, o.points_earned, o.points_redeemed, sum(-r.net_fen),"
                     " sum(-r.points_earned), sum(-r.points_redeemed) FROM sales o JOIN sales r ON r.original_sale_id = o.id"
                     " WHERE NOT EXISTS (SELECT 1 FROM sale_lines l WHERE l.sale_id = o.id AND l.qty >"
                     " (SELECT coalesce(sum(-b.qty), 0) FROM sale_lines b WHERE b.returns_line_id = l.id))"
                     " GROUP BY o.id")
            for receipt, net, earned, redeemed, back_net, back_earned, back_redeemed in full:
                assert (back_net, back_earned, back_redeemed) == (net, earned, redeemed), receipt


@pytest.mark.parametrize("name", list(DOCS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opening=st.sampled_from([0, 300, 3000]), steps=ops)
def test_random_days_of_trading_keep_the_books(name, opening, steps):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp), name, opening)
        try:
            store.check()
            for op in steps:
                store.run(op)
                store.check()
        finally:
            store.db.close()
