"""Segments by the default rule "buyers" (pos/analytics/segments.py): RFM by
quintile of buyers, the ABC(D) pyramid by shares of buyers, never-purchased
members apart (zombie). Real SQLite file; members registered through
`members.register`, tickets INSERTED DIRECTLY (Sale + SaleLine rows, as
tests/pos/test_segments.py does) so every figure is exactly what is written here.

Hand-worked history: as_of = 2026-11-23, every member joined 2025-01-01,
registered in the order below (member codes are random: the order of b9/b10 and
of the other exact ties is read from their codes).

member  F  M (fen)  days since last purchase
b1      1   1,000   400
b2      1   1,000   400      (ties b1 in every dimension)
b3      1   2,000   200
b4      1   2,000    30
b5      2   3,000    30
b6      1   5,000    10      (one big ticket)
b7      3   5,000    10      (ties b6 on money; more frequent)
b8      4   9,000     5
b9      6  20,000     0
b10     6  20,000     0      (ties b9 in every dimension)
r       1 sale of 2,000 returned in full: never purchased
z       nothing: never purchased

n = 10 buyers; score = 1 + ⌊5·w/10⌋, w = buyers with a strictly worse value
(thresholds: w ≥ 2, 4, 6, 8 for scores 2..5).
F  values 1 (×5: b1 b2 b3 b4 b6), 2 (b5), 3 (b7), 4 (b8), 6 (×2)
   w      0                         5      6      7      8
   score  1                         3      4      4      5     → F1 5, F2 0, F3 1, F4 2, F5 2
   (F2 is empty: the tie of five one-time buyers spans the 20 % and 40 % marks
   and keeps the lower score.)
M  values 1000 (×2) 2000 (×2) 3000 5000 (×2) 9000 20000 (×2)
   w      0         2         4    5         7    8
   score  1         2         3    3         4    5          → M 2, 2, 3, 1, 2
R  days   400 (×2) 200 30 (×2: b4 b5) 10 (×2) 5 0 (×2)
   w      0        2   3              5       7 8
   score  1        2   2              3       4 5            → R 2, 3, 2, 1, 2

          R F M   group (days)     class (10/20/30/40)   class (40/10/10/40)
b1, b2    1 1 1   dormant (400)    D                     D
b3        2 1 2   mid-term (200)   D                     D
b4        2 1 2   active (30)      D                     D
b5        2 3 3   active (30)      C                     C
b6        3 1 3   active (10)      C                     B
b7        3 4 3   active (10)      C                     A
b8        4 4 4   active (5)       B                     A
b9/b10    5 5 5   active (0)       A / B (by code)       A

ABC: by net sales, then frequency, then member code: positions 1-2 b9/b10
(lower code first), 3 b8, 4 b7 (5,000, F 3), 5 b6 (5,000, F 1), 6 b5, 7-8
b3/b4, 9-10 b1/b2. Classes end at ⌈10·10/100⌉ = 1, ⌈10·30/100⌉ = 3,
⌈10·60/100⌉ = 6: A 1 (20,000 fen), B 2 (29,000), C 3 (13,000), D 4 (6,000);
zombie 2. Heavy = A + B = 3, light = C + D = 7. Pareto: top ⌈10/5⌉ = 2 bring
40,000 of 68,000.
With shares A 40 / B 10 / C 10 / D 40: ends at 4, 5, 6: A b9 b10 b8 b7 (the
5,000 tie split by frequency), B b6, C b5, D b1-b4.

The former rule ("distinct": ranks of the distinct values) on the same history:
F {1, 2, 3, 4, 6} → 1..5; M and R 6 distinct values → 1, 1, 2, 3, 4, 5;
A = F ≥ 4 and M ≥ 4 = b8 b9 b10, B none, C the other 7, D = never purchased 2.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from pos.analytics import segments
from pos.errors import DomainError
from pos.rules import program
from pos.services import members
from pos.store import program_store
from pos.store.models import MemberTag, Sale, SaleLine

AS_OF = dt.date(2026, 11, 23)
PLAN = {  # name: (frequency, monetary, days before AS_OF of the last ticket)
    "b1": (1, 1000, 400), "b2": (1, 1000, 400), "b3": (1, 2000, 200), "b4": (1, 2000, 30), "b5": (2, 3000, 30),
    "b6": (1, 5000, 10), "b7": (3, 5000, 10), "b8": (4, 9000, 5), "b9": (6, 20000, 0), "b10": (6, 20000, 0),
}
_seq = iter(range(1, 10**7))


def ticket(s, db, mid, day: dt.date, net: int, qty: int = 1, kind: str = "sale", original=None, line_of=None):
    when = db.clock.start_of_day(day) + dt.timedelta(hours=12)
    sale = Sale(id=uuid.uuid4(), receipt_no=f"B-{next(_seq):07d}", kind=kind, store_code="S001", register_no="01",
                business_date=day, created_at=when, member_id=mid, original_sale_id=original, gross_fen=net,
                net_fen=net, paid_fen=net, spend_fen=net, units=qty)  # as checkout and returns write it
    line = SaleLine(id=uuid.uuid4(), sale_id=sale.id, line_no=1, code="X", name="x", category="c", points_class="regular",
                    qty=qty, unit_fen=abs(net), gross_fen=net, net_fen=net, returns_line_id=line_of)
    s.add(sale)
    s.add(line)
    return sale, line


def history(s, db, mid, f: int, money: int, days: int) -> None:
    """f tickets adding up to `money`, the last `days` before AS_OF, earlier ones a day apart before it."""
    last = AS_OF - dt.timedelta(days=days)
    for i in range(f):
        ticket(s, db, mid, last - dt.timedelta(days=i), money // f + (money % f if i == 0 else 0))


def install(db, **seg) -> None:
    """The vancl preset, with a `segments` section when given (a new version)."""
    doc = program.to_json(program.preset("vancl"))
    if seg:
        doc = doc | {"version": f"{doc['version']}-seg{next(_seq)}", "segments": seg}
    program_store.install(db, program.parse(doc))


@pytest.fixture
def hand(db, clock):
    install(db)
    clock.set(dt.datetime(2025, 1, 1, 9, 0))
    ids = {name: members.register(db, f"1390016{i:04d}").id for i, name in enumerate([*PLAN, "r", "z"], 1)}
    with db.transaction() as s:
        for name, (f, money, days) in PLAN.items():
            history(s, db, uuid.UUID(ids[name]), f, money, days)
        sale, line = ticket(s, db, uuid.UUID(ids["r"]), AS_OF - dt.timedelta(days=30), 2000)
        ticket(s, db, uuid.UUID(ids["r"]), AS_OF - dt.timedelta(days=29), -2000, qty=-1, kind="return",
               original=sale.id, line_of=line.id)
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    return db, ids


def codes(db, ids) -> dict[str, str]:
    return {name: members.detail(db, mid).member_code for name, mid in ids.items()}


def test_rfm_scores_by_quintile_of_buyers_ties_share_the_lower_score(hand):
    db, ids = hand
    rows = {m["id"]: m for m in segments.members(db, AS_OF, limit=100)}
    got = {name: (rows[ids[name]]["r"], rows[ids[name]]["f"], rows[ids[name]]["m"]) for name in PLAN}
    assert got == {"b1": (1, 1, 1), "b2": (1, 1, 1), "b3": (2, 1, 2), "b4": (2, 1, 2), "b5": (2, 3, 3),
                   "b6": (3, 1, 3), "b7": (3, 4, 3), "b8": (4, 4, 4), "b9": (5, 5, 5), "b10": (5, 5, 5)}
    assert ids["r"] not in rows and ids["z"] not in rows  # never purchased: no score
    sg = segments.segmentation(db, AS_OF)
    assert sg.rfm_rule == "buyers" and "strictly worse" in sg.rule and "10 %" in sg.rule
    span = lambda d: [(x["score"], x["members"], x["min"], x["max"]) for x in sg.score_ranges[d]]  # noqa: E731
    assert span("f") == [(1, 5, 1, 1), (3, 1, 2, 2), (4, 2, 3, 4), (5, 2, 6, 6)]  # no F2: the tie keeps score 1
    assert span("m") == [(1, 2, 1000, 1000), (2, 2, 2000, 2000), (3, 3, 3000, 5000), (4, 1, 9000, 9000),
                         (5, 2, 20000, 20000)]
    assert span("r") == [(1, 2, 400, 400), (2, 3, 30, 200), (3, 2, 10, 10), (4, 1, 5, 5), (5, 2, 0, 0)]
    filled = {(c["r"], c["f"], c["m"]): c["members"] for c in sg.cells if c["members"]}
    assert filled == {(1, 1, 1): 2, (2, 1, 2): 2, (2, 3, 3): 1, (3, 1, 3): 1, (3, 4, 3): 1, (4, 4, 4): 1, (5, 5, 5): 2}
    assert sg.groups == {"active": 7, "recently_lapsed": 0, "mid_lapsed": 1, "dormant": 2, "never_purchased": 2}


def test_abc_pyramid_by_shares_and_zombies_apart(hand):
    db, ids = hand
    code = codes(db, ids)
    top, second = sorted(["b9", "b10"], key=code.get)  # the exact tie is ordered by member code
    sg = segments.segmentation(db, AS_OF)
    assert (sg.members, sg.buyers, sg.zombies) == (12, 10, 2)
    assert [(a["class"], a["members"], a["sales_fen"], a["share_buyers"]) for a in sg.abc] == [
        ("A", 1, 20000, 0.1), ("B", 2, 29000, 0.2), ("C", 3, 13000, 0.3), ("D", 4, 6000, 0.4)]
    assert sg.abc[0]["share_members"] == 1 / 12 and sg.abc_shares == {"A": 10, "B": 20, "C": 30, "D": 40}
    assert sg.value == {"heavy": 3, "light": 7, "zombie": 2}
    assert sg.pareto == {"buyers": 10, "top_buyers": 2, "top_sales_fen": 40000, "sales_fen": 68000,
                         "top_share": 40000 / 68000}
    abc_table = sg.abc_tables()[0]
    assert [r[:2] for r in abc_table.rows] == [["A", 1], ["B", 2], ["C", 3], ["D", 4], ["zombie", 2]]
    # the drill-down lists hold exactly the members the counts say, in the pyramid's order
    name = {v: k for k, v in ids.items()}
    names = lambda **kw: [name[m["id"]] for m in segments.members(db, AS_OF, **kw)]  # noqa: E731
    assert names(abc="A") == [top]
    assert names(abc="B") == [second, "b8"]
    assert names(abc="C") == ["b7", "b6", "b5"]
    assert sorted(names(abc="D")) == ["b1", "b2", "b3", "b4"]
    assert sorted(names(abc="zombie")) == sorted(names(value="zombie")) == sorted(names(group="never_purchased")) == ["r", "z"]
    assert sorted(names(value="heavy")) == sorted([top, second, "b8"])
    assert len(names(value="light")) == 7 and "r" not in names(value="light")
    rows = {m["id"]: m["abc"] for m in segments.members(db, AS_OF, limit=100)}
    assert Counter(rows.values()) == {"A": 1, "B": 2, "C": 3, "D": 4}


def test_shares_are_a_program_setting(hand):
    db, ids = hand
    install(db, abc_shares={"a": 40, "b": 10, "c": 10, "d": 40})
    sg = segments.segmentation(db, AS_OF)
    assert [a["members"] for a in sg.abc] == [4, 1, 1, 4] and sg.abc_shares == {"A": 40, "B": 10, "C": 10, "D": 40}
    assert "40 %" in sg.rule
    name = {v: k for k, v in ids.items()}
    assert sorted(name[m["id"]] for m in segments.members(db, AS_OF, abc="A")) == ["b10", "b7", "b8", "b9"]
    assert [name[m["id"]] for m in segments.members(db, AS_OF, abc="B")] == ["b6"]  # 5,000 split by frequency
    assert sg.value == {"heavy": 5, "light": 5, "zombie": 2}
    # a program document can also ask for the former rule
    install(db, rfm_rule="distinct")
    assert segments.segmentation(db, AS_OF).rfm_rule == "distinct"
    assert segments.segmentation(db, AS_OF, rule="buyers").rfm_rule == "buyers"  # the call wins


@pytest.mark.parametrize("seg, why", [
    ({"abc_shares": {"a": 10, "b": 20, "c": 30, "d": 30}}, "sum to 100"),
    ({"abc_shares": {"a": 0, "b": 30, "c": 30, "d": 40}}, "greater than or equal to 1"),
    ({"abc_shares": {"a": 10, "b": 20, "c": 30, "d": 40.0}}, "valid integer"),
    ({"rfm_rule": "quantile"}, "'buyers' or 'distinct'"),
    ({"abc": {"a": 10}}, "Extra inputs"),
])
def test_segments_setting_is_validated(seg, why):
    doc = program.to_json(program.preset("vancl")) | {"segments": seg}
    with pytest.raises(DomainError) as e:
        program.parse(doc)
    assert why in e.value.message("en") and "segments" in e.value.message("en")


def test_presets_and_older_documents_dump_as_before():
    for path in sorted(program.PRESETS.glob("*.json")):
        doc = program.preset(path.stem)
        assert doc.segments is None and doc.segment_settings.rfm_rule == "buyers"
        assert "segments" not in program.to_json(doc)  # a published version's document is unchanged
    partial = program.to_json(program.preset()) | {"segments": {"abc_shares": {"a": 20, "b": 20, "c": 20}}}
    assert program.parse(partial).segment_settings.abc_shares.d == 40  # a share left out keeps its default
    d = program.parse(program.to_json(program.preset()) | {"segments": {"rfm_rule": "distinct"}})
    assert program.to_json(d)["segments"] == {"rfm_rule": "distinct", "abc_shares": {"a": 10, "b": 20, "c": 30, "d": 40}}
    assert program.parse(program.to_json(d)) == d


def test_rule_distinct_gives_the_former_figures(hand):
    db, ids = hand
    sg = segments.segmentation(db, AS_OF, rule="distinct")
    assert sg.rfm_rule == "distinct" and "dense_rank" in sg.rule
    assert [(a["class"], a["members"]) for a in sg.abc] == [("A", 3), ("B", 0), ("C", 7), ("D", 2)]
    assert sg.value == {"heavy": 3, "light": 7, "zombie": 2}
    assert [(x["score"], x["min"], x["max"]) for x in sg.score_ranges["f"]] == [
        (1, 1, 1), (2, 2, 2), (3, 3, 3), (4, 4, 4), (5, 6, 6)]
    name = {v: k for k, v in ids.items()}
    assert sorted(name[m["id"]] for m in segments.members(db, AS_OF, abc="D", rule="distinct")) == ["r", "z"]
    assert sorted(name[m["id"]] for m in segments.members(db, AS_OF, abc="A", rule="distinct")) == ["b10", "b8", "b9"]
    with pytest.raises(ValueError, match="rule must be one of"):
        segments.segmentation(db, AS_OF, rule="quintile")


def test_tags_follow_the_classes_of_the_rule(hand):
    db, ids = hand
    T = segments.SEGMENT_TAGS

    def derived(mid):
        with db.read() as s:
            return sorted(s.scalars(select(MemberTag.tag).where(
                MemberTag.member_id == uuid.UUID(mid), MemberTag.source == "derived")))

    r = segments.write_tags(db, AS_OF)
    assert r["counts"][T["heavy"]] == 3 and r["counts"][T["light"]] == 7 and r["counts"][T["zombie"]] == 2
    assert derived(ids["b8"]) == sorted([T["active"], T["heavy"]])
    assert derived(ids["b7"]) == sorted([T["active"], T["light"]])
    r = segments.write_tags(db, AS_OF, rule="distinct")  # b7 stays light, nothing else moves
    assert (r["added"], r["removed"]) == (0, 0)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(MemberTag).where(MemberTag.source == "derived")) == 10 * 2 + 2


def test_cli_rule_option(hand, capsys, monkeypatch):
    import main

    db, _ = hand
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T10:00")
    path = str(db.path)
    assert main.main(["report", "abc", "--db", path, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["members"] for a in data["abc"]] == [1, 2, 3, 4] and data["zombies"] == 2
    assert data["rfm_rule"] == "buyers" and data["abc_shares"]["D"] == 40 and "strictly worse" in data["rule"]
    assert main.main(["report", "abc", "--db", path, "--rule", "distinct", "--format", "json"]) == 0
    assert [a["members"] for a in json.loads(capsys.readouterr().out)["abc"]] == [3, 0, 7, 2]
    assert main.main(["report", "abc", "--db", path, "--format", "csv", "--table", "abc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("A,1,") and lines[5].startswith("zombie,2,")
    assert main.main(["report", "abc", "--db", path]) == 0
    assert "zombie (never purchased): 2 members" in capsys.readouterr().out
    assert main.main(["report", "rfm", "--db", path, "--rule", "buyers", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["value"] == {"heavy": 3, "light": 7, "zombie": 2}
    assert main.main(["segments", "tag", "--db", path, "--rule", "buyers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 22
    with pytest.raises(SystemExit):
        main.main(["report", "rfm", "--db", path, "--rule", "quintile"])
    assert "invalid choice" in capsys.readouterr().err


# --- a long-tailed history -----------------------------------------------------------------

N_BUYERS = 2003
FREQ = [1] * 1402 + [2] * 201 + [3] * 150 + [4] * 100 + [5] * 80 + [7] * 50 + [12] * 20  # 70 % buy once
N_ZOMBIES = 40


@pytest.fixture
def long_tail(db, clock):
    """2,003 buyers, 1,402 (70 %) with one ticket; amounts in whole yuan (many ties),
    last purchases over two years (several members a day), 40 never purchased."""
    assert len(FREQ) == N_BUYERS
    install(db)
    clock.set(dt.datetime(2024, 6, 1, 9, 0))
    rnd = random.Random(15)
    ids = [members.register(db, f"137{i:08d}").id for i in range(N_BUYERS + N_ZOMBIES)]
    plan = {}
    with db.transaction() as s:
        for mid, f in zip(ids, FREQ):
            money = sum(rnd.choice((39, 59, 99, 129, 199, 299, 499)) * 100 for _ in range(f))
            days = rnd.randrange(0, 720 - f)
            history(s, db, uuid.UUID(mid), f, money, days)
            plan[mid] = (f, money, days)
    clock.set(dt.datetime(2026, 11, 23, 10, 0))
    return db, plan


def expected_scores(values: dict[str, int], worse_is_smaller: bool = True) -> dict[str, int]:
    """The rule, member by member: 1 + ⌊5·(buyers strictly worse)/n⌋."""
    n = len(values)
    counts = Counter(values.values())
    below, acc = {}, 0
    for v in sorted(counts, reverse=not worse_is_smaller):
        below[v] = acc
        acc += counts[v]
    return {k: 1 + 5 * below[v] // n for k, v in values.items()}


def test_long_tailed_history_spreads_buyers_over_the_scores(long_tail):
    db, plan = long_tail
    rows = {m["id"]: m for m in segments.members(db, AS_OF, limit=10**6)}
    assert len(rows) == N_BUYERS
    # frequency: 70 % bought once, a tie no score boundary may split: all of them score 1;
    # F = 2 have w = 1,402 → 1 + ⌊5·1402/2003⌋ = 4; F ≥ 3 have w ≥ 1,603 → 5
    f_share = Counter(m["f"] for m in rows.values())
    assert f_share == {1: 1402, 4: 201, 5: 400}
    for dim, col, key in (("f", "frequency", lambda p: p[0]), ("m", "monetary_fen", lambda p: p[1]),
                          ("r", "days_since", lambda p: p[2])):
        got = {mid: m[dim] for mid, m in rows.items()}
        values = {mid: m[col] for mid, m in rows.items()}
        assert values == {mid: key(p) for mid, p in plan.items()}  # the history is what the plan says
        assert got == expected_scores(values, worse_is_smaller=dim != "r")
        by_value: dict[int, set[int]] = {}
        for mid, v in values.items():
            by_value.setdefault(v, set()).add(got[mid])
        assert all(len(s) == 1 for s in by_value.values())  # no tie is split
        if dim != "f":  # many values: every score holds about 20 % (off by at most the tie at its edge)
            biggest_tie = max(Counter(values.values()).values())
            share = Counter(got.values())
            assert set(share) == {1, 2, 3, 4, 5}
            assert all(abs(share[s] - N_BUYERS / 5) <= biggest_tie for s in share), (dim, share, biggest_tie)
    sg = segments.segmentation(db, AS_OF)
    assert sum(c["members"] for c in sg.cells) == N_BUYERS
    assert [x["members"] for x in sg.score_ranges["f"]] == [1402, 201, 400]
    # ABC: ends at ⌈2003·10/100⌉ = 201, ⌈2003·30/100⌉ = 601, ⌈2003·60/100⌉ = 1202
    counts = [a["members"] for a in sg.abc]
    assert counts == [201, 400, 601, 801]
    assert all(abs(n - N_BUYERS * pct / 100) <= 1 for n, pct in zip(counts, (10, 20, 30, 40)))
    assert sg.zombies == N_ZOMBIES and sg.value == {"heavy": 601, "light": 1402, "zombie": N_ZOMBIES}
    # the classes are the ranking by (net sales, frequency, member code) cut at those positions
    order = sorted(rows.values(), key=lambda m: (-m["monetary_fen"], -m["frequency"], m["member_code"]))
    want = {m["id"]: "A" if i < 201 else "B" if i < 601 else "C" if i < 1202 else "D" for i, m in enumerate(order)}
    assert {mid: m["abc"] for mid, m in rows.items()} == want
    assert sum(a["sales_fen"] for a in sg.abc[:1]) == sum(m["monetary_fen"] for m in order[:201])
    for cls, n in zip("ABCD", counts):  # the drill-down lists agree with the counts
        assert len(segments.members(db, AS_OF, abc=cls, limit=10**6)) == n
    # the former rule on the same history: nearly everyone in frequency score 1
    old = segments.segmentation(db, AS_OF, rule="distinct")
    assert old.score_ranges["f"][0]["members"] == 1402 + 201  # F 1 and 2 share score 1 of 7 distinct values
    assert [a["members"] for a in old.abc][3] == N_ZOMBIES  # D = never purchased
