"""Receipts: ESC/POS bytes to a file, the PNG preview, status, and the reprint queue."""
from __future__ import annotations

import io
import socket
import threading

import pytest
from PIL import Image

from devices.config import PrinterSettings, SerialSettings
from devices.escpos_job import code128_data, job_bytes
from devices.printer import PrinterStatus, ReceiptPrinter, parse_paper
from devices.receipt import COLUMNS, layout, receipt_from_sale, render_text
from devices.receipt_png import fonts, render_png
from devices.reprint_queue import ReprintQueue

PHONE = "+8613800138000"
NAME = "王小明"
STORE = "凡客诚品 朝阳店"
GS_K_CODE128 = b"\x1dkI"  # GS k 73: CODE128
GS_QR = b"\x1d(k"  # GS ( k: 2D code (QR)
DRAWER = b"\x1bp"  # ESC p: drawer kick


def sale(tender: str = "cash", receipt_no: str = "S001-01-20261123-0001") -> dict:
    return {
        "sale_id": "0190f0e0-0000-7000-8000-000000000001", "receipt_no": receipt_no, "kind": "sale",
        "member": {"id": "m1", "tier_before": "member", "tier_after": "vip", "points_balance": 1208},
        "lines": [{"code": "6901234567892", "name": "农夫山泉 天然水 550ml", "qty": 2, "unit_fen": 200, "gross_fen": 400,
                   "net_fen": 392, "discounts": [{"kind": "tier", "code": "VIP", "amount_fen": 8}], "points": 8,
                   "reward": False}],
        "totals": {"gross_fen": 400, "discount_fen": 8, "net_fen": 392, "paid_fen": 500 if tender == "cash" else 392,
                   "change_fen": 108 if tender == "cash" else 0},
        "points": {"earned": 8, "redeemed": 0, "balance_after": 1208},
        "payments": [{"tender": tender, "amount_fen": 392}], "coupons": [], "promotions": [], "refusals": [],
        "member_saved_fen": 8, "program_version": "vancl-1",
    }


def extras() -> dict:
    return {"member_name": NAME, "member_phone": PHONE, "cashier": "张三", "printed_at": "2026-11-23 10:00",
            "coupons": [{"code": "CP8K2M4Q7T1Z", "title": "满100减10"}]}


def printer(tmp_path, **settings) -> ReceiptPrinter:
    s = PrinterSettings(store_name=STORE, join_url="https://m.example.cn/join?s=S001", **settings)
    return ReceiptPrinter(s, ReprintQueue(tmp_path / "reprint_queue.json"))


@pytest.mark.parametrize("width", [58, 80])
def test_file_backend_output(tmp_path, width):
    out = tmp_path / "printer.bin"
    p = printer(tmp_path, backend="file", path=str(out), width_mm=width)
    outcome = p.print_sale(sale("cash"), **extras())
    assert outcome.printed and not outcome.queued, outcome
    raw = out.read_bytes()
    assert STORE.encode("gb18030") in raw and "农夫山泉".encode("gb18030") in raw  # Chinese as GB18030
    assert "王**".encode("gb18030") in raw and NAME.encode("gb18030") not in raw  # masked name
    assert b"138****8000" in raw and b"13800138000" not in raw  # masked phone only
    assert GS_K_CODE128 + bytes([len(code128_data("S001-01-20261123-0001"))]) + code128_data("S001-01-20261123-0001") in raw
    assert raw.count(GS_QR) >= 5  # the coupon QR (model, size, level, data, print)
    assert b"CP8K2M4Q7T1Z" in raw
    assert raw.startswith(b"\x1b@" + DRAWER)  # cash: the drawer opens first
    assert raw.endswith(b"\x1dVA\x00") or raw.endswith(b"\x1dV\x00") or b"\x1dV" in raw[-8:]  # cut


def test_no_drawer_kick_without_cash(tmp_path):
    r = receipt_from_sale(sale("wechat"), **extras())
    assert DRAWER not in job_bytes(r, 80, drawer_pin=None)
    p = printer(tmp_path, backend="dummy")
    assert p.print_sale(sale("wechat"), **extras()).printed
    assert DRAWER not in p.memory.output
    p.memory.clear()
    assert p.print_sale(sale("cash"), **extras()).printed and DRAWER in p.memory.output


def test_join_link_qr_only_for_non_members(tmp_path):
    p = printer(tmp_path, backend="dummy")
    guest = sale("wechat") | {"member": None}
    p.print_sale(guest)
    assert b"https://m.example.cn/join?s=S001" in p.memory.output
    p.memory.clear()
    p.print_sale(sale("wechat"))
    assert b"join?s=S001" not in p.memory.output


@pytest.mark.parametrize("width", [58, 80])
def test_text_layout_fits_the_paper(width):
    r = receipt_from_sale(sale(), store_name=STORE, **extras())
    cols = COLUMNS[width]
    text = render_text(layout(r, cols), cols)
    from devices.columns import width as w

    assert all(w(line) <= cols for line in text.splitlines())
    assert "王**" in text and "138****8000" in text and "13800138000" not in text
    assert "S001-01-20261123-0001" in text and "3.92" in text


@pytest.mark.parametrize("width,dots", [(58, 384), (80, 576)])
def test_png_preview(tmp_path, width, dots):
    r = receipt_from_sale(sale(), store_name=STORE, **extras())
    png = render_png(r, width)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width == dots + 16 and img.height > 600
    assert img.getextrema()[0] == 0  # something is drawn
    (tmp_path / f"receipt{width}.png").write_bytes(png)


def test_png_preview_without_a_cjk_font_still_renders(monkeypatch):
    import devices.receipt_png as rp

    monkeypatch.setattr(rp, "CJK_FONTS", ())
    monkeypatch.delenv("MEMBERPOS_CJK_FONT", raising=False)
    rp.fonts.cache_clear()
    try:
        assert rp.fonts()[1] is None
        img = Image.open(io.BytesIO(render_png(receipt_from_sale(sale(), store_name=STORE), 58)))
        assert img.width == 400
    finally:
        rp.fonts.cache_clear()


def test_cjk_font_is_used_when_present():
    import os

    if not os.path.exists("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"):
        pytest.skip("no CJK font on this machine")
    assert fonts()[1] is not None


class FakeSerialPrinter:
    """The far end of a pty: answers DLE EOT status queries like a thermal printer."""

    def __init__(self, pty, paper: int = 0x12, online: int = 0x12):
        self.pty, self.paper, self.online = pty, paper, online
        self.received = bytearray()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import os
        import select

        while not self._stop.is_set():
            ready, _, _ = select.select([self.pty.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.pty.master, 4096)
            except OSError:
                return
            self.received += data
            for q, answer in ((b"\x10\x04\x01", self.online), (b"\x10\x04\x04", self.paper)):
                if data.endswith(q):
                    os.write(self.pty.master, bytes([answer]))

    def stop(self):
        self._stop.set()
        self.thread.join(1)


def test_paper_out_queues_the_receipt_and_a_later_reprint_prints_it(tmp_path, make_pty):
    pty = make_pty()
    fake = FakeSerialPrinter(pty, paper=0x72)  # bits 5-6: paper end
    p = printer(tmp_path, backend="serial", serial=SerialSettings(port=pty.path, baudrate=19200), timeout_s=3)
    p.status_wait_s = 3.0  # a busy CI machine may be slow to answer for the fake printer
    try:
        assert p.status() == PrinterStatus(True, "out")
        outcome = p.print_sale(sale("cash"), **extras())
        assert not outcome.printed and outcome.reason == "paper_out" and outcome.queued
        assert "缺纸" in outcome.message() and "paper" in outcome.message("en")
        assert b"S001-01" not in bytes(fake.received)  # nothing but status queries was sent
        jobs = p.queue.pending()
        assert [j.receipt_no for j in jobs] == ["S001-01-20261123-0001"]
        stored = (tmp_path / "reprint_queue.json").read_text(encoding="utf-8")
        assert "13800138000" not in stored and NAME not in stored and "138****8000" in stored
        # still out of paper: the retry fails and the job stays
        [again] = p.retry_queued()
        assert not again.printed and len(p.queue) == 1 and p.queue.pending()[0].attempts == 2
        fake.paper = 0x12  # paper loaded
        [done] = p.retry_queued()
        assert done.printed and len(p.queue) == 0
        deadline = threading.Event()
        for _ in range(100):
            if b"S001-01" in fake.received:
                break
            deadline.wait(0.02)
        assert STORE.encode("gb18030") in bytes(fake.received)
    finally:
        fake.stop()


def test_low_paper_still_prints():
    assert parse_paper(0x1E) == "low" and parse_paper(0x12) == "ok" and parse_paper(0x72) == "out"


def test_offline_network_printer_queues_then_reprint_succeeds(tmp_path):
    with socket.socket() as probe:  # a free port on loopback with nothing listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    p = printer(tmp_path, backend="network", host="127.0.0.1", port=port, timeout_s=2)
    outcome = p.print_sale(sale("wechat"), **extras())
    assert outcome.reason == "offline" and outcome.queued
    assert not p.status().ready

    got = bytearray()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)

    def serve():  # a printer that does not answer status queries (many don't)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(3)
            try:
                while chunk := conn.recv(65536):
                    got.extend(chunk)
            except OSError:
                pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        [done] = p.retry_queued()
        assert done.printed and len(p.queue) == 0
        t.join(5)
        assert b"S001-01-20261123-0001" in got and "王**".encode("gb18030") in got
    finally:
        server.close()


def test_unwritable_file_backend_queues(tmp_path):
    p = printer(tmp_path, backend="file", path=str(tmp_path / "missing-dir" / "out.bin"))
    outcome = p.print_sale(sale())
    assert outcome.reason == "offline" and outcome.queued and "cannot open" in outcome.detail


def test_reprint_from_a_real_sale_result(db, tmp_path):
    from pos.services import members
    from pos.store import program_store
    from pos.services.catalog import import_csv
    from pos.services.checkout import Checkout, Tender

    program_store.ensure_default(db)
    csv = tmp_path / "catalog.csv"
    csv.write_text("barcode,name,category,price_fen,kind\n6901234567892,农夫山泉,饮料,200,regular\n", encoding="utf-8")
    assert import_csv(db, csv).ok
    m = members.register(db, "13800138000", name=NAME, actor="test")
    co = Checkout(db)
    co.add("6901234567892", 3)
    co.attach_member("13800138000")
    result = co.pay([Tender("cash", 1000)])

    p = printer(tmp_path, backend="dummy")
    assert p.print_sale(result, member_name=NAME, member_phone="13800138000").printed
    first = p.memory.output
    assert DRAWER in first and b"138****8000" in first and b"13800138000" not in first
    p.memory.clear()
    assert p.reprint(result.as_dict(), member_name=NAME, member_phone="13800138000").printed
    again = p.memory.output
    assert "重印".encode("gb18030") in again and DRAWER not in again  # a reprint never opens the drawer
    assert result.receipt_no.encode() in again


def test_bad_sale_input_is_a_clear_error(tmp_path):
    p = printer(tmp_path, backend="dummy")
    with pytest.raises(ValueError, match="missing 'totals'"):
        p.print_sale({"receipt_no": "X", "lines": [], "payments": []})
    bad = sale()
    bad["totals"]["net_fen"] = 3.92
    with pytest.raises(ValueError, match=r"sale.totals.net_fen: amounts are integer fen"):
        p.print_sale(bad)


def test_no_printer_configured(tmp_path):
    outcome = printer(tmp_path).print_sale(sale())
    assert outcome.reason == "disabled" and not outcome.queued


def test_damaged_queue_file_is_set_aside(tmp_path):
    path = tmp_path / "reprint_queue.json"
    path.write_text("{not json", encoding="utf-8")
    q = ReprintQueue(path)
    assert q.pending() == []
    assert any(f.name.startswith("reprint_queue.json.damaged-") for f in tmp_path.iterdir())


def test_the_receipt_keeps_only_what_it_shows(tmp_path):
    s = sale() | {"customer_phone": "13800138000"}
    s["member"] = s["member"] | {"phone": "+8613800138000"}
    r = receipt_from_sale(s, member_phone="13800138000", member_name=NAME)
    dumped = r.model_dump_json()
    assert "13800138000" not in dumped and NAME not in dumped and "138****8000" in dumped


def test_a_damaged_job_does_not_block_the_queue(tmp_path):
    p = printer(tmp_path, backend="dummy")
    good = receipt_from_sale(sale(receipt_no="S001-01-20261123-0002"))
    p.queue.add(receipt_from_sale(sale()), "offline")
    p.queue.add(good, "offline")
    import json

    doc = json.loads((tmp_path / "reprint_queue.json").read_text(encoding="utf-8"))
    doc["jobs"][0]["receipt"]["sale"]["totals"] = "broken"
    (tmp_path / "reprint_queue.json").write_text(json.dumps(doc), encoding="utf-8")
    outcomes = p.retry_queued()
    assert [(o.printed, o.receipt_no) for o in outcomes] == [(False, "S001-01-20261123-0001"), (True, "S001-01-20261123-0002")]
    assert len(p.queue) == 0
