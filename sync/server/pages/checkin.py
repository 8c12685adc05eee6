"""Arrival check-in by the store's door QR (issue 16 item 4), and the arrivals feed the
store's till polls.

    GET  /m/checkin/<store token>   signed in: one button "check in"; else sign in or join
    POST /m/checkin/<store token>   records the arrival and the day's bonus (sync.server.checkins)
    GET  /v1/arrivals?since=N       a till's feed of its store's arrivals (`Authorization: Bearer
                                    <store token>`, as every till endpoint): {"arrivals": [...], "cursor": N}

The check-in is a POST behind a CSRF token (the QR opens a page; nothing is recorded by
merely loading a link), so another site cannot check a member in.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import checkins, member_self, signing
from . import render, session
from .render import esc, t

router = APIRouter()


def _hq(request: Request):
    return request.app.state.hq


def _bad(request: Request, lang: str, exc: signing.BadToken):
    zh = "此签到二维码已过期，请扫描门店最新的二维码。" if exc.reason == "expired" else "此链接无效。请扫描门店张贴的签到二维码。"
    en = ("This check-in QR has expired; scan the store's current one." if exc.reason == "expired"
          else "This link is not valid; scan the check-in QR code displayed in the store.")
    return render.message(request, "链接无效", "Invalid link", zh, en, lang=lang, status=403)


def _here(request: Request, token: str) -> str:
    return f"/m/checkin/{token}" + ("?lang=en" if request.query_params.get("lang") == "en" else "")


@router.get("/m/checkin/{token}")
async def checkin_page(request: Request, token: str):
    lang = render.lang_of(request)
    try:
        store = checkins.store_of_token(token)
    except signing.BadToken as exc:
        return _bad(request, lang, exc)
    hq = _hq(request)
    name = await run_in_threadpool(member_self.store_name, hq, store) or store
    mid = await run_in_threadpool(session.member_of, request, hq)
    if mid is None:
        join = member_self.store_link(hq, store, str(request.base_url))["url"]
        join_path = join[join.index("/m/join/"):]
        body = (f'<div class="card"><p>{esc(t(lang, "欢迎光临", "Welcome to"))} <b>{esc(name)}</b>。'
                f'{esc(t(lang, "会员签到，店员会为您准备好优惠和推荐。", "Members: check in and the staff get your offers and suggestions ready."))}</p>'
                f'<a class="btn" href="{esc(session.signin_url(_here(request, token)))}">{esc(t(lang, "会员登录并签到", "Sign in and check in"))}</a>'
                f'<a class="btn alt" href="{render.link(request, join_path)}">{esc(t(lang, "还不是会员？30 秒加入", "Not a member yet? Join in 30 seconds"))}</a></div>')
        return render.page(request, "到店签到", "Check in", body, lang=lang)
    done = await run_in_threadpool(checkins.checked_in_today, hq, mid, store)
    note = (f'<p class="muted">{esc(t(lang, "您今天已在本店签到过。", "You already checked in here today."))}</p>' if done else "")
    body = (f'<div class="card"><p>{esc(t(lang, "欢迎光临", "Welcome to"))} <b>{esc(name)}</b></p>{note}'
            f'<form method="post" action="{esc(_here(request, token))}">{session.csrf_field(request)}'
            f'<button type="submit">{esc(t(lang, "到店签到", "Check in"))}</button></form></div>')
    return render.page(request, "到店签到", "Check in", body, lang=lang, nav=True)


@router.post("/m/checkin/{token}")
async def checkin_post(request: Request, token: str):
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        store = checkins.store_of_token(token)
    except signing.BadToken as exc:
        return _bad(request, lang, exc)
    hq = _hq(request)
    mid = await run_in_threadpool(session.require_member, request, hq)
    try:
        got = await run_in_threadpool(checkins.checkin, hq, mid, store)
    except (LookupError, checkins.StoreUnknown):
        return render.message(request, "到店签到", "Check in", "无法签到：门店或会员不存在。",
                              "Cannot check in: the store or the member is unknown.", lang=lang, status=404)
    name = await run_in_threadpool(member_self.store_name, hq, store) or store
    if got["points"]:
        msg = t(lang, f"签到成功！+{got['points']} 积分已到账。", f"Checked in! +{got['points']} points are yours.")
    elif got["already"]:
        msg = t(lang, "签到成功！今天的签到积分已领过。", "Checked in! Today's check-in points were given already.")
    else:
        msg = t(lang, "签到成功！", "Checked in!")
    body = (f'<div class="card"><p class="ok" role="status">{esc(msg)}</p>'
            f'<p>{esc(t(lang, "店员已收到您的到店通知。", "The staff know you are here."))} <b>{esc(name)}</b></p>'
            f'<p class="muted">{esc(t(lang, "积分余额", "Points balance"))} {got["balance"]:,}</p>'
            f'<a class="btn" href="{render.link(request, "/m/code")}">{esc(t(lang, "出示会员码", "Show my member code"))}</a></div>')
    return render.page(request, "签到成功", "Checked in", body, lang=lang, nav=True)


# --- the till's feed ------------------------------------------------------------------------------

def _err(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status)


@router.get("/v1/arrivals")
async def arrivals_feed(request: Request, since: int = 0, limit: int = 50):
    from .. import admin

    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if not token:
        return _err(401, "auth.missing", "Authorization: Bearer <store token> is required")
    hq = _hq(request)
    store = await run_in_threadpool(admin.authenticate, hq, token)
    if store is None:
        return _err(401, "auth.bad_token", "unknown or revoked store token; enrol the till again")
    if since < 0 or not 1 <= limit <= 200:
        return _err(422, "query.invalid", "since >= 0 and limit 1..200")
    got = await run_in_threadpool(checkins.arrivals, hq, store, since, limit=limit)
    resp = JSONResponse(got)
    resp.headers["Cache-Control"] = "no-store"
    return resp
