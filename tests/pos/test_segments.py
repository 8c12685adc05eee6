"""Segments (pos/analytics/segments.py) on a hand-made history: members registered through
`members.register`, tickets INSERTED DIRECTLY (Sale + SaleLine rows) so every
frequency, amount and date is exactly what the comments say. The win-back
coupons go through the real coupon path; tags through `write_tags`.

as_of = 2026-11-23. Every member joined 2026-01-01.

member  tickets (F)  net fen (M)                     last purchase (days before as_of)
m1      1            1,000                           0
m2      1            1,000                           0      (ties m1 in every dimension)
m3      2            3,000                           89
m4      3            5,000                           90     (exactly 90: on the 90-day list)
m5      5            8,000                           179
m6      5            8,000                           180    (exactly 180: on the 180-day list)
m7      8            20,000                          364
m8      10           60,000 − 10,000 partial return = 50,000   365
r       1 sale of 2,000 returned in full → F 0, M 0: never purchased
z       nothing                                        never purchased

These tests ask for the former rule, rule="distinct" (the default rule "buyers" is
tests/pos/test_segments_buyers.py). Scores, 1 + ⌊5·(dense_rank − 1)/D⌋, ranks from worst (1) to best (D):
recency days {365, 364, 180, 179, 90, 89, 0}, D = 7 → ranks 1..7 → scores 1, 1, 2, 3, 3, 4, 5
frequency {1, 2, 3, 5, 8, 10}, D = 6 → scores 1, 1, 2, 3, 4, 5
monetary {1000, 3000, 5000, 8000, 20000, 50000}, D = 6 → scores 1, 1, 2, 3, 4, 5
          R  F  M   group (days)        ABC
m1, m2    5  1  1   active (0)          C
m3        4  1  1   active (89)         C
m4        3  2  2   recently lapsed (90) C
m5        3  3  3   recently lapsed (179) C
m6        2  3  3   mid-term lapsed (180) C
m7        1  4  4   mid-term lapsed (364) A
m8        1  5  5   dormant (365)       A
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from pos.loyalty import coupons
from pos.services import members
from pos.store import program_store
from pos.rules import program
from pos.analytics import segments
from pos.store.models import Coupon, MemberTag, OutboxEvent, Sale, SaleLine

AS_OF = dt.date(2026, 11, 23)
PLAN = {  # name: (frequency, monetary, days before AS_OF of the last ticket)
    "m1": (1, 1000, 0), "m2": (1, 1000, 0), "m3": (2, 3000, 89), "m4": (3, 5000, 90), "m5": (5, 8000, 179),
    "m6": (5, 8000, 180), "m7": (8, 20000, 364), "m8": (10, 50000, 365),  # m8: 60,000 sold − 10,000 returned
}
_seq = iter(range(1, 10**6))


def ticket(s, db, mid, day: dt.date, net: int, qty: int = 1, kind: str = "sale", original=None, line_of=None):
    when = db.clock.start_of_day(day) + dt.timedelta(hours=12)
    sale = Sale(id=uuid.uuid4(), receipt_no=f"T-{next(_seq):06d}", kind=kind, store_code="S001", register_no="01",
                business_date=day, created_at=when, member_id=mid, original_sale_id=original, gross_fen=net,
                net_fen=net, paid_fen=net, spend_fen=net, units=qty)  # as checkout and returns write it
    s.add(sale)
    s.flush()
    line = SaleLine(id=uuid.uuid4(), sale_id=sale.id, line_no=1, code="X", name="x", category="c", points_class="regular",
                    qty=qty, unit_fen=abs(net), gross_fen=net, net_fen=net, returns_line_id=line_of)
    s.add(line)
    s.flush()
    return sale, line


@pytest.fixture
def seg(db, clock):
    program_store.install(db, program.preset("vancl"))
    clock.set(dt.datetime(2026, 1, 1, 9, 0))
    ids = {name: members.register(db, f"1380015{i:04d}").id for i, name in enumerate([*PLAN, "r", "z"], 1)}
    with db.transaction() as s:
        for name, (f, money, days) in PLAN.items():
            mid = uuid.UUID(ids[name])
            last = AS_OF - dt.timedelta(days=days)
            total = money + (10000 if name == "m8" else 0)
            for i in range(f):  # the last ticket on `last`, earlier ones a day apart before it
                net = total // f + (total % f if i == 0 else 0)
                sale, line = ticket(s, db, mid, last - dt.timedelta(days=i), net, qty=2 if name == "m8" and i == 0 else 1)
                if name == "m8" and i == 0:  # m8 returns one of two units of its last ticket: not cancelled
                    ticket(s, db, mid, last, -10000, qty=-1, kind="return", original=sale.id, line_of=line.id)
        sale, line = ticket(s, db, uuid.UUID(ids["r"]), AS_OF - dt.timedelta(days=30), 2000)
        ticket(s, db, uuid.UUID(ids["r"]), AS_OF - dt.timedelta(days=29), -2000, qty=-1, kind="return",
               original=sale.id, line_of=line.id)
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    return db, ids


def test_rfm_scores_with_ties_share_a_score(seg):
    db, ids = seg
    rows = {m["id"]: m for m in segments.members(db, AS_OF, limit=100, rule="distinct")}
    got = {name: (rows[ids[name]]["r"], rows[ids[name]]["f"], rows[ids[name]]["m"]) for name in PLAN}
    assert got == {"m1": (5, 1, 1), "m2": (5, 1, 1), "m3": (4, 1, 1), "m4": (3, 2, 2), "m5": (3, 3, 3),
                   "m6": (2, 3, 3), "m7": (1, 4, 4), "m8": (1, 5, 5)}
    assert rows[ids["m8"]]["monetary_fen"] == 50000 and rows[ids["m8"]]["frequency"] == 10  # partial return netted
    assert ids["r"] not in rows and ids["z"] not in rows  # never purchased: no score


def test_segmentation_cells_groups_abc_pareto(seg):
    db, _ = seg
    sg = segments.segmentation(db, AS_OF, rule="distinct")
    assert (sg.members, sg.buyers, sg.zombies) == (10, 8, 2)
    assert len(sg.cells) == 125
    filled = {(c["r"], c["f"], c["m"]): (c["members"], c["monetary_fen"]) for c in sg.cells if c["members"]}
    assert filled == {(5, 1, 1): (2, 2000), (4, 1, 1): (1, 3000), (3, 2, 2): (1, 5000), (3, 3, 3): (1, 8000),
                      (2, 3, 3): (1, 8000), (1, 4, 4): (1, 20000), (1, 5, 5): (1, 50000)}
    assert sg.groups == {"active": 3, "recently_lapsed": 2, "mid_lapsed": 2, "dormant": 1, "never_purchased": 2}
    assert sg.value == {"heavy": 2, "light": 6, "zombie": 2}
    assert [(a["class"], a["members"], a["sales_fen"]) for a in sg.abc] == [
        ("A", 2, 70000), ("B", 0, 0), ("C", 6, 26000), ("D", 2, 0)]
    # Pareto: top ⌈8/5⌉ = 2 buyers (50,000 + 20,000) of 96,000 = 0.7291666…
    assert sg.pareto == {"buyers": 8, "top_buyers": 2, "top_sales_fen": 70000, "sales_fen": 96000,
                         "top_share": 70000 / 96000}
    # the frequency values each score covers
    assert [(x["score"], x["min"], x["max"]) for x in sg.score_ranges["f"]] == [(1, 1, 2), (2, 3, 3), (3, 5, 5), (4, 8, 8), (5, 10, 10)]
    # heat map, rows R 5..1 × columns F 1..5
    assert sg.heat() == [[2, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 1]]
    assert sg.heat(m=5) == [[0] * 5, [0] * 5, [0] * 5, [0] * 5, [0, 0, 0, 0, 1]]


def test_member_lists_behind_cells_groups_and_classes(seg):
    db, ids = seg
    name = {v: k for k, v in ids.items()}
    names = lambda rows: [name[r["id"]] for r in rows]  # noqa: E731  (most valuable first)
    assert sorted(names(segments.members(db, AS_OF, r=5, f=1, m=1, rule="distinct"))) == ["m1", "m2"]
    assert names(segments.members(db, AS_OF, group="recently_lapsed", rule="distinct")) == ["m5", "m4"]
    assert names(segments.members(db, AS_OF, abc="A", rule="distinct")) == ["m8", "m7"]
    light = names(segments.members(db, AS_OF, value="light", rule="distinct"))  # m5 and m6 tie on 8,000: by member code
    assert sorted(light[:2]) == ["m5", "m6"] and light[2:4] == ["m4", "m3"] and sorted(light[4:]) == ["m1", "m2"]
    assert sorted(names(segments.members(db, AS_OF, group="never_purchased", rule="distinct"))) == ["r", "z"]
    assert sorted(names(segments.members(db, AS_OF, value="zombie", rule="distinct"))) == ["r", "z"]


def test_churn_watch_boundaries(seg):
    db, ids = seg
    name = {v: k for k, v in ids.items()}
    w90 = segments.churn_watch(db, AS_OF, 90)
    # days since ≥ 90: m4 (90), m5, m6, m7, m8 — not m3 (89); most valuable first, ties by member code
    assert w90.total == 5
    got = [name[m["id"]] for m in w90.members]
    assert got[:2] == ["m8", "m7"] and sorted(got[2:4]) == ["m5", "m6"] and got[4] == "m4"
    assert [m["days_since"] for m in w90.members if name[m["id"]] == "m4"] == [90]
    w180 = segments.churn_watch(db, AS_OF, 180)
    assert sorted(name[m["id"]] for m in w180.members) == ["m6", "m7", "m8"]  # m5 (179) is not
    # a day later m3 (now 90 days) joins the 90-day list and m5 (now 180) the 180-day list
    assert segments.churn_watch(db, AS_OF + dt.timedelta(days=1), 90).total == 6
    assert segments.churn_watch(db, AS_OF + dt.timedelta(days=1), 180).total == 4
    assert segments.churn_watch(db, AS_OF, 90, limit=2).total == 5  # total counts past the limit
    assert segments.churn_watch(db, AS_OF, 90, tier="vip").total == 0


def test_win_back_coupons_go_through_the_coupon_path(seg):
    db, ids = seg
    doc = program_store.active(db)
    top2 = [m["id"] for m in segments.churn_watch(db, AS_OF, 90, limit=2).members]
    assert top2 == [ids["m8"], ids["m7"]]
    with db.read() as s:
        events_before = s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == "coupon.issued"))
    r = segments.issue_win_back(db, doc, top2)
    assert r.template == "winback-20" and [i["member_id"] for i in r.issued] == top2 and r.skipped == []
    with db.read() as s:
        rows = s.scalars(select(Coupon).where(Coupon.source == "win_back")).all()
        assert sorted(str(c.member_id) for c in rows) == sorted(top2)
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "coupon.issued")).all()
        assert len(events) == events_before + 2  # HQ hears of each coupon
        assert {e.payload["member_id"] for e in events[-2:]} == set(top2)
        assert all(e.payload["source"] == "win_back" and e.payload["template"] == "winback-20" for e in events[-2:])
        wallet = coupons.wallet(s, uuid.UUID(ids["m8"]), db.clock.now())  # what the till shows
        assert [c.template for c in wallet] == ["winback-20"] and wallet[0].code == r.issued[0]["code"]
    again = segments.issue_win_back(db, doc, [ids["m8"], ids["m4"]])  # m8 still holds an unused one
    assert [i["member_id"] for i in again.issued] == [ids["m4"]]
    assert again.skipped == [{"member_id": ids["m8"], "reason": "holds_one"}]
    from pos.errors import DomainError
    with pytest.raises(DomainError):
        segments.issue_win_back(db, doc, [ids["m4"]], template="no-such-template")


def derived(db, mid):
    with db.read() as s:
        return sorted(t.tag for t in s.scalars(select(MemberTag).where(
            MemberTag.member_id == uuid.UUID(mid), MemberTag.source == "derived")))


def test_segment_tags_are_written_and_replaced_not_duplicated(seg, clock):
    db, ids = seg
    T = segments.SEGMENT_TAGS
    members.set_tag(db, ids["m1"], "老顾客")  # a manual tag stays untouched
    r = segments.write_tags(db, AS_OF, rule="distinct")
    assert r["added"] == 8 * 2 + 2 and r["removed"] == 0
    assert derived(db, ids["m1"]) == sorted([T["active"], T["light"]])
    assert derived(db, ids["m8"]) == sorted([T["dormant"], T["heavy"]])
    assert derived(db, ids["r"]) == [T["zombie"]] and derived(db, ids["z"]) == [T["zombie"]]
    again = segments.write_tags(db, AS_OF, rule="distinct")  # nothing changed: nothing written
    assert (again["added"], again["removed"]) == (0, 0)
    # 100 days later m1 is 100 days quiet: 'recently lapsed' replaces 'active'
    later = segments.write_tags(db, AS_OF + dt.timedelta(days=100), rule="distinct")
    assert derived(db, ids["m1"]) == sorted([T["recently_lapsed"], T["light"]])
    assert later["removed"] >= 1
    with db.read() as s:
        per_member = s.execute(select(MemberTag.member_id, func.count()).where(MemberTag.source == "derived")
                               .group_by(MemberTag.member_id)).all()
        assert max(n for _, n in per_member) == 2
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == "segments.tagged")) == 3
    # shown at the till (member panel)
    from pos.services import member_view
    panel = member_view.panel(db, program_store.active(db), ids["m1"])
    assert T["recently_lapsed"] in panel.tags and "老顾客" in panel.tags


def test_cli_report_and_actions(seg, tmp_path, capsys, monkeypatch):
    import json

    import main

    db, ids = seg
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T10:00")
    path = str(db.path)
    assert main.main(["report", "rfm", "--db", path, "--format", "json", "--rule", "distinct"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["buyers"] == 8 and data["groups"]["dormant"] == 1 and len(data["cells"]) == 125
    assert main.main(["report", "abc", "--db", path, "--format", "csv", "--table", "abc", "--rule", "distinct"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("A,2,0.2,70000,")
    assert main.main(["report", "churn", "--db", path, "--days", "180", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("member_code,name,phone_masked,tier,last_purchase,days_since") and len(lines) == 4
    out = tmp_path / "churn.xlsx"
    assert main.main(["report", "churn", "--db", path, "--format", "xlsx", "--out", str(out)]) == 0
    assert out.exists()
    assert main.main(["churn", "issue", "--db", path, "--days", "180", "--limit", "1", "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    assert [i["member_id"] for i in issued["issued"]] == [ids["m8"]]
    assert main.main(["segments", "tag", "--db", path, "--json", "--rule", "distinct"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 18
    assert main.main(["report", "period", "--db", path]) == 2  # --from is needed
    assert "needs --from" in capsys.readouterr().err
