"""Offers for the alliance's members (issue 17 item 4): a promotion's or coupon template's
`audience` — everyone (as before), `alliance` (any member of the alliance card at an alliance
merchant's till), `alliance_guests` (members who joined at another merchant: cross-merchant
recruitment), `own_members` (members who joined here).

A real SQLite store of the bakery's till (pos.store.database.open_db): the till's merchant is
the setting `pos.services.coin_sales.MERCHANT_KEY` and each member's home merchant the column
`members.home_merchant`, both set directly as HQ's pull would set them. Amounts in fen.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from devices.receipt import layout, receipt_from_sale, render_text
from pos.errors import DomainError
from pos.loyalty import coupons
from pos.rules import program
from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, audience_ok, price
from pos.services import members, returns, sale_event
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender, quote_dict
from pos.services.coin_sales import MERCHANT_KEY, alliance_merchant
from pos.store import program_store
from pos.store.coin_models import AllianceProgram
from pos.store.models import Member, OutboxEvent, Setting

ROOT = Path(__file__).resolve().parents[2]
BREAD, CROISSANT = "6901234500011", "6901234500028"  # 25.00 and 12.00 yuan, regular points class
CATALOG = f"""barcode,name,category,price_fen,kind,member_price_fen,no_member_discount
{BREAD},全麦面包,烘焙,2500,regular,,false
{CROISSANT},牛角包,烘焙,1200,regular,,false
"""
RAW = json.loads((program.PRESETS / "vancl.json").read_text(encoding="utf-8"))
# the recruitment offer: the bakery gives 20% off (满0打8折) to the alliance's members of the other merchants
OFFER = {"code": "guest-20", "name": {"zh": "联盟新客八折", "en": "Alliance guests 20% off"},
         "kind": "full_discount", "pay_pct": "80", "audience": "alliance_guests"}
COUPON = {"code": "guest-5", "name": {"zh": "联盟新客5元券", "en": "Alliance guest 5 yuan"}, "kind": "voucher",
          "value_fen": 500, "audience": "alliance_guests"}


def doc_with(audience: str | None = "alliance_guests", coupon_audience: str = "everyone") -> program.ProgramDoc:
    """Vancl's program with the offer for `audience` (None: no offer) and the coupon template for `coupon_audience`."""
    data = copy.deepcopy(RAW)
    data["version"] = f"bakery-{audience or 'none'}-{coupon_audience}"
    if audience is not None:
        data["promotions"].append(OFFER | {"audience": audience})
    data["coupon_templates"].append(COUPON | {"audience": coupon_audience})
    return program.parse(data)


def till(db, doc: program.ProgramDoc, merchant: str | None = "bakery"):
    """The bakery's till: its catalog, its program and (unless None) its merchant setting."""
    path = db.path.with_name("catalog.csv")
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    program_store.install(db, doc)
    if merchant is not None:
        with db.transaction() as s:
            s.merge(Setting(key=MERCHANT_KEY, value=merchant))


def alliance_rules(db) -> None:
    """The alliance's rules as HQ's pull installs them (pos.services.sync_apply)."""
    rules = program.parse_alliance({"version": "east-2026", "name": {"zh": "城东联盟", "en": "East Side Alliance"}})
    with db.transaction() as s:
        s.add(AllianceProgram(version=rules.version, document=program.alliance_json(rules),
                              installed_at=db.clock.now(), active=True))


def member(db, phone: str, home: str | None) -> str:
    """A member on this till whose home merchant is `home` (as HQ's member rows carry it)."""
    mid = members.register(db, phone).id
    with db.transaction() as s:
        s.get(Member, uuid.UUID(mid)).home_merchant = home
    return mid


def basket(db, member_id: str | None, coupon: str | None = None) -> Checkout:
    co = Checkout(db)
    co.add(BREAD, 2)
    co.add(CROISSANT, 1)
    if member_id:
        co.attach_member_id(member_id)
    if coupon:
        co.add_coupon(coupon)
    return co


def offer_off(q) -> list[int]:
    """What the audience promotion took off each basket line."""
    return [sum(d.amount_fen for d in ln.discounts if d.code == "guest-20") for ln in q.lines]


GROSS = 2 * 2500 + 1200  # 62.00 yuan
OFF = [1000, 240]  # 20% of each line: 10.00 of the breads, 2.40 of the croissant
NET = GROSS - sum(OFF)  # 49.60


@pytest.fixture
def people(db):
    """The bakery's till with the recruitment offer; a supermarket member, a bakery member."""
    till(db, doc_with("alliance_guests"))
    return {"market": member(db, "13900001111", "market"), "bakery": member(db, "13900002222", "bakery")}


# --- alliance_guests: the cross-merchant recruitment offer ----------------------------------------------


def test_a_supermarket_member_gets_the_bakerys_recruitment_offer_named_like_any_promotion(db, people):
    q = basket(db, people["market"]).quote()
    assert q.gross_fen == GROSS and offer_off(q) == OFF and q.net_fen == NET
    assert q.promotions == ["guest-20"]
    assert q.name("guest-20") == "联盟新客八折" and q.name("guest-20", "en") == "Alliance guests 20% off"
    d = quote_dict(q, "zh_CN")
    assert {"kind": "promotion", "code": "guest-20", "name": "联盟新客八折", "amount_fen": 1240} in d["offers"]
    assert d["lines"][0]["discounts"] == [{"kind": "promotion", "code": "guest-20", "amount_fen": 1000,
                                           "name": "联盟新客八折", "name_en": "Alliance guests 20% off"}]
    assert q.points_earned == 99  # 2 points a yuan on what was paid: 49.60 × 2 = 99.2, rounded down
    assert q.member_saved_fen == 1240


def test_the_bakerys_own_member_and_an_anonymous_sale_do_not_get_it(db, people):
    for who in (people["bakery"], None):
        q = basket(db, who).quote()
        assert q.net_fen == GROSS and offer_off(q) == [0, 0] and q.promotions == []
        assert q.refusals == []  # like a members-only promotion: simply not theirs, nothing to explain


def test_a_member_whose_home_merchant_is_not_known_is_neither_a_guest_nor_own(db, people):
    unknown = member(db, "13900003333", None)
    assert basket(db, unknown).quote().net_fen == GROSS
    program_store.install(db, doc_with("own_members"))
    assert basket(db, unknown).quote().net_fen == GROSS


# --- own_members: the reverse; alliance: every member --------------------------------------------------


def test_own_members_is_the_reverse(db, people):
    program_store.install(db, doc_with("own_members"))
    q = basket(db, people["bakery"]).quote()
    assert offer_off(q) == OFF and q.net_fen == NET and q.promotions == ["guest-20"]
    assert basket(db, people["market"]).quote().net_fen == GROSS
    assert basket(db, None).quote().net_fen == GROSS


def test_alliance_is_every_member_of_the_card_but_not_an_anonymous_sale(db, people):
    program_store.install(db, doc_with("alliance"))
    unknown = member(db, "13900004444", None)
    for who in (people["market"], people["bakery"], unknown):
        q = basket(db, who).quote()
        assert offer_off(q) == OFF and q.net_fen == NET
    assert basket(db, None).quote().net_fen == GROSS


def test_everyone_is_todays_behaviour(db, people):
    program_store.install(db, doc_with("everyone"))
    for who in (people["market"], people["bakery"], None):
        assert basket(db, who).quote().net_fen == NET


def test_a_member_who_joins_at_the_bakerys_till_is_its_own_member_from_the_first_sale(db, people):
    mid = members.register(db, "13900005555").id
    with db.read() as s:
        assert s.get(Member, uuid.UUID(mid)).home_merchant == "bakery"  # what HQ will say of a join at BAK1
    program_store.install(db, doc_with("own_members"))
    assert basket(db, mid).quote().net_fen == NET


# --- a till of no alliance merchant: the alliance audiences never apply ------------------------------------


@pytest.mark.parametrize("audience", ["alliance", "alliance_guests", "own_members"])
def test_on_a_till_without_a_merchant_no_alliance_audience_applies(db, audience):
    till(db, doc_with(audience), merchant=None)
    with db.read() as s:
        assert alliance_merchant(s) == ""
    for n, home in enumerate(("market", "bakery", None)):
        mid = member(db, f"1390000800{n}", home)
        assert basket(db, mid).quote().net_fen == GROSS
    assert basket(db, None).quote().net_fen == GROSS


def test_a_chain_alones_enrolled_till_is_main_without_alliance_rules_and_stays_inert(db):
    # every enrolled till of a one-merchant HQ gets the setting `main` from its program rows
    till(db, doc_with("alliance"), merchant="main")
    mid = member(db, "13900006666", None)
    with db.read() as s:
        assert alliance_merchant(s) == ""
    assert basket(db, mid).quote().net_fen == GROSS
    alliance_rules(db)  # the alliance's rules reach the till: `main` is a merchant of an alliance
    with db.read() as s:
        assert alliance_merchant(s) == "main"
    assert basket(db, mid).quote().net_fen == NET


def test_the_engine_reads_only_plain_inputs():
    # pure: the till's merchant and the member's home merchant are values of the request
    doc = doc_with("alliance_guests")
    items = (Item(BREAD, "全麦面包", "烘焙", 2, 2500), Item(CROISSANT, "牛角包", "烘焙", 1, 1200))
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    guest = MemberCtx("m1", "member", home_merchant="market")
    assert price(PriceRequest(items, guest, merchant="bakery", now=now), doc).net_fen == NET
    assert price(PriceRequest(items, guest, merchant="", now=now), doc).net_fen == GROSS
    assert price(PriceRequest(items, guest, merchant="market", now=now), doc).net_fen == GROSS
    table = {(a, h, m): audience_ok(a, None if h == "-" else MemberCtx("m", "member", home_merchant=h), m)
             for a in ("everyone", "alliance", "alliance_guests", "own_members")
             for h in ("-", "bakery", "market") for m in ("", "bakery")}
    assert [k for k, v in table.items() if v] == [
        ("everyone", "-", ""), ("everyone", "-", "bakery"), ("everyone", "bakery", ""), ("everyone", "bakery", "bakery"),
        ("everyone", "market", ""), ("everyone", "market", "bakery"),
        ("alliance", "bakery", "bakery"), ("alliance", "market", "bakery"),
        ("alliance_guests", "market", "bakery"), ("own_members", "bakery", "bakery")]


# --- the sale, its return, HQ's re-pricing, the receipt ----------------------------------------------------


def test_a_return_of_a_sale_with_the_offer_refunds_what_was_paid(db, people):
    co = basket(db, people["market"])
    sale = co.pay([Tender("cash", NET)])
    assert sale.totals["net_fen"] == NET and sale.points["earned"] == 99
    first = returns.return_sale(db, sale.receipt_no, {CROISSANT: 1})
    assert first.plan.refund_fen == 1200 - 240  # the croissant's net: 9.60
    rest = returns.return_sale(db, sale.receipt_no)
    assert rest.plan.refund_fen == 5000 - 1000  # the two breads' net: 40.00
    assert first.plan.refund_fen + rest.plan.refund_fen == NET  # never more than was paid


def test_hq_reprices_the_sale_from_the_merchant_and_home_merchant_the_event_carries(db, people):
    sale = basket(db, people["market"]).pay([Tender("cash", NET)])
    with db.read() as s:
        payload = next(e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.committed")))
    pricing = payload["sale"]["pricing"]
    assert pricing["merchant"] == "bakery" and pricing["member"]["home_merchant"] == "market"
    doc = doc_with("alliance_guests")
    assert sale_event.reprice(payload["sale"], doc).equal
    assert sale_event.request_dict(sale_event.request_from(pricing)) == pricing  # read back as written
    alone = copy.deepcopy(payload["sale"])
    del alone["pricing"]["merchant"]  # without the merchant the offer would not apply: HQ would see a difference
    assert not sale_event.reprice(alone, doc).equal


def test_the_receipt_names_the_offer(db, people):
    sale = basket(db, people["market"]).pay([Tender("cash", NET)])
    text = render_text(layout(receipt_from_sale(sale.as_dict(), store_name="麦香面包 东门", lang="zh_CN"), 32), 32)
    assert "联盟新客八折" in text and "guest-20" not in text
    en = render_text(layout(receipt_from_sale(sale.as_dict(), store_name="", lang="en"), 48), 48)
    assert "Alliance guests 20% off" in en and "guest-20" not in en


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120)


def test_checkout_quote_json_shows_the_offer(db, people, tmp_path):
    path = tmp_path / "store.sqlite3"
    db.close()  # the CLI opens the same store file
    body = {"member": "13900001111", "lines": [{"code": BREAD, "qty": 2}, {"code": CROISSANT, "qty": 1}]}
    p = _cli("checkout", "--quote", "--json", "--db", str(path), stdin=json.dumps(body))
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["totals"]["net_fen"] == NET and got["promotions"] == ["guest-20"]
    assert {"kind": "promotion", "code": "guest-20", "name": "Alliance guests 20% off", "amount_fen": 1240} in got["offers"]
    assert [d["amount_fen"] for ln in got["lines"] for d in ln["discounts"] if d["code"] == "guest-20"] == OFF
    body["member"] = "13900002222"  # the bakery's own member
    got = json.loads(_cli("checkout", "--quote", "--json", "--db", str(path), stdin=json.dumps(body)).stdout)
    assert got["totals"]["net_fen"] == GROSS and got["promotions"] == [] and got["offers"] == []


# --- coupon templates: merchant A's coupon offered to merchant B's members ---------------------------------


def _coupon_for(db, doc, member_id: str) -> str:
    with db.transaction() as s:
        return coupons.issue(s, db, doc, "guest-5", member_id=uuid.UUID(member_id), source="test").code


@pytest.mark.parametrize(("audience", "takes", "refusal"), [
    ("alliance_guests", "market", "refusal.coupon_alliance_guests"),
    ("own_members", "bakery", "refusal.coupon_own_members"),
])
def test_a_coupon_templates_audience(db, people, audience, takes, refusal):
    doc = doc_with(None, coupon_audience=audience)
    program_store.install(db, doc)
    for who, mid in people.items():
        q = basket(db, mid, _coupon_for(db, doc, mid)).quote()
        coupon_off = sum(d.amount_fen for ln in q.lines for d in ln.discounts if d.kind == "coupon")
        if who == takes:
            assert coupon_off == 500 and len(q.coupons) == 1
        else:
            assert coupon_off == 0 and q.coupons == []
            r = next(r for r in q.refusals if r.code == refusal)
            assert r.name("zh_CN") == "联盟新客5元券"
    # the cashier reads why, in both languages
    from pos.rules.pricing import refusal as make
    assert make("x", "refusal.coupon_alliance_guests").reason("zh_CN") == "该券仅限在联盟其他商户入会的会员使用"
    assert make("x", "refusal.coupon_own_members").reason("en") == "Coupon is for members who joined at this merchant"


def test_an_alliance_coupon_at_a_till_of_no_alliance_says_so(db):
    doc = doc_with(None, coupon_audience="alliance")
    till(db, doc, merchant=None)
    mid = member(db, "13900007777", "market")
    q = basket(db, mid, _coupon_for(db, doc, mid)).quote()
    r = next(r for r in q.refusals if r.code == "refusal.coupon_no_alliance")
    assert r.reason("zh_CN") == "该券仅限联盟会员使用，本店未加入联盟" and q.coupons == []


# --- the document: a bad value, what `program check` warns ------------------------------------------------


def test_an_unknown_audience_is_refused_at_load_naming_the_field(tmp_path):
    data = copy.deepcopy(RAW)
    data["promotions"].append(OFFER | {"audience": "guests"})
    with pytest.raises(DomainError) as exc:
        program.parse(data)
    assert exc.value.code == "program.invalid"
    assert exc.value.message("en") == (
        "Program file is invalid: promotions[1].audience: Input should be 'everyone', 'alliance', "
        "'alliance_guests' or 'own_members' (got 'guests')")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    p = _cli("program", "check", str(bad))  # one line, exit 2, as every invalid field
    assert p.returncode == 2 and p.stdout == "" and p.stderr.count("\n") == 1
    assert "promotions[1].audience: Input should be 'everyone', 'alliance', 'alliance_guests' or 'own_members' " \
           "(got 'guests')" in p.stderr
    data = copy.deepcopy(RAW)
    data["coupon_templates"][2]["audience"] = True
    with pytest.raises(DomainError) as exc:
        program.parse(data)
    assert "coupon_templates[2].audience: Input should be 'everyone'" in exc.value.message("en")


def test_a_document_without_audiences_dumps_as_before():
    assert "audience" not in json.dumps(program.to_json(program.preset("vancl")))
    assert program.to_json(program.parse(RAW)) == program.to_json(program.preset("vancl"))
    got = program.to_json(doc_with("own_members", "alliance"))
    assert got["promotions"][-1]["audience"] == "own_members" and got["coupon_templates"][-1]["audience"] == "alliance"
    assert program.parse(got) == doc_with("own_members", "alliance")


def test_program_check_warns_that_alliance_audiences_are_inert_at_a_chain_alone(tmp_path, clock):
    from pos.store.database import open_db

    path = tmp_path / "bakery.json"
    path.write_text(json.dumps(program.to_json(doc_with("alliance_guests", "own_members")), ensure_ascii=False),
                    encoding="utf-8")
    p = _cli("program", "check", str(path))  # no store named: where they do not apply
    assert p.returncode == 0, p.stderr
    assert ("warning: promotion guest-20 (Alliance guests 20% off): audience alliance_guests applies only at the "
            "tills of an alliance merchant; at a chain alone's tills (no merchant) it never applies") in p.stdout
    assert "warning: coupon template guest-5 (Alliance guest 5 yuan): audience own_members" in p.stdout
    alone, bakery = tmp_path / "alone.sqlite3", tmp_path / "bakery.sqlite3"
    for store, merchant in ((alone, None), (bakery, "bakery")):
        db = open_db(store, clock=clock)
        if merchant:
            with db.transaction() as s:
                s.merge(Setting(key=MERCHANT_KEY, value=merchant))
        db.close()
    got = json.loads(_cli("program", "check", str(path), "--db", str(alone), "--json").stdout)
    assert got["ok"] and got["warnings"] == [
        "promotion guest-20 (Alliance guests 20% off): audience alliance_guests never applies at this store: "
        "it belongs to no alliance merchant (a chain alone)",
        "coupon template guest-5 (Alliance guest 5 yuan): audience own_members never applies at this store: "
        "it belongs to no alliance merchant (a chain alone)"]
    assert json.loads(_cli("program", "check", str(path), "--db", str(bakery), "--json").stdout)["warnings"] == []
    plain = tmp_path / "vancl.json"
    plain.write_text(json.dumps(RAW, ensure_ascii=False), encoding="utf-8")
    assert json.loads(_cli("program", "check", str(plain), "--json").stdout)["warnings"] == []


# --- the engine's guarantees hold with audiences -------------------------------------------------------------


def _busy_doc() -> program.ProgramDoc:
    """Vancl with an offer of each audience (order promotions and flash prices) and audience coupons."""
    data = copy.deepcopy(RAW)
    cats = ["烘焙", "饮料", "日用"]
    for i, aud in enumerate(["everyone", "alliance", "alliance_guests", "own_members"] * 2):
        p = {"code": f"p-{i}", "name": {"zh": f"促销{i}", "en": f"Promo {i}"}, "audience": aud, "priority": i % 3,
             "exclusive_group": ["order", None][i % 2], "members_only": i == 4}
        if i < 4:
            p |= {"kind": ("full_reduction", "full_discount")[i % 2], "threshold_fen": 3000 + 1000 * i,
                  "scope": {"categories": [cats[i % 3]]}}
            p |= {"off_fen": 500 + 100 * i} if i % 2 == 0 else {"pay_pct": str(85 + i)}
        else:
            p |= {"kind": "flash_price", "flash_prices": {f"69{k:011d}": 100 + 50 * k for k in range(i - 3, i)}}
        data["promotions"].append(p)
    for i, aud in enumerate(["alliance", "alliance_guests", "own_members"]):
        data["coupon_templates"].append({"code": f"c-{i}", "name": {"zh": f"券{i}", "en": f"Coupon {i}"},
                                         "kind": "voucher", "value_fen": 300 + 100 * i, "stackable": True,
                                         "with_promotions": i != 1, "audience": aud})
    return program.parse(data)


def _requests(doc, n: int, seed: int = 17):
    import random

    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)
    templates = [t.code for t in doc.coupon_templates]
    for _ in range(n):
        items = tuple(Item(f"69{rng.randint(0, 7):011d}", "x", rng.choice(["烘焙", "饮料", "日用"]), rng.randint(1, 3),
                           rng.randint(100, 9000), member_unit_fen=rng.choice([None, rng.randint(80, 8000)]))
                      for _ in range(rng.choice([1, 3, 8])))
        who = rng.random()
        m = None if who < 0.2 else MemberCtx("m1", rng.choice(["member", "vip", "svip"]), points_available=3000,
                                             home_merchant=rng.choice([None, "bakery", "market", "pharmacy"]))
        wallet = tuple(CouponCtx(f"C{i}", rng.choice(templates), now - dt.timedelta(days=1), now + dt.timedelta(days=9),
                                 member_id="m1") for i in range(rng.choice([0, 1, 3])))
        yield PriceRequest(items, m, coupons=wallet, redeem_points=rng.choice([0, 500]), now=now, store="BAK1",
                           merchant=rng.choice(["bakery", "bakery", ""]))


def test_with_audiences_a_member_never_pays_more_and_the_shortcuts_change_no_quote(monkeypatch):
    from dataclasses import replace

    from pos.rules import pricing

    doc = _busy_doc()
    reqs = list(_requests(doc, 300))
    fast = [price(r, doc) for r in reqs]
    seen = set()
    for req, q in zip(reqs, fast):
        if req.member is not None:  # SPEC §7 with the alliance's offers: never more than a non-member
            non = price(replace(req, member=None, redeem_points=0, gifts=()), doc)
            assert sum(ln.net_fen for ln in q.lines if ln.item.reward is None) + q.points_value_fen <= non.net_fen
        used = {d.code for ln in q.lines for d in ln.discounts if d.kind in ("promotion", "flash_price")} | set(q.promotions)
        for p in doc.promotions:
            if p.code in used:  # an audience's offer only where its audience is this customer at this till
                assert audience_ok(p.audience, req.member, req.merchant), (p.code, req.member, req.merchant)
                assert q.name(p.code) != p.code
                seen.add(p.audience)
        for code in q.coupons:
            t = doc.template(next(c.template for c in req.coupons if c.code == code))
            assert audience_ok(t.audience, req.member, req.merchant)
    assert seen == {"everyone", "alliance", "alliance_guests", "own_members"}  # every audience was exercised
    monkeypatch.setattr(pricing, "_cannot_beat", lambda *a: False)
    monkeypatch.setattr(pricing, "_prefix_key", lambda *a: None)
    assert [repr(price(r, doc)) for r in reqs] == [repr(q) for q in fast]
