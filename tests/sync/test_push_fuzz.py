"""Issue 12 item 4: a fuzz of HQ's push endpoint (real HQ process, raw HTTP).
Malformed payloads, wrong types, huge numbers, NUL bytes, over-long texts and
unknown kinds: never a 500; each bad event is rejected with a reason and kept
(its row and a `rejected_event` exception); the good events of the same batch
are applied."""
from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import random
import uuid

import pytest
import requests
from sqlalchemy import select

from sync.protocol import PROTOCOL_VERSION
from sync.server.models import IngestedEvent, Member, Product, SyncException

from pos.loyalty import ledger
from sync import engine

from .conftest import make_till, phone

UTC = dt.timezone.utc
ROUNDS = 30


@pytest.fixture(scope="module")
def store(hq):
    from sync.server import admin

    code, enrol_code = hq.add_store("fuzz")
    got = admin.enrol(hq.db, enrol_code)
    return code, got["token"]


def _now() -> str:
    return dt.datetime.now(UTC).isoformat()


def good_events(store: str, rng: random.Random) -> list[dict]:
    mid = str(uuid.uuid4())
    code = "M" + uuid.uuid4().hex[:10].upper()
    sku = "SKU" + uuid.uuid4().hex[:8]
    reg = {"id": mid, "member_code": code, "phone": "+86" + phone(), "name": "王小明", "gender": None,
           "birthday": "1990-05-01", "region": None, "address": None, "occupation": None, "income_band": None,
           "preferences": None, "channel": "store", "marketing_consent": True, "tier": "member", "joined_at": _now(),
           "joined_store": store, "referrer_id": None, "cards": [], "tags": ["vip"]}
    sale_id = str(uuid.uuid4())
    return [
        {"kind": "member.registered", "payload": reg},
        {"kind": "member.tag", "payload": {"member_id": mid, "tag": "早鸟", "on": True, "source": "manual"}},
        {"kind": "member.updated", "payload": {"id": mid, "fields": {"name": "王大明"}, "at": _now()}},
        {"kind": "product.upserted", "payload": {"product": {
            "id": str(uuid.uuid4()), "sku": sku, "name": "毛巾", "category": "home", "price_fen": rng.randint(1, 10 ** 6),
            "member_price_fen": None, "points_class": "regular", "no_member_discount": False,
            "barcodes": [str(rng.randint(10 ** 12, 10 ** 13 - 1))]}}},
        {"kind": "sale.committed", "payload": {"sale": {
            "sale_id": sale_id, "receipt_no": f"{store}-01-20261201-{rng.randint(1, 9999):04d}", "kind": "sale",
            "member": {"id": mid}, "lines": [{"code": "x", "qty": 1, "discounts": []}],
            "totals": {"gross_fen": 5000, "discount_fen": 0, "net_fen": 5000, "spend_fen": 5000},
            "points": {"earned": 100, "redeemed": 0}, "payments": [], "coupons": [], "promotions": []}}},
        {"kind": "ledger.entries", "payload": {"points": [{
            "id": str(uuid.uuid4()), "member_id": mid, "kind": "earn", "points": 100, "available_at": _now(),
            "expires_at": None, "reverses_id": None, "source_lot_id": None, "sale_id": sale_id, "store_code": store,
            "program_version": "v1", "reason": None, "created_at": _now(), "test_clock": False}],
            "allocations": [], "sv": []}},
    ]


HUGE = [2 ** 31, -2 ** 31 - 1, 2 ** 63, -2 ** 63 - 1, 10 ** 30]
# (kind, path to a field, bad values): every one of these makes the event invalid
BAD_FIELDS = {
    "member.registered": [
        (("member_code",), [123, "", "M" * 25, "a\x00b", None, ["x"], {"a": 1}]),
        (("id",), ["not-a-uuid", 7, {"x": 1}, None]),
        (("joined_at",), ["yesterday", 5, "2026-12-01T10:00:00", None, True]),
        (("phone",), ["12345", "+86 139", 13900000000, "+86" + "1" * 30]),
        (("cards",), ["9000012345", [10 ** 30], ["x" * 33], [None]]),
        (("name",), ["x" * 65, "王\x00", 5]),
        (("marketing_consent",), ["yes", 1]),
        (("tags",), ["vip", [5], ["t" * 33]]),
    ],
    "member.tag": [(("tag",), ["", "t" * 33, "a\x00", 1]), (("member_id",), [None, "zz"]), (("on",), ["true", 0])],
    "member.updated": [(("fields",), ["name=x", ["name"], {"nope": 1}, {"name": 5}, {"birthday": "01/02/1990"},
                                      {"name": "a\x00"}])],
    "product.upserted": [
        (("product",), ["towel", [1, 2], None]),
        (("product", "price_fen"), [*HUGE, "100", True, -1, 1.5, None]),
        (("product", "name"), ["n" * 101, "a\x00b", 0]),
        (("product", "category"), ["c" * 65, None]),
        (("product", "barcodes"), ["690", ["b" * 33]]),
    ],
    "sale.committed": [
        (("sale",), ["a sale", [], None, 5]),
        (("sale", "sale_id"), ["nope", None, 1]),
        (("sale", "points"), ["lots", [1]]),
        (("sale", "points", "redeemed"), [*HUGE, "5", True]),
        (("sale", "totals", "net_fen"), [2 ** 63, -2 ** 63 - 1, "5000", 10 ** 30]),
        (("sale", "member"), ["someone", [1]]),
        (("sale", "receipt_no"), ["r" * 41, "\x00", None]),
        (("sale", "coupons"), ["C1", [1], ["c" * 33]]),
        (("sale", "lines"), ["x", [1], [{"discounts": "none"}], [{"discounts": [{"amount_fen": 2 ** 40}]}]]),
    ],
    "ledger.entries": [
        (("points",), ["rows", [1], [None]]),
        (("points", 0, "points"), [*HUGE, 0, "100", True, None]),
        (("points", 0, "member_id"), ["x", None]),
        (("points", 0, "kind"), ["k" * 17, "", "\x00"]),
        (("points", 0, "created_at"), ["now", None]),
        (("allocations",), [[{"id": str(uuid.uuid4()), "debit_id": str(uuid.uuid4()), "lot_id": str(uuid.uuid4()),
                               "points": 0}], "x"]),
    ],
}


def _set(doc, path, value):
    for k in path[:-1]:
        doc = doc[k]
    doc[path[-1]] = value


def _event(store: str, kind: str, payload: dict, seq: int) -> dict:
    return {"event_id": str(uuid.uuid4()), "seq": seq, "kind": kind, "created_at": _now(), "test_clock": False,
            "payload": {"store": store, **payload}}


def bad_event(store: str, rng: random.Random, seq: int) -> tuple[dict, str]:
    """An event that must be rejected, and what was done to it."""
    choice = rng.random()
    if choice < 0.12:  # the envelope
        ev = _event(store, "member.tag", {"member_id": str(uuid.uuid4()), "tag": "x"}, seq)
        field, value = rng.choice([("seq", -1), ("seq", 2 ** 64), ("seq", "7"), ("created_at", "2026-12-01T10:00:00"),
                                   ("created_at", 0), ("kind", "member.\x00tag"), ("kind", "k" * 40), ("kind", 5),
                                   ("payload", "a payload"), ("payload", [1, 2]), ("test_clock", "yes")])
        ev[field] = value
        return ev, f"envelope {field}={value!r}"[:60]
    if choice < 0.2:
        kind = rng.choice(["member.hacked", "sale.refunded", "x", "admin.drop_tables"])
        return _event(store, kind, {"anything": 1}, seq), f"unknown kind {kind}"
    if choice < 0.26:  # NUL somewhere deep in an open part of a payload, or NaN
        good = rng.choice(good_events(store, rng)[3:5])
        ev = _event(store, good["kind"], good["payload"], seq)
        ev["payload"]["extra"] = rng.choice([{"deep": ["ok", "bad\x00"]}, float("nan"), float("inf")])
        return ev, "NUL / NaN in an extra field"
    kind = rng.choice(list(BAD_FIELDS))
    good = next(g for g in good_events(store, rng) if g["kind"] == kind)
    path, values = rng.choice(BAD_FIELDS[kind])
    payload = copy.deepcopy(good["payload"])
    value = rng.choice(values)
    _set(payload, path, value)
    return _event(store, kind, payload, seq), f"{kind} {'.'.join(map(str, path))}={value!r}"[:80]


def post(hq, token: str, body, *, gz: bool = False, raw: bytes | None = None) -> requests.Response:
    data = raw if raw is not None else json.dumps(body, allow_nan=True).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if gz:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return requests.post(hq.url + "/v1/push", data=data, headers=headers, timeout=60)


def test_push_fuzz_rejects_bad_events_alone_and_never_answers_500(hq, store):
    code, token = store
    rng = random.Random(12)
    seq = 0
    bad_ids: dict[str, str] = {}
    good_members: list[str] = []
    good_products: list[str] = []
    for round_no in range(ROUNDS):
        events, what = [], {}
        goods = good_events(code, rng)
        for g in goods:
            seq += 1
            events.append(_event(code, g["kind"], g["payload"], seq))
        for _ in range(rng.randint(1, 4)):
            seq += 1
            ev, note = bad_event(code, rng, seq)
            events.insert(rng.randint(0, len(events)), ev)
            what[ev["event_id"]] = note
        r = post(hq, token, {"protocol": PROTOCOL_VERSION, "store": code, "events": events}, gz=round_no % 3 == 0)
        assert r.status_code == 200, (r.status_code, r.text[:300], what)
        results = {x["event_id"]: x for x in r.json()["results"]}
        assert len(r.json()["results"]) == len(events)
        for eid, note in what.items():
            assert results[eid]["status"] == "rejected" and results[eid]["reason"], (note, results[eid])
            bad_ids[eid] = note
        for ev in events:
            if ev["event_id"] not in what:
                assert results[ev["event_id"]]["status"] == "accepted", (ev["kind"], results[ev["event_id"]], what)
        good_members.append(goods[0]["payload"]["id"])
        good_products.append(goods[3]["payload"]["product"]["sku"])
        # the same batch again: the good ones are duplicates, the bad ones answered as before
        again = {x["event_id"]: x for x in post(hq, token, {"protocol": 1, "store": code, "events": events}).json()["results"]}
        assert all(again[e]["status"] == "rejected" and again[e]["reason"] == results[e]["reason"] for e in what)
        assert all(again[ev["event_id"]]["status"] == "duplicate" for ev in events if ev["event_id"] not in what)
    with hq.db.read() as s:
        kept = {str(e.event_id): e for e in s.scalars(select(IngestedEvent).where(
            IngestedEvent.event_id.in_([uuid.UUID(x) for x in bad_ids])))}
        assert set(kept) == set(bad_ids)  # every bad event kept, with its reason
        assert all(e.status == "rejected" and e.reason and e.store_code == code for e in kept.values())
        flagged = {str(x.event_id) for x in s.scalars(select(SyncException).where(
            SyncException.kind == "rejected_event", SyncException.store_code == code))}
        assert set(bad_ids) <= flagged
        assert len(s.scalars(select(Member.id).where(Member.id.in_([uuid.UUID(m) for m in good_members]))).all()) \
            == len(good_members)
        names = dict(s.execute(select(Member.id, Member.name).where(
            Member.id.in_([uuid.UUID(m) for m in good_members]))).all())
        assert set(names.values()) == {"王大明"}  # the update after the registration applied too
        assert len(s.scalars(select(Product.sku).where(Product.sku.in_(good_products))).all()) == len(good_products)
    shown = hq.cli("exceptions", "--json")  # `hq exceptions` shows them
    assert sum(1 for x in json.loads(shown.stdout) if x["kind"] == "rejected_event" and x["event_id"] in bad_ids) \
        == len(bad_ids)


def test_malformed_bodies_are_4xx_never_500(hq, store):
    code, token = store
    ok_event = _event(code, "member.tag", {"member_id": str(uuid.uuid4()), "tag": "x"}, 1)
    bodies = [
        dict(raw=b""), dict(raw=b"{"), dict(raw=b"not json"), dict(raw=b"\xff\xfe\x00"), dict(raw=b"[]"),
        dict(raw=b"null"), dict(raw=b'"events"'), dict(raw=b'{"protocol": 1, "store": "' + code.encode() + b'", '
                                                             b'"events": [{"x": "\\ud800"}]}'),
        dict(body={"protocol": 1, "store": code}), dict(body={"protocol": 1, "store": code, "events": []}),
        dict(body={"protocol": 1, "store": code, "events": "all"}),
        dict(body={"protocol": 1, "store": code, "events": {"a": 1}}),
        dict(body={"protocol": 99, "store": code, "events": [ok_event]}),
        dict(body={"protocol": 1, "store": 5, "events": [ok_event]}),
        dict(body={"protocol": 1, "store": code, "events": [ok_event], "extra": True}),
        dict(body={"protocol": 1, "store": code, "events": [{"event_id": "nope"}]}),
        dict(body={"protocol": 1, "store": code, "events": [5]}),
        dict(body={"protocol": 1, "store": code, "events": [ok_event] * 501}),
        dict(body={"protocol": 1, "store": "OTHER", "events": [ok_event]}),
        dict(body={"protocol": 1, "store": code, "events": [{**ok_event, "payload": {**ok_event["payload"],
                                                                                      "store": "OTHER"}}]}),
    ]
    for b in bodies:
        r = post(hq, token, b.get("body"), raw=b.get("raw"))
        assert 400 <= r.status_code < 500, (b, r.status_code, r.text[:200])
        assert set(r.json()) >= {"error", "message"}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Content-Encoding": "gzip"}
    for raw in (b"garbage", gzip.compress(b"not json"), gzip.compress(b'{"protocol":1}')[:-6],
                gzip.compress(json.dumps({"protocol": 1, "store": code, "events": [ok_event]}).encode())[:20]):
        r = requests.post(hq.url + "/v1/push", data=raw, headers=headers, timeout=30)
        assert 400 <= r.status_code < 500, (raw[:20], r.status_code, r.text[:200])
    # the other endpoints too: holds and enrolment
    auth = {"Authorization": f"Bearer {token}"}
    for body in ({"protocol": 1, "hold_id": str(uuid.uuid4()), "member_id": str(uuid.uuid4()), "points": 2 ** 40},
                 {"protocol": 1, "hold_id": str(uuid.uuid4()), "member_id": str(uuid.uuid4()), "points": 1,
                  "coupon_codes": ["A\x00B"]},
                 {"protocol": 1, "hold_id": "x", "member_id": None}):
        r = requests.post(hq.url + "/v1/holds", json=body, headers=auth, timeout=30)
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text[:200])
    r = requests.post(hq.url + "/v1/enrol", json={"protocol": 1, "code": "ABCD-EFGH", "device": "till\x00"}, timeout=30)
    assert 400 <= r.status_code < 500, r.text[:200]


POOL = [None, "", "x", 0, -1, 1, 2 ** 31, 2 ** 63, 10 ** 20, True, 1.5, [], {}, ["a"], {"a": 1},
        "2026-12-01T10:00:00+00:00", "1990-01-01", "00000000-0000-0000-0000-000000000000", "+8613900000000",
        "a" * 300, "中" * 70, "a\x00"]


def _leaves(d, path=()):
    if isinstance(d, dict) and d:
        for k, v in d.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(d, list) and d:
        for i, v in enumerate(d):
            yield from _leaves(v, path + (i,))
    elif path:
        yield path


def test_random_junk_in_any_field_is_accepted_or_rejected_and_hq_still_serves_pulls(hq, store, tmp_path):
    """Junk anywhere (valid or not, nobody decides beforehand): an answer per event, never a 500,
    and whatever HQ accepted it can still serve back to every till: a new till pulls it all
    (its foreign keys would refuse a ledger row, a note or a coupon of a member nobody has)."""
    code, token = store
    rng = random.Random(99)
    seq = 10 ** 6
    for _ in range(12):
        events = []
        for g in good_events(code, rng):
            seq += 1
            ev = _event(code, g["kind"], g["payload"], seq)
            paths = list(_leaves(ev["payload"]))
            for _ in range(rng.randint(0, 3)):
                path = rng.choice(paths)
                if path != ("store",):
                    _set(ev["payload"], path, copy.deepcopy(rng.choice(POOL)))
            events.append(ev)
        r = post(hq, token, {"protocol": 1, "store": code, "events": events})
        assert r.status_code == 200, r.text[:300]
        got = r.json()["results"]
        assert [x["event_id"] for x in got] == [e["event_id"] for e in events]
        assert all(x["status"] == "accepted" or (x["status"] == "rejected" and x["reason"]) for x in got)
    cursor, pages = "", 0
    while True:  # a pull from the start still answers, page after page
        page = requests.get(hq.url + "/v1/pull", params={"cursor": cursor, "limit": 2000},
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert page.status_code == 200, page.text[:300]
        body = page.json()
        cursor, pages = body["cursor"], pages + 1
        if not body["more"] or pages > 50:
            break
    till = make_till(tmp_path, hq, "J")
    try:
        got = engine.sync_once(till)
        assert got["ok"] and got["pulled"]["changes"] > 0
        with till.read() as s:
            assert ledger.find_drift(s) == []
    finally:
        till.close()
