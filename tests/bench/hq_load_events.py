"""Push bodies for HQ load benchmarks, made from events of REAL sales.

A real till (a SQLite store with the shipped `vancl` program and a small
catalog) registers a member and rings up sales through `pos.services.checkout`
— the real commit path, the real `sale.committed` builder
(`pos.services.sale_event`, pricing inputs included, so HQ re-prices every
one) and the real ledger capture (`ledger.entries`). Those outbox payloads are
kept as JSON text templates; the load generator fills in fresh ids (event,
sale, line, payment, ledger row), a store code, a receipt number and a member
per visit by string joins — no JSON encoding per event, so the generator
leaves the CPU to HQ.

    rec = record(tmp_dir)                    # once: a few real sales
    till = TillEvents(rec, "L0001", index=1)
    body = till.push_body(visits=10)         # bytes of a /v1/push JSON body
    # 10 visits: a sale each (some with a new member's registration first, some
    # guests), and one ledger.entries event with the batch's earn rows, as a
    # till's capture sends it
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

PLACE = "QZ9"  # the recording till's store code (replaced by each simulated till's)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PRODUCTS = [  # barcode, name, category, price_fen
    ("6901234567892", "Towel", "home", 5000), ("6900000000014", "Soap", "home", 1000),
    ("6900000000021", "Socks", "apparel", 2900), ("6900000000038", "T-shirt", "apparel", 9900),
    ("6900000000045", "Cap", "apparel", 4900), ("6900000000052", "Mug", "home", 3500),
]
BASKETS = [  # (product index, qty) per recorded sale
    [(0, 1)], [(1, 2), (2, 1)], [(3, 1), (4, 1), (5, 2)], [(0, 2), (1, 1), (2, 3), (3, 1), (5, 1)], [(2, 1)],
]


class Template:
    """JSON text with named slots: `fill({slot: text})` joins it back."""

    def __init__(self, text: str, slots: dict[str, str]):
        if not slots:
            self.parts, self.names = [text], []
            return
        pat = re.compile("|".join(re.escape(k) for k in sorted(slots, key=len, reverse=True)))
        self.parts, self.names, pos = [], [], 0
        for m in pat.finditer(text):
            self.parts.append(text[pos:m.start()])
            self.names.append(slots[m.group(0)])
            pos = m.end()
        self.parts.append(text[pos:])

    def fill(self, values: dict[str, str]) -> str:
        out = [self.parts[0]]
        for name, lit in zip(self.names, self.parts[1:]):
            out.append(values[name])
            out.append(lit)
        return "".join(out)

    def slot_names(self) -> set[str]:
        return set(self.names)


@dataclass
class SaleTemplate:
    sale: Template  # the sale.committed payload
    earn: Template | None  # its ledger row (None: a guest's sale earns nothing)
    fresh: list[str]  # slots that take a new uuid per visit


@dataclass
class Recorded:
    registration: Template  # member.registered payload: MID, MCODE, PHONE, STORE
    member_sales: list[SaleTemplate]
    guest_sales: list[SaleTemplate]
    program_version: str
    sizes: dict[str, int] = field(default_factory=dict)  # bytes of each recorded kind's payload


def record(workdir: Path) -> Recorded:
    """Real sales at a real till; their outbox payloads as templates."""
    from sqlalchemy import select

    from pos.rules import program as pos_program
    from pos.rules.pricing import Tender
    from pos.services import catalog, members
    from pos.services.checkout import Checkout
    from pos.store import program_store
    from pos.store.database import open_db
    from pos.store.models import OutboxEvent
    from sync import engine

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "recording-till.sqlite3"
    for p in workdir.glob(path.name + "*"):
        p.unlink()
    db = open_db(path)
    try:
        program_store.install(db, pos_program.preset("vancl"), source="bench")
        db.set_setting("store_code", PLACE)
        csv = workdir / "recording-catalog.csv"
        csv.write_text("barcode,name,category,price_fen,kind\n" + "".join(
            f"{b},{n},{c},{p},regular\n" for b, n, c, p in PRODUCTS))
        assert catalog.import_csv(db, csv).ok
        member = members.register(db, "13900007777")

        def sell(basket, member_id):
            co = Checkout(db)
            for i, qty in basket:
                co.add(PRODUCTS[i][0], qty)
            if member_id:
                co.attach_member_id(member_id)
            return co.pay([Tender("cash", co.quote().net_fen)])

        for basket in BASKETS:
            sell(basket, member.id)
        for basket in BASKETS[:2]:
            sell(basket, None)
        engine.capture(db)
        with db.read() as s:
            evs = [(e.kind, e.payload) for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
    finally:
        db.close()
    products = {p["product"]["id"] for k, p in evs if k == "product.upserted"}
    reg = next(p for k, p in evs if k == "member.registered")
    sales = [p for k, p in evs if k == "sale.committed"]
    earn_rows = {r["sale_id"]: r for k, p in evs if k == "ledger.entries" for r in p["points"]}
    mid = reg["id"]
    base = {mid: "MID", PLACE: "STORE"}
    registration = Template(json.dumps(reg, ensure_ascii=False), {
        **base, reg["member_code"]: "MCODE", reg["phone"]: "PHONE", reg["joined_at"]: "NOW"})

    def template(p) -> SaleTemplate:
        d = p["sale"]
        text = json.dumps(p, ensure_ascii=False)
        earn = earn_rows.get(d["sale_id"])
        earn_text = json.dumps(earn, ensure_ascii=False) if earn else None
        ids = [u for u in dict.fromkeys(UUID_RE.findall(text + (earn_text or ""))) if u not in products and u != mid]
        slots = {**base, d["receipt_no"]: "RCPT", **{u: f"U{i}" for i, u in enumerate(ids)}}
        return SaleTemplate(Template(text, slots), Template(earn_text, slots) if earn_text else None,
                            [f"U{i}" for i in range(len(ids))])

    member_sales = [template(p) for p in sales if (p["sale"].get("member") or {}).get("id")]
    guest_sales = [template(p) for p in sales if not (p["sale"].get("member") or {}).get("id")]
    assert len(member_sales) == len(BASKETS) and guest_sales and all(t.earn for t in member_sales)
    sizes = {"member.registered": len(json.dumps(reg)), "sale.committed": max(len(json.dumps(p)) for p in sales)}
    return Recorded(registration, member_sales, guest_sales, sales[0]["sale"]["program_version"], sizes)


class TillEvents:
    """One simulated till's stream: its members, its outbox order, its receipts."""

    def __init__(self, rec: Recorded, store: str, index: int, *, new_member_share: float = 0.2,
                 guest_share: float = 0.2, seed: int | None = None):
        """`index` (0-999) makes the till's phone numbers its own: +86135 III NNNNN."""
        self.rec, self.store, self.index = rec, store, index
        self.new_share, self.guest_share = new_member_share, guest_share
        self.rng = random.Random(seed if seed is not None else index)
        self.members: list[str] = []
        self.seq = 0
        self.receipts = 0
        self.sales = self.events = 0

    def _env(self, kind: str, payload: str, now: str) -> str:
        self.seq += 1
        self.events += 1
        return ('{"event_id":"%s","seq":%d,"kind":"%s","created_at":"%s","test_clock":false,"payload":%s}'
                % (uuid.uuid4(), self.seq, kind, now, payload))

    def visit_events(self, visits: int) -> list[str]:
        """The events of `visits` sales and the ledger capture after them, as a till pushes them."""
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        out, earns = [], []
        for _ in range(visits):
            r = self.rng.random()
            values = {"STORE": self.store}
            if r < self.guest_share:
                t = self.rng.choice(self.rec.guest_sales)
            else:
                t = self.rng.choice(self.rec.member_sales)
                if r < self.guest_share + self.new_share or not self.members:
                    mid = str(uuid.uuid4())
                    self.members.append(mid)
                    n = len(self.members)
                    out.append(self._env("member.registered", self.rec.registration.fill({
                        "MID": mid, "STORE": self.store, "NOW": now, "MCODE": f"L{self.store}{n:07d}",
                        "PHONE": f"+86135{self.index % 1000:03d}{n % 100_000:05d}"}), now))
                else:
                    mid = self.rng.choice(self.members)
                values["MID"] = mid
            self.receipts += 1
            values["RCPT"] = f"{self.store}-01-{now[:10].replace('-', '')}-{self.receipts:06d}"
            for slot in t.fresh:
                values[slot] = str(uuid.uuid4())
            out.append(self._env("sale.committed", t.sale.fill(values), now))
            self.sales += 1
            if t.earn is not None:
                earns.append(t.earn.fill(values))
        if earns:
            out.append(self._env("ledger.entries", '{"store":"%s","points":[%s],"allocations":[],"sv":[]}'
                                 % (self.store, ",".join(earns)), now))
        return out

    def push_body(self, visits: int) -> bytes:
        return ('{"protocol":1,"store":"%s","events":[%s]}' % (self.store, ",".join(self.visit_events(visits)))
                ).encode()
