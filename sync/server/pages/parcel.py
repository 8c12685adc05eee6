"""My parcel (`/m/parcel/<signed token>`, issue 18): the link in the message HQ sends when a
parcel for pickup reached its store (sync/server/orders.py `send_arrivals`). It shows the
pickup code as a QR for the cashier to scan (or its last 4 with the phone number), the store,
and whether the parcel is still waiting. The signed, expiring token names the parcel and
nothing else; it is the whole credential (no sign-in, as an SMS link must open at once)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from .. import signing
from ..models import Store
from ..o2o_models import Parcel
from . import render
from .code import qr_uri
from .render import esc, t

router = APIRouter()

_STATUS = {"waiting": ("在路上", "on its way"), "arrived": ("已到店，待取件", "at the store, waiting for you"),
           "collected": ("已取件", "collected"), "cancelled": ("订单已退货", "order returned")}


def _load(hq, pid: str):
    import uuid

    with hq.read() as s:
        p = s.get(Parcel, uuid.UUID(pid))
        if p is None:
            return None
        store = s.get(Store, p.store_code)
        return {"code": p.pickup_code, "status": p.status, "store": store.name if store else p.store_code,
                "order": p.order_ref}


@router.get("/m/parcel/{token}")
async def my_parcel(request: Request, token: str):
    lang = render.lang_of(request)
    try:
        pid = str(signing.verify("parcel", token)["p"])
    except (signing.BadToken, KeyError, TypeError, ValueError):
        return render.message(request, "链接无效", "Link not valid", "这个取件链接无效或已过期。",
                              "This pickup link is not valid or has expired.", lang=lang, status=404)
    got = await run_in_threadpool(_load, request.app.state.hq, pid)
    if got is None:
        return render.message(request, "没有这个包裹", "No such parcel", "没有找到这个包裹。", "No such parcel.",
                              lang=lang, status=404)
    zh, en = _STATUS.get(got["status"], (got["status"], got["status"]))
    body = '<div class="card" style="text-align:center">'
    body += f'<p>{esc(t(lang, "门店", "Store"))}: {esc(got["store"])} · {esc(t(lang, zh, en))}</p>'
    if got["status"] == "arrived":
        body += (f'<img src="{qr_uri(got["code"])}" width="220" height="220" '
                 f'alt="{esc(t(lang, "取件码二维码", "Pickup code QR"))}">'
                 f'<p style="font-family:monospace;font-size:1.4em;letter-spacing:2px">{esc(got["code"])}</p>'
                 f'<p class="muted">{esc(t(lang, "到店请收银员扫码，或报手机号和取件码后4位。取件后当天到店消费可用取件券。", "Show this to the cashier, or give your phone number and the last 4 of the code. Collecting gives you a voucher for a purchase at the store today."))}</p>')
    body += f'<p class="muted">{esc(t(lang, "订单", "Order"))} {esc(got["order"])}</p></div>'
    return render.page(request, "我的包裹", "My parcel", body, lang=lang)
