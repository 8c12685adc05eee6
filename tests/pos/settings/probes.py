"""Reusable probes for test_settings_effect.py: each takes a program document and
returns the outcomes a setting can change, as a dict (a row names the key that
must differ between the preset and its variant).

* `priced(...)`: the pure pricing engine (`pos.rules.pricing.price`) on a basket.
* the SQLite probes: the real services on a fresh copy of a prepared store (a
  catalog, no program) with the document installed — checkout, returns, top-up,
  expiry, tier review, member bonuses, points uses, the daily jobs.
* `segmented`: the segments report on a shared read-only store with a known history.
* `forward_offered`: HQ's wallet page (coupon forwarding) on one HQ database.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import json
import shutil
import uuid
from argparse import Namespace
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from pos.clock import FixedClock
from pos.demo.store import ean13
from pos.errors import DomainError
from pos.loyalty import coupons, expiry, ledger, tiers
from pos.rules import program
from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, Tender, price
from pos.store import program_store
from pos.store.database import open_db
from pos.store.models import Coupon, Member, PointsEntry

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)  # pricing probes: 2026-01-01 10:00 in Shanghai
NOW_LOCAL = dt.datetime(2026, 11, 23, 10, 0)  # SQLite probes (tests/conftest.py's clock)
TODAY = NOW_LOCAL.date()

REG = ean13("690123400002")  # 100 yuan regular
SPECIAL = ean13("690123400003")  # 100 yuan special price
CARD, UPCARD = ean13("690777000030"), ean13("690777000031")  # a membership card, an upgrade card (priced by the program)
CATALOG = f"""barcode,name,category,price_fen,kind,member_price_fen,no_member_discount
{REG},T恤,服装,10000,regular,,false
{SPECIAL},特价T恤,服装,10000,special,,false
{CARD},会员卡,卡,1,none,,false
{UPCARD},VIP升级卡,卡,1,none,,false
"""
_phones = itertools.count(13900000000)


def refused(fn: Callable[[], Any]) -> Any:
    """What a call gives, or the code of the DomainError it raises."""
    try:
        return fn()
    except DomainError as exc:
        return f"refused:{exc.code}"


# --- pricing -------------------------------------------------------------------------


def item(code: str = "A", unit: int = 15000, qty: int = 1, category: str = "服装", **kw) -> Item:
    return Item(code, f"商品{code}", category, qty, unit, **kw)


def member(tier: str = "member", points: int = 0, birthday: dt.date | None = None, home: str | None = None) -> MemberCtx:
    """`home`: the merchant where the member joined the alliance (issue 17)."""
    return MemberCtx("m1", tier, points, birthday, home_merchant=home)


def coupon(template: str = "t-cpn", code: str = "C-1", member_id: str | None = "m1", **kw) -> CouponCtx:
    return CouponCtx(code, template, dt.datetime(2025, 12, 1, tzinfo=UTC), dt.datetime(2026, 2, 1, tzinfo=UTC),
                     member_id=member_id, **kw)


def quote_outcome(q) -> dict[str, Any]:
    return {
        "net": q.net_fen,
        "discounts": sorted((d.kind, d.code, d.amount_fen) for ln in q.lines for d in ln.discounts),
        "points": q.points_earned,
        "redeemed": (q.points_redeemed, q.points_value_fen),
        "refusals": sorted(r.code for r in q.refusals),
        "lines": [(ln.item.code, ln.item.reward, ln.item.name) for ln in q.lines],
        "names": sorted((k, v) for k, v in q.names.items()),
        "version": q.program_version,
    }


def priced(*items: Item, **kw) -> Callable[[program.ProgramDoc], dict[str, Any]]:
    """A probe pricing this basket (PriceRequest fields as keywords; `now` defaults to NOW)."""
    kw.setdefault("now", NOW)
    req = PriceRequest(items=tuple(items) or (item(),), **kw)

    def probe(doc: program.ProgramDoc) -> dict[str, Any]:
        return quote_outcome(price(req, doc))

    probe.__name__ = "priced"
    return probe


# --- SQLite --------------------------------------------------------------------------


class Stores:
    """A prepared store (catalog imported, no program) copied afresh for every probe call."""

    def __init__(self, root: Path):
        from pos.services.catalog import import_csv

        self.root = root
        self.template = root / "template.sqlite3"
        db = open_db(self.template, clock=FixedClock(NOW_LOCAL, tz="Asia/Shanghai"))
        try:
            path = root / "catalog.csv"
            path.write_text(CATALOG, encoding="utf-8")
            report = import_csv(db, path)
            assert report.ok, report.errors
        finally:
            db.close()
        self._n = itertools.count(1)

    @contextlib.contextmanager
    def fresh(self, doc: program.ProgramDoc):
        path = self.root / f"probe-{next(self._n)}.sqlite3"
        shutil.copyfile(self.template, path)
        db = open_db(path, clock=FixedClock(NOW_LOCAL, tz="Asia/Shanghai"))
        try:
            program_store.install(db, doc)
            yield db
        finally:
            db.close()
            for p in path.parent.glob(path.name + "*"):
                p.unlink(missing_ok=True)


STORES: Stores | None = None  # set by the test module's fixture


def on_store(fn: Callable[..., dict[str, Any]]) -> Callable[[program.ProgramDoc], dict[str, Any]]:
    """A probe running `fn(db, doc)` on a fresh store with `doc` installed."""

    def probe(doc: program.ProgramDoc) -> dict[str, Any]:
        assert STORES is not None
        with STORES.fresh(doc) as db:
            return fn(db, doc)

    probe.__name__ = fn.__name__
    return probe


def join(db, **profile) -> uuid.UUID:
    from pos.services import members

    return uuid.UUID(members.register(db, str(next(_phones)), **profile).id)


def give(db, mid: uuid.UUID, points: int) -> None:
    with db.transaction() as s:
        ledger.credit(s, mid, "adjust", points, now=db.clock.now(), expires_at=None)


def set_tier(db, doc, mid: uuid.UUID, tier: str, reason: str = "manual") -> None:
    with db.transaction() as s:
        tiers.change_tier(s, db, s.get(Member, mid), tier, reason, 0, doc.tiers, db.clock.now())


def sell(db, mid: uuid.UUID | None, qty: int = 1, code: str = REG, channel: str = "store", redeem: int = 0):
    from pos.services.checkout import Checkout
    from pos.services.checkout import Tender as Pay

    co = Checkout(db, channel=channel)
    co.add(code, qty)
    if mid is not None:
        co.attach_member_id(str(mid))
    if redeem:
        co.redeem(redeem)
    return co.pay([Pay("cash", co.quote().net_fen)])


def balance(db, mid: uuid.UUID) -> int:
    with db.read() as s:
        return ledger.points_balance(s, mid)


def tier_of(db, mid: uuid.UUID) -> tuple[str, Any]:
    with db.read() as s:
        m = s.get(Member, mid)
        return m.tier_code, m.tier_expires


def coupon_templates(db, mid: uuid.UUID) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(Coupon.template).where(Coupon.member_id == mid)))


def earn_entry(db, mid: uuid.UUID) -> PointsEntry:
    with db.read() as s:
        return s.scalar(select(PointsEntry).where(PointsEntry.member_id == mid, PointsEntry.kind == "earn"))


# sales and their points ------------------------------------------------------------------

def sale_probe(qty: int = 1, code: str = REG, channel: str = "store", tier: str | None = None):
    """A member buys `qty` × `code`: points earned, when they are spendable and expire, the tier after, bonuses."""

    def sale(db, doc):
        mid = join(db)
        if tier:
            set_tier(db, doc, mid, tier)
        r = sell(db, mid, qty, code, channel)
        e = earn_entry(db, mid)
        return {"earned": r.points["earned"], "bonuses": r.points["bonuses"], "tier": tier_of(db, mid)[0],
                "available_at": e.available_at if e else None, "expires_at": e.expires_at if e else None}

    return on_store(sale)


def basket_probe(*codes: str):
    """A new member buys these lines (one scan each, in order): points, the sale's net, the tier after."""

    def basket(db, doc):
        from pos.services.checkout import Checkout
        from pos.services.checkout import Tender as Pay

        mid = join(db)
        co = Checkout(db)
        co.attach_member_id(str(mid))
        for code in codes:
            co.add(code)
        r = co.pay([Pay("cash", co.quote().net_fen)])
        return {"earned": r.points["earned"], "net": r.totals["net_fen"], "tier": tier_of(db, mid)[0]}

    return on_store(basket)


def window_sales(db, doc):
    """Window qualification: 4 × 100 yuan two months ago, 2 × 100 yuan today: the tier after."""
    mid = join(db)
    db.clock.set(NOW_LOCAL - dt.timedelta(days=60))
    sell(db, mid, 4)
    db.clock.set(NOW_LOCAL)
    sell(db, mid, 2)
    return {"tier": tier_of(db, mid)[0]}


def validity(db, doc):
    """An upgrade's validity: the tier's expiry date."""
    mid = join(db)
    set_tier(db, doc, mid, doc.tiers.levels[1].code)
    return {"expires": tier_of(db, mid)[1]}


def recheck(db, doc):
    """Window mode: a vip last rechecked 40 days ago, no spend; today's review."""
    mid = join(db)
    db.clock.set(NOW_LOCAL - dt.timedelta(days=40))
    set_tier(db, doc, mid, "vip", reason="window_recheck")
    db.clock.set(NOW_LOCAL)
    tiers.review_due(db, doc, TODAY)
    return {"tier": tier_of(db, mid)[0]}


def reviewed(db, doc):
    """Cumulative mode: a vip whose validity ended yesterday, no spend; today's review."""
    mid = join(db)
    set_tier(db, doc, mid, "vip")
    with db.transaction() as s:
        s.get(Member, mid).tier_expires = TODAY - dt.timedelta(days=1)
    tiers.review_due(db, doc, TODAY)
    return {"tier": tier_of(db, mid)[0]}


def returned_late(db, doc):
    """A member's sale returned 10 days later."""
    from pos.services import returns

    mid = join(db)
    receipt = sell(db, mid).receipt_no
    db.clock.set(NOW_LOCAL + dt.timedelta(days=10))
    return {"return": refused(lambda: returns.return_sale(db, receipt).plan.refund_fen)}


def returned_after_spending(db, doc):
    """A member spends the points a sale earned, then returns the sale: refund and balance."""
    from pos.services import returns

    mid = join(db)
    receipt = sell(db, mid).receipt_no
    with db.transaction() as s:
        ledger.debit(s, mid, "adjust", ledger.points_balance(s, mid), now=db.clock.now())
    r = returns.return_sale(db, receipt)
    return {"refund": (r.plan.refund_fen, r.plan.deduction_fen, balance(db, mid))}


def partial_return_refund(db, doc):
    """Points used on a 2-line sale, one line returned: the expiry of the points given back."""
    from pos.services import returns

    mid = join(db)
    give(db, mid, 1000)
    receipt = sell(db, mid, 2, redeem=100).receipt_no
    returns.return_sale(db, receipt, {REG: 1})
    with db.read() as s:
        e = s.scalar(select(PointsEntry).where(PointsEntry.member_id == mid, PointsEntry.kind == "refund"))
    return {"refund_expires": e.expires_at if e else None}


def expired_after_a_year(db, doc):
    """Rolling: points of a sale 13 months ago with no purchase since; today's expiry job."""
    mid = join(db)
    db.clock.set(NOW_LOCAL - dt.timedelta(days=396))
    sell(db, mid)
    db.clock.set(NOW_LOCAL)
    return {"expired": expiry.run_expiry(db, doc, TODAY).points}


def warned(db, doc):
    """Points earned today, looked at 320 days later: the expiry warning."""
    mid = join(db)
    sell(db, mid)
    db.clock.set(NOW_LOCAL + dt.timedelta(days=320))
    with db.read() as s:
        soon = expiry.expiring_soon(s, mid, doc, db.clock, db.clock.now())
    return {"warning": (soon.points, soon.on) if soon else None}


# member bonuses and points uses ------------------------------------------------------------

def joined(db, doc):
    """A customer joins (`member add`, the quick join): sign-up points and coupons."""
    from pos.services import member_bonuses, members

    m = members.register(db, str(next(_phones)), on_created=lambda s, m: member_bonuses.joined(s, db, doc, m))
    mid = uuid.UUID(m.id)
    return {"points": balance(db, mid), "coupons": coupon_templates(db, mid)}


def profile_named(db, doc):
    """A member fills in the name only: the profile-completion bonus."""
    from pos.services import member_bonuses

    mid = join(db)
    _, award = member_bonuses.update_profile(db, doc, str(mid), name="王小明")
    return {"points": award.points if award else 0}


def profile_full(db, doc):
    """A member fills in name, gender, birthday and region: the profile-completion bonus."""
    from pos.services import member_bonuses

    mid = join(db)
    _, award = member_bonuses.update_profile(db, doc, str(mid), name="王小明", gender="F",
                                             birthday=dt.date(1990, 3, 4), region="上海")
    return {"points": award.points if award else 0}


def referred(db, doc):
    """A referred member's first purchase: what the referrer gets."""
    from pos.services import members

    ref = join(db)
    new = uuid.UUID(members.register(db, str(next(_phones)), referrer_id=str(ref)).id)
    sell(db, new)
    return {"points": balance(db, ref), "coupons": coupon_templates(db, ref)}


def checked_in(db, doc):
    from pos.services import member_bonuses

    return {"points": member_bonuses.checkin(db, doc, str(join(db))).points}


def reviewed_sale(db, doc):
    from pos.services import member_bonuses

    mid = join(db)
    receipt = sell(db, mid).receipt_no
    award = member_bonuses.add_note(db, doc, str(mid), "很好", kind="review", receipt_no=receipt)
    return {"points": award.points if award else 0}


def converted(db, doc):
    """1,000 points, 200 of them to stored value."""
    from pos.services import points_uses

    mid = join(db)
    give(db, mid, 1000)
    return {"convert": refused(lambda: points_uses.convert_to_stored_value(db, str(mid), 200, program=doc).stored_value_fen)}


def exchanged(db, doc):
    """1,000 points, a coupon of `pts-5` for points."""
    from pos.services import points_uses

    mid = join(db)
    give(db, mid, 1000)
    got = refused(lambda: points_uses.exchange_coupon(db, str(mid), "pts-5", program=doc).points_balance)
    return {"balance": got}


def offline_cap(db, doc):
    from pos.services import spending

    mid = join(db)
    give(db, mid, 5000)
    return {"limit": spending.offline_limit(db, mid, doc)[0]}


def lottery_draw(db, doc):
    from pos.services import lottery

    mid = join(db)
    give(db, mid, 1000)
    d = lottery.draw(db, str(mid), program=doc)
    return {"prize": d.prize, "names": (d.name_zh, d.name_en), "award": (d.points, d.coupon_template, d.gift),
            "balance": d.points_balance, "cost": d.cost}


def campaign_drawn(db, doc):
    from pos.services import lottery

    mid = join(db)
    sell(db, mid)
    return {"draw": refused(lambda: len(lottery.campaign_draw(db, "t-camp", 1, points=10, program=doc).winners))}


def topped_up(amount: int):
    def topup(db, doc):
        from pos.services.checkout import Tender as Pay
        from pos.services.checkout import topup as top

        mid = join(db)
        got = refused(lambda: top(db, str(mid), amount, [Pay("cash", amount)], program=doc).sale_id)
        with db.read() as s:
            sv = ledger.sv_balance(s, mid)
        return {"topup": "refused" if str(got).startswith("refused") else "ok", "refusal": got if str(got).startswith("refused") else None,
                "sv": sv, "tier": tier_of(db, mid)[0]}

    return on_store(topup)


def issued_coupon(db, doc):
    """A coupon of `t-cpn` issued today: its last day."""
    mid = join(db)
    with db.transaction() as s:
        c = coupons.issue(s, db, doc, "t-cpn", member_id=mid, source="test")
        return {"valid_to": c.valid_to}


def picked_up(db, doc):
    """A member collects a parcel at this store (pos.services.parcels.pickup): the coupons they hold after."""
    from pos.services import parcels
    from pos.store.o2o_models import Parcel

    mid = join(db)
    now = db.clock.now()
    with db.transaction() as s:
        s.add(Parcel(id=uuid.uuid4(), online_order_id=uuid.uuid4(), order_ref="T-1", store_code=db.store_code,
                     label="PCL0000000001", pickup_code="PU00000001", member_id=mid, status="arrived",
                     created_at=now, arrived_at=now, updated_at=now))
    parcels.pickup(db, code="PU00000001")
    return {"coupons": coupon_templates(db, mid)}


def won_back(db, doc):
    from pos.analytics import segments

    mid = join(db)
    segments.issue_win_back(db, doc, [str(mid)])
    return {"coupons": coupon_templates(db, mid)}


def birthday_gifts(tier: str):
    def birthday(db, doc):
        from pos.services import birthday as bday

        mid = join(db, birthday=dt.date(1990, TODAY.month, 5))
        if tier != doc.tiers.levels[0].code:
            set_tier(db, doc, mid, tier)
        bday.run(db, doc, TODAY)
        return {"coupons": coupon_templates(db, mid)}

    return on_store(birthday)


# --- pure helpers the services call --------------------------------------------------------

def tier_shown(code: str, spend_fen: int = 0):
    """What the member panel shows of a tier (pos.services.member_view.tier_progress)."""
    from pos.services.member_view import tier_progress

    def probe(doc):
        t = tier_progress(doc, code, spend_fen, None)
        return {"priority_service": t.priority_service, "names": (t.name_zh, t.name_en)}

    return probe


def churn_window(doc):
    """The churn report's window (pos.analytics.reports.churn_days: the win-back's after_days)."""
    from pos.analytics import reports

    return {"days": reports.churn_days(doc)}


def checked(doc):
    """`program check FILE`: what the command says of the document."""
    from pos.cli.main import cmd_program_check

    assert STORES is not None
    path = STORES.root / f"check-{next(STORES._n)}.json"
    path.write_text(json.dumps(program.to_json(doc), ensure_ascii=False), encoding="utf-8")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cmd_program_check(Namespace(file=str(path), json=False))
    return {"text": buf.getvalue()}


# --- segments ----------------------------------------------------------------------------------

SEG_AS_OF = TODAY
SEG_PLAN = {  # frequency, net fen, days before SEG_AS_OF of the last ticket (tests/pos/test_segments_buyers.py)
    "b1": (1, 1000, 400), "b2": (1, 1000, 400), "b3": (1, 2000, 200), "b4": (1, 2000, 30), "b5": (2, 3000, 30),
    "b6": (1, 5000, 10), "b7": (3, 5000, 10), "b8": (4, 9000, 5), "b9": (6, 20000, 0), "b10": (6, 20000, 0),
}


def segment_store(root: Path):
    """A store with the hand-worked history of test_segments_buyers.py (read only by the probes)."""
    from pos.store.models import Sale, SaleLine

    clock = FixedClock(dt.datetime(2025, 1, 1, 9, 0), tz="Asia/Shanghai")
    db = open_db(root / "segments.sqlite3", clock=clock)
    program_store.install(db, program.preset("vancl"))
    seq = itertools.count(1)
    ids = {name: join(db) for name in SEG_PLAN}
    with db.transaction() as s:
        for name, (f, money, days) in SEG_PLAN.items():
            last = SEG_AS_OF - dt.timedelta(days=days)
            for i in range(f):
                day = last - dt.timedelta(days=i)
                net = money // f + (money % f if i == 0 else 0)
                sale = Sale(id=uuid.uuid4(), receipt_no=f"B-{next(seq):07d}", kind="sale", store_code="S001",
                            register_no="01", business_date=day, created_at=clock.start_of_day(day) + dt.timedelta(hours=12),
                            member_id=ids[name], gross_fen=net, net_fen=net, paid_fen=net, spend_fen=net, units=1)
                s.add(sale)
                s.add(SaleLine(id=uuid.uuid4(), sale_id=sale.id, line_no=1, code="X", name="x", category="c",
                               points_class="regular", qty=1, unit_fen=net, gross_fen=net, net_fen=net))
    clock.set(NOW_LOCAL)
    return db


SEG_DB = None  # set by the test module's fixture


def segmented(doc):
    """The segments report by the program's setting: each member's scores and class, the pyramid."""
    from pos.analytics import segments

    rows = segments.members(SEG_DB, SEG_AS_OF, limit=100, program=doc)
    seg = segments.segmentation(SEG_DB, SEG_AS_OF, program=doc)
    return {"members": sorted((m["member_code"], m.get("r"), m.get("f"), m.get("m"), m.get("abc")) for m in rows),
            "abc": [(a["class"], a["members"]) for a in seg.abc]}


# --- HQ (the member pages) ---------------------------------------------------------------------

_HQ: dict[str, Any] = {}


def _hq():
    """One HQ database (SQLite, migrated once) for the probes that run at HQ."""
    if "db" not in _HQ:
        import atexit
        import tempfile

        from sync.server.db import HQDatabase

        root = Path(tempfile.mkdtemp(prefix="hq-probe-"))
        _HQ["root"], _HQ["db"] = root, HQDatabase(f"sqlite:///{root / 'hq.sqlite3'}")
        atexit.register(lambda: (_HQ["db"].close(), shutil.rmtree(root, ignore_errors=True)))
    return _HQ["db"]


def forward_offered(doc):
    """HQ publishes `doc`; a member holding a `pts-5` coupon: which coupons the wallet may forward."""
    from sync.server import admin, forwarding, member_self
    from sync.server.models import Coupon as HQCoupon

    hq = _hq()
    d = program.to_json(doc)
    d["version"] = f"probe-{uuid.uuid4().hex[:10]}"
    path = _HQ["root"] / f"{d['version']}.json"
    path.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    admin.program_publish(hq, str(path))
    mid = uuid.UUID(member_self.join(hq, "+8613" + f"{uuid.uuid4().int % 10 ** 9:09d}", store=None, marketing=False)["id"])
    now = dt.datetime.now(dt.timezone.utc)
    with hq.transaction() as s:
        s.add(HQCoupon(id=uuid.uuid4(), code=coupons.new_code(), template="pts-5", member_id=mid, valid_from=now,
                       valid_to=now + dt.timedelta(days=30), source="exchange", issued_at=now, issued_store="HQ"))
    return {"forwardable": sorted(c["template"] for c in forwarding.forwardable(hq, mid))}


# --- the alliance's shopping coins at this merchant (issue 17) ------------------------------------

def _coins_earned(db, doc):
    """A member's sale at a store of an alliance (its rules installed): the coins it earns at this
    merchant's rate."""
    from pos.rules.program import alliance_json, parse_alliance
    from pos.store.coin_models import AllianceProgram

    rules = parse_alliance({"version": "probe-alliance", "name": {"zh": "联盟", "en": "Alliance"}})
    with db.transaction() as s:
        if s.get(AllianceProgram, rules.version) is None:
            s.add(AllianceProgram(version=rules.version, document=alliance_json(rules), installed_at=db.clock.now(),
                                  active=True))
    r = sell(db, join(db), 2)
    return {"coins": (r.coins or {}).get("earned", 0)}


coins_earned = on_store(_coins_earned)
