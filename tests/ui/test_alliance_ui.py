"""Issue 17 at the till: the member panel shows the alliance card's shopping coins apart from
this merchant's points, the payment dialog takes coins by Ctrl+F1 (at most what they can pay),
and the receipt says the coins earned, spent and left (real Qt widgets, a real SQLite store)."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from app import dialogs, i18n
from app.member_panel import MemberPanelWidget
from devices.receipt import layout, receipt_from_sale, render_text
from pos.rules import program as pos_program
from pos.rules.pricing import Tender
from pos.services import catalog, members
from pos.services.checkout import Checkout
from pos.services.member_view import panel
from pos.store import program_store
from pos.store.coin_models import AllianceProgram
from pos.store.database import open_db

CATALOG = "barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n"
TOWEL = "6901234567892"


def bakery(tmp_path):
    db = open_db(tmp_path / "bakery.sqlite3")
    doc = pos_program.to_json(program_store.ensure_default(db))
    doc["version"], doc["coins"] = "bakery-1", {"earn_per_yuan": 3}
    program_store.install(db, pos_program.parse(doc))
    rules = {"version": "east-1", "name": {"zh": "城东联盟", "en": "East Side Alliance"}}
    with db.transaction() as s:
        s.add(AllianceProgram(version="east-1", document=pos_program.alliance_json(pos_program.parse_alliance(rules)),
                              installed_at=dt.datetime.now(dt.timezone.utc), active=True))
    (tmp_path / "c.csv").write_text(CATALOG)
    assert catalog.import_csv(db, tmp_path / "c.csv").ok
    return db


def test_panel_coins_tender_and_receipt(qtbot, tmp_path):
    db = bakery(tmp_path)
    m = members.register(db, "13900001111", name="李梅")
    co = Checkout(db)
    co.add(TOWEL, 2)
    co.attach_member_id(m.id)
    co.pay([Tender("cash", co.quote().net_fen)])  # 100 yuan: 300 coins
    p = panel(db, program_store.active(db), m.id)
    assert (p.coins, p.coins_available, p.coin_value_fen) == (300, 300, 1)
    w = MemberPanelWidget()
    qtbot.addWidget(w)
    w.show_panel(p)
    # (the zh_CN wording comes with the lead's next .qm: the source text until then)
    name = p.alliance_en if i18n.current() == "en" else p.alliance_zh
    assert w.coins.text().startswith("300") and "300" in w.coins.text()[3:] and name in w.coins.text()
    assert not w.coins.isHidden() and w.points.text() != w.coins.text()

    co = Checkout(db)
    co.add(TOWEL)
    co.attach_member_id(m.id)
    due = co.quote().net_fen
    dlg = dialogs.PaymentDialog(None, due, None, coins_fen=p.coins_available * p.coin_value_fen)
    qtbot.addWidget(dlg)
    assert dlg.buttons_by_type["coins"].isEnabled()
    dlg.amount.setText("4")  # more than the coins can pay: refused, nothing taken
    dlg.add_tender("coins")
    assert dlg.tenders == []
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    dlg.amount.setText("2.5")
    assert dlg.buttons_by_type["coins"].text().startswith("Ctrl+F1 ")
    dlg.buttons_by_type["coins"].click()  # the tender key's button
    assert dlg.tenders == [Tender("coins", 250)]
    dlg.amount.setText(f"{(due - 250) / 100:.2f}")
    dlg.buttons_by_type["cash"].click()
    r = co.pay(dlg.tenders)
    assert r.coins["spent"] == 250 and r.coins["earned"] == 142 and r.coins["balance_after"] == 192
    text = render_text(layout(receipt_from_sale(r, store_name="麦香面包"), 32), 32)
    assert "购物币" in text and "使用购物币" in text and "本次获得购物币" in text and "购物币余额" in text
    assert "192" in text.split("购物币余额")[1].splitlines()[0]
    # no alliance at a store: no coins row, no coins key
    plain = open_db(tmp_path / "plain.sqlite3")
    program_store.ensure_default(plain)
    m2 = members.register(plain, "13900002222")
    p2 = panel(plain, program_store.active(plain), m2.id)
    assert p2.coins is None
    w.show_panel(p2)
    assert w.coins.isHidden()
    d2 = dialogs.PaymentDialog(None, 1000, None)
    qtbot.addWidget(d2)
    assert not d2.buttons_by_type["coins"].isEnabled()
