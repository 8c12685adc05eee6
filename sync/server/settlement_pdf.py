"""The alliance settlement as a PDF (issue 17): `hq alliance settle ... --pdf FILE` and
`hq alliance statement M ... --pdf FILE`.

Pure rendering: the very dict that `--json` prints goes in, PDF bytes come out; no figure is
computed here. Money is printed with the text output's helpers (`sync.alliance_cli._yuan`,
`_net`), so the PDF shows what the terminal shows. Headings are bilingual, Chinese first;
merchant names are Chinese, so non-ASCII runs are set in reportlab's built-in CID font
STSong-Light (no font file), the rest in Helvetica. reportlab is imported only when a PDF is
asked for; `write()` replaces the file atomically (a failure leaves no half file).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
from types import SimpleNamespace
from typing import Any, Callable
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..alliance_cli import _net, _yuan
from .alliance_models import ALLIANCE

CJK_FONT = "STSong-Light"
NEEDS = 'pip install "memberpos[hq]"'


class PdfUnavailable(RuntimeError):
    """reportlab is not installed."""


def require() -> SimpleNamespace:
    """What the rendering needs of reportlab (rl.Table, rl.mm, ...), the CID font registered;
    PdfUnavailable without reportlab."""
    try:
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    except ImportError:
        raise PdfUnavailable(f"--pdf needs reportlab ({NEEDS})") from None
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return SimpleNamespace(colors=colors, TA_RIGHT=TA_RIGHT, A4=A4, ParagraphStyle=ParagraphStyle, mm=mm,
                           Paragraph=Paragraph, SimpleDocTemplate=SimpleDocTemplate, Spacer=Spacer, Table=Table,
                           TableStyle=TableStyle)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _markup(text: str) -> str:
    """Paragraph markup of `text`: non-ASCII runs (Chinese) in the CID font, the rest in the style's font."""
    out, at = [], 0
    for m in _NON_ASCII.finditer(text):
        out.append(escape(text[at:m.start()]))
        out.append(f'<font face="{CJK_FONT}">{escape(m.group())}</font>')
        at = m.end()
    out.append(escape(text[at:]))
    return "".join(out)


class _Page:
    """Styles and table builders over one A4 page width."""

    def __init__(self, rl):
        self.rl = rl
        ps = rl.ParagraphStyle
        self.width = rl.A4[0] - 30 * rl.mm
        self.title = ps("title", fontName="Helvetica-Bold", fontSize=15, leading=20, spaceAfter=4)
        self.h2 = ps("h2", fontName="Helvetica-Bold", fontSize=11, leading=15, spaceBefore=8, spaceAfter=3)
        self.body = ps("body", fontName="Helvetica", fontSize=8.5, leading=11)
        self.head = ps("head", parent=self.body, fontName="Helvetica-Bold")
        self.h3 = ps("h3", parent=self.head, spaceBefore=5, spaceAfter=2)
        self.num = ps("num", parent=self.body, alignment=rl.TA_RIGHT)
        self.num_head = ps("num_head", parent=self.head, alignment=rl.TA_RIGHT)

    def p(self, text: str, style=None):
        return self.rl.Paragraph(_markup(text), style or self.body)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], numeric_from: int,
              bold_last: bool = False):
        """Columns from `numeric_from` on are right-aligned figures; the header ("中文|English": two
        lines) repeats on each page."""
        rl = self.rl

        def head(h: str, style):
            return rl.Paragraph("<br/>".join(_markup(part) for part in h.split("|")), style)

        cells = [[head(h, self.num_head if i >= numeric_from else self.head) for i, h in enumerate(header)]]
        cells += [[self.p(c, self.num if i >= numeric_from else self.body) for i, c in enumerate(r)] for r in rows]
        total = sum(widths)
        t = rl.Table(cells, colWidths=[w * self.width / total for w in widths], repeatRows=1)
        style = [("LINEBELOW", (0, 0), (-1, 0), 0.8, rl.colors.black),
                 ("LINEBELOW", (0, 1), (-1, -1), 0.25, rl.colors.grey),
                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("BACKGROUND", (0, 0), (-1, 0), rl.colors.Color(0.92, 0.92, 0.92))]
        if bold_last and rows:
            style.append(("BACKGROUND", (0, -1), (-1, -1), rl.colors.Color(0.96, 0.96, 0.9)))
        t.setStyle(rl.TableStyle(style))
        return t

    def facts(self, pairs: list[tuple[str, str]]):
        """Label / value lines (the statement's head)."""
        rl = self.rl
        t = rl.Table([[self.p(k, self.head), self.p(v)] for k, v in pairs],
                     colWidths=[0.3 * self.width, 0.7 * self.width])
        t.setStyle(rl.TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                  ("TOPPADDING", (0, 0), (-1, -1), 1)]))
        return t


def _build(title: str, story: Callable[[_Page], list]) -> bytes:
    rl = require()
    page = _Page(rl)
    buf = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(15 * rl.mm, 9 * rl.mm, "memberpos")
        canvas.drawRightString(rl.A4[0] - 15 * rl.mm, 9 * rl.mm, f"{doc.page}")
        canvas.restoreState()

    doc = rl.SimpleDocTemplate(buf, pagesize=rl.A4, leftMargin=15 * rl.mm, rightMargin=15 * rl.mm,
                               topMargin=15 * rl.mm, bottomMargin=16 * rl.mm, title=title, author="memberpos",
                               invariant=1)  # the same dict gives the same bytes (no timestamp, no random id)
    doc.build(story(page), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _who(code: str, names: dict[str, str]) -> str:
    if code == ALLIANCE:
        return f"{ALLIANCE} 联盟运营方 operator"
    name = names.get(code)
    return f"{code} {name}" if name and name != code else code


def _local(at: str | None, tz: str) -> str:
    """A row's time (ISO, UTC in the dict) in the period's zone, to the second."""
    if not at:
        return "-"
    try:
        t = dt.datetime.fromisoformat(at).astimezone(ZoneInfo(tz))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return at
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _status(doc: dict[str, Any]) -> str:
    """As the text output: closed, closed before (the same period asked again)."""
    if doc.get("already_closed"):
        return "此前已结 closed before"
    return "已结 closed" if doc.get("closed") else "未结 open (not closed)"


def settlement_pdf(doc: dict[str, Any], names: dict[str, str] | None = None) -> bytes:
    """`hq alliance settle --json`'s dict as a PDF: the period, who owes whom, net per merchant,
    the operator's line and the totals. `names`: merchant code -> name (shown beside the code)."""
    names = names or {}
    p = doc["period"]

    def story(pg: _Page) -> list:
        rl = pg.rl
        out = [pg.p("联盟结算单 Alliance settlement statement", pg.title),
               pg.facts([("结算期 Period", f"{p['from']} .. {p['to']}"),
                         ("时区 Time zone", p["tz"]),
                         ("手续费率 Fee rate", f"{doc['fee_bps'] / 100:.2f}%"),
                         ("状态 Status", _status(doc)),
                         ("联盟规则 Alliance rules", doc.get("alliance_version") or "-"),
                         ("结算时间 Closed at", doc.get("closed_at") or "-"),
                         ("结算单号 Statement id", doc.get("id") or "-"),
                         ("结算行数 Rows settled", str(doc.get("rows", 0))),
                         ("金额单位 Amounts", "元 yuan")])]
        out.append(pg.p("商户间应付 Who owes whom (debtor owes creditor)", pg.h2))
        if doc["pairs"]:
            out.append(pg.table(
                ["付方|Debtor", "收方|Creditor", "金额|Amount", "购物币|Coins", "优惠券|Coupons", "调整|Adjustments",
                 "手续费|Fee"],
                [[_who(r["debtor"], names), _who(r["creditor"], names), _yuan(r["total_fen"]), _yuan(r["coins_fen"]),
                  _yuan(r["coupons_fen"]), _yuan(r["adjustments_fen"]), _yuan(r["fee_fen"])] for r in doc["pairs"]],
                [3.1, 3.1, 1.6, 1.5, 1.6, 2.0, 1.3], numeric_from=2))
        else:
            out.append(pg.p("本期无跨商户往来 Nothing owed between merchants in this period"))
        out.append(pg.p("各商户净额 Net per merchant (+ 收 receives, - 付 pays)", pg.h2))
        book = doc["merchants"]
        order = [m for m in book if m != ALLIANCE] + [m for m in book if m == ALLIANCE]  # the operator last
        out.append(pg.table(
            ["商户|Merchant", "净额|Net", "应收|Receivable", "应付|Payable", "手续费|Fee", "自家兑付|Own redemptions"],
            [[_who(m, names), _net(book[m]["net_fen"]), _yuan(book[m]["receivable_fen"]), _yuan(book[m]["payable_fen"]),
              _yuan(book[m]["fee_fen"]), _yuan(book[m].get("own_redemptions_fen", 0))] for m in order],
            [3.6, 1.7, 1.7, 1.7, 1.4, 1.9], numeric_from=1, bold_last=ALLIANCE in book))
        t = doc.get("totals") or {}
        out.append(pg.p("合计 Totals", pg.h2))
        out.append(pg.facts([("跨商户金额 Cross-merchant", _yuan(t.get("cross_fen", 0))),
                             ("手续费 Fees", _yuan(t.get("fees_fen", 0))),
                             ("调整 Adjustments", _yuan(t.get("adjustments_fen", 0))),
                             ("净额合计 Net sum", _net(t.get("net_sum_fen", 0)))]))
        out.append(rl.Spacer(1, 4 * rl.mm))
        return out

    return _build(f"结算单 Settlement {p['from']}..{p['to']}", story)


def statement_pdf(doc: dict[str, Any], names: dict[str, str] | None = None) -> bytes:
    """`hq alliance statement M --json`'s dict as a PDF: each closed period of the range and the
    open preview after the last close, each with the merchant's net, its pairs and its rows."""
    names = names or {}
    m = doc["merchant"]

    def story(pg: _Page) -> list:
        out = [pg.p("商户结算明细 Merchant settlement statement", pg.title),
               pg.facts([("商户 Merchant", _who(m, names)), ("期间 Range", f"{doc['from']} .. {doc['to']}"),
                         ("金额单位 Amounts", "元 yuan")])]
        periods = doc["periods"] + ([doc["open"]] if doc.get("open") else [])
        if not periods:
            out.append(pg.p("此期间无结算 Nothing to settle in this range", pg.h2))
        for per in periods:
            pp, a = per["period"], per["account"]
            state = "已结 closed" if per["closed"] else "未结预览 open (not closed)"
            out.append(pg.p(f"{pp['from']} .. {pp['to']} ({pp['tz']}) {state}", pg.h2))
            out.append(pg.table(["净额|Net", "应收|Receivable", "应付|Payable", "手续费|Fee", "自家兑付|Own redemptions",
                                 "手续费率|Fee rate"],
                                [[_net(a["net_fen"]), _yuan(a["receivable_fen"]), _yuan(a["payable_fen"]),
                                  _yuan(a["fee_fen"]), _yuan(a.get("own_redemptions_fen", 0)),
                                  f"{per['fee_bps'] / 100:.2f}%"]],
                                [1, 1, 1, 1, 1.2, 1], numeric_from=0))
            if per["pairs"]:
                out.append(pg.p("商户间应付 Who owes whom", pg.h3))
                out.append(pg.table(["付方|Debtor", "收方|Creditor", "金额|Amount", "购物币|Coins", "优惠券|Coupons",
                                     "调整|Adjustments", "手续费|Fee"],
                                    [[_who(r["debtor"], names), _who(r["creditor"], names), _yuan(r["total_fen"]),
                                      _yuan(r["coins_fen"]), _yuan(r["coupons_fen"]), _yuan(r["adjustments_fen"]),
                                      _yuan(r["fee_fen"])] for r in per["pairs"]],
                                    [3.1, 3.1, 1.6, 1.5, 1.6, 2.0, 1.3], numeric_from=2))
            rows = per["entries"]
            out.append(pg.p(f"明细 Rows: {len(rows)}", pg.h3))
            if rows:
                out.append(pg.table([f"时间|Time ({pp['tz']})", "类型|Kind", "门店|Store", "付方 -> 收方|Issuer -> redeemer",
                                     "购物币|Coins", "金额|Amount"],
                                    [[_local(r.get("at"), pp["tz"]), r.get("kind") or r["source"],
                                      r.get("store") or "-", f"{r['debtor']} -> {r['creditor']}",
                                      str(r.get("coins") or 0), _yuan(r["amount_fen"])] for r in rows],
                                    [2.3, 1.6, 1, 2.6, 1, 1.3], numeric_from=4))
        return out

    return _build(f"结算明细 Statement {m} {doc['from']}..{doc['to']}", story)


def write(path: str | os.PathLike, data: bytes) -> None:
    """`data` to `path` atomically: a temp file in the same directory, then os.replace; on any
    failure the temp file is removed and `path` is as it was (OSError raised)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)  # mkstemp's 0600 -> what a plain open() would give
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
