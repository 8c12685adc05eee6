"""My member code (`/m/code`, issue 16 item 3): the member's dynamic code as a QR and a
Code 128 barcode, a new one every 30 seconds (pos.rules.dynamic_code; HQ's side
sync.server.member_code). No JavaScript: the page asks the browser to load it again when
the code changes (a `Refresh` header), and a button does the same by hand. The code is
made here, by HQ's clock, with the member's secret — which never leaves HQ but to the tills.
"""
from __future__ import annotations

import base64
import datetime as dt
import io

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from .. import member_code
from . import render, session
from .render import esc, t

router = APIRouter()


def qr_uri(code: str) -> str:
    import segno

    return segno.make(code, error="m").svg_data_uri(scale=6, border=2)


def barcode_uri(code: str) -> str:
    """Code 128 (the charset python-barcode picks: digit runs packed two to a symbol)."""
    import barcode
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    barcode.get("code128", code, writer=SVGWriter()).write(
        out, options={"write_text": False, "module_height": 18.0, "module_width": 0.3, "quiet_zone": 4.0})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _grouped(code: str) -> str:
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


@router.get("/m/code")
async def my_code(request: Request):
    hq = request.app.state.hq
    lang = render.lang_of(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    got = await run_in_threadpool(member_code.current, hq, mid)
    code, left = got["code"], got["seconds_left"]
    until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=left)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M:%S")
    body = (
        '<div class="card" style="text-align:center">'
        f'<p>{esc(t(lang, "结账时请收银员扫描下方二维码或条码。", "Show this to the cashier to scan at the till."))}</p>'
        f'<img src="{qr_uri(code)}" width="220" height="220" alt="{esc(t(lang, "会员码二维码", "Member code QR"))}">'
        f'<img src="{barcode_uri(code)}" style="width:100%;height:90px;margin-top:12px" '
        f'alt="{esc(t(lang, "会员码条码", "Member code barcode"))}">'
        f'<p class="muted" style="font-family:monospace;letter-spacing:1px" id="member-code">{esc(_grouped(code))}</p>'
        f'<p class="muted" role="status">{esc(t(lang, f"每 30 秒更新一次，截图无效。本码有效至 {until}（含 30 秒容差）。", f"A new code every 30 seconds; a screenshot will not work. This one is good until {until} (plus 30 s)."))}</p>'
        f'<a class="btn alt" href="{render.link(request, "/m/code")}">{esc(t(lang, "刷新会员码", "Refresh the code"))}</a>'
        '</div>')
    resp = render.page(request, "我的会员码", "My member code", body, lang=lang, nav=True)
    resp.headers["Refresh"] = str(left)  # the browser loads the page again when the code changes
    return resp
