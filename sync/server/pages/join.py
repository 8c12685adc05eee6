"""Join by a store's QR, and sign in with a one-time code (issue 16 items 2 and 6).

    GET  /m/join/<store token>          the phone form (the QR's signed, expiring URL)
    POST /m/join/<store token>          send a one-time code (throttled) -> the code + consents form
    POST /m/join/<store token>/verify   code, terms (required), marketing (optional) -> member, session
    GET  /m/signin?next=/m/...          the same with no store: an existing member signs in
    POST /m/signin, /m/signin/verify
    POST /m/signout
    GET  /v1/store/join-link            a till's own store's join link, for its customer screen
                                        (`Authorization: Bearer <store token>`): {store, name, url, expires_at, days}

The phone travels only in POST bodies (never a URL, never a log line: the access log
has the path only); pages show it masked. The challenge id in the code form names the
code's row; the code itself is what proves the phone (single use, 5 tries, 5 minutes).
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from pos.errors import DomainError
from pos.rules import phones

from .. import member_self, notify, otp, signing
from . import render, session
from .render import esc, t

router = APIRouter()
log = logging.getLogger("memberpos.hq.pages")


def _hq(request: Request):
    return request.app.state.hq


def _ip(request: Request) -> str:
    """The client's IP for the per-IP throttle: behind a reverse proxy that sets
    X-Forwarded-For (MEMBERPOS_TRUST_PROXY=1), its last hop — the one the proxy added."""
    if os.environ.get("MEMBERPOS_TRUST_PROXY") == "1":
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        if hops:
            return hops[-1][:64]
    return request.client.host if request.client else "-"


def _safe_next(nxt: str | None) -> str:
    nxt = nxt or "/m/wallet"
    return nxt if nxt.startswith("/m/") and not nxt.startswith("//") and "\\" not in nxt else "/m/wallet"


def _bad_link(request: Request, lang: str, exc: signing.BadToken):
    zh = "此二维码链接已过期，请扫描门店最新的二维码。" if exc.reason == "expired" else "此链接无效。请扫描门店张贴的二维码。"
    en = ("This QR link has expired; scan the store's current QR code." if exc.reason == "expired"
          else "This link is not valid; scan the QR code displayed in the store.")
    return render.message(request, "链接无效", "Invalid link", zh, en, lang=lang, status=403)


def phone_form(request: Request, lang: str, action: str, *, store_name: str | None, error: str | None = None,
               signin: bool = False) -> str:
    intro = ""
    if store_name:
        intro = (f'<p>{esc(t(lang, "欢迎光临", "Welcome to"))} <b>{esc(store_name)}</b>。'
                 f'{esc(t(lang, "输入手机号，30 秒成为会员，本单即享新人礼。", "Enter your phone number: join in 30 seconds and get the welcome gift on today’s purchase."))}</p>')
    elif signin:
        intro = f'<p>{esc(t(lang, "输入会员手机号登录。", "Sign in with your member phone number."))}</p>'
    err = f'<p class="err" role="alert">{esc(error)}</p>' if error else ""
    return (f'<div class="card">{intro}{err}<form method="post" action="{esc(action)}">{session.csrf_field(request)}'
            f'<label for="phone">{esc(t(lang, "手机号", "Phone number"))}</label>'
            f'<input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" required maxlength="20" '
            f'placeholder="138 0013 8000">'
            f'<button type="submit">{esc(t(lang, "获取验证码", "Send me a code"))}</button></form></div>')


def code_form(request: Request, lang: str, action: str, challenge: uuid.UUID, masked: str, *, join: bool,
              error: str | None = None) -> str:
    err = f'<p class="err" role="alert">{esc(error)}</p>' if error else ""
    consents = ""
    if join:
        consents = (
            f'<label class="check"><input type="checkbox" name="terms" value="1" required>'
            f'<span>{esc(t(lang, "我已阅读并同意《会员条款》和《隐私政策》（必选）", "I accept the member terms and the privacy policy (required)"))}</span></label>'
            f'<label class="check"><input type="checkbox" name="marketing" value="1">'
            f'<span>{esc(t(lang, "我愿意接收优惠和活动信息（可选，可随时取消）", "Send me offers and news (optional; withdraw any time)"))}</span></label>')
    return (f'<div class="card">{err}<p>{esc(t(lang, "验证码已发送至", "We sent a code to"))} <b>{esc(masked)}</b></p>'
            f'<form method="post" action="{esc(action)}">{session.csrf_field(request)}'
            f'<input type="hidden" name="challenge" value="{esc(challenge)}">'
            f'<label for="code">{esc(t(lang, "6 位验证码", "6-digit code"))}</label>'
            f'<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" '
            f'pattern="[0-9]{{6}}" maxlength="6" required>'
            f'{consents}<button type="submit">{esc(t(lang, "加入会员" if join else "登录", "Join" if join else "Sign in"))}</button>'
            f'</form></div>')


def _throttled(request: Request, lang: str, exc: otp.Throttled):
    return render.message(request, "请稍后再试", "Please wait",
                          f"验证码发送太频繁，请 {exc.retry_s} 秒后再试。",
                          f"Too many codes requested; try again in {exc.retry_s} s.", lang=lang, status=429)


async def _send_code(request: Request, lang: str, form: dict, *, purpose: str, store: str | None,
                     action_back: str, action_next: str, title: tuple[str, str], store_name: str | None):
    hq = _hq(request)
    try:
        e164 = phones.normalize(form.get("phone", ""), "CN")
    except (DomainError, ValueError):
        body = phone_form(request, lang, action_back, store_name=store_name, signin=purpose == "signin",
                          error=t(lang, "请输入有效的手机号。", "Enter a valid phone number."))
        return render.page(request, *title, body, lang=lang, status=422)
    try:
        challenge = await run_in_threadpool(otp.issue, hq, e164, _ip(request), purpose=purpose, store=store,
                                            text_zh="会员验证码")
    except otp.Throttled as exc:
        return _throttled(request, lang, exc)
    except notify.NotSent:
        body = phone_form(request, lang, action_back, store_name=store_name, signin=purpose == "signin",
                          error=t(lang, "短信暂时发不出去，请一分钟后再试。",
                                  "The text message could not be sent; try again in a minute."))
        return render.page(request, *title, body, lang=lang, status=503)
    body = code_form(request, lang, action_next, challenge, phones.mask(e164), join=purpose == "join")
    return render.page(request, *title, body, lang=lang)


def _bad_code(lang: str, exc: otp.BadCode) -> str:
    return {"wrong": t(lang, "验证码不正确，请重新输入。", "That code is not right; try again."),
            "expired": t(lang, "验证码已过期，请重新获取。", "The code expired; ask for a new one."),
            }.get(exc.reason, t(lang, "验证码已失效，请重新获取。", "This code can no longer be used; ask for a new one."))


def _challenge(form: dict) -> uuid.UUID | None:
    try:
        return uuid.UUID(form.get("challenge", ""))
    except ValueError:
        return None


# --- join -------------------------------------------------------------------------------------

@router.get("/m/join/{token}")
async def join_page(request: Request, token: str):
    lang = render.lang_of(request)
    try:
        store = member_self.store_of_token(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    name = await run_in_threadpool(member_self.store_name, _hq(request), store)
    return render.page(request, "加入会员", "Join",
                       phone_form(request, lang, render.link(request, f"/m/join/{token}").replace("&amp;", "&"),
                                  store_name=name or store), lang=lang)


@router.post("/m/join/{token}")
async def join_send(request: Request, token: str):
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        store = member_self.store_of_token(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    name = await run_in_threadpool(member_self.store_name, _hq(request), store)
    here = f"/m/join/{token}" + ("?lang=en" if request.query_params.get("lang") == "en" else "")
    nxt = f"/m/join/{token}/verify" + ("?lang=en" if request.query_params.get("lang") == "en" else "")
    return await _send_code(request, lang, form, purpose="join", store=store, action_back=here, action_next=nxt,
                            title=("加入会员", "Join"), store_name=name or store)


@router.post("/m/join/{token}/verify")
async def join_verify(request: Request, token: str):
    started = time.perf_counter()
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    try:
        store = member_self.store_of_token(token)
    except signing.BadToken as exc:
        return _bad_link(request, lang, exc)
    hq = _hq(request)
    challenge = _challenge(form)
    here = f"/m/join/{token}/verify" + ("?lang=en" if request.query_params.get("lang") == "en" else "")
    if challenge is None:
        return render.message(request, "加入会员", "Join", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              back=f"/m/join/{token}")
    if form.get("terms") != "1":  # checked before the code is spent
        return render.page(request, "加入会员", "Join", code_form(
            request, lang, here, challenge, t(lang, "您的手机", "your phone"), join=True,
            error=t(lang, "请先同意会员条款和隐私政策。", "Please accept the member terms and the privacy policy.")),
            lang=lang, status=422)
    try:
        row = await run_in_threadpool(otp.check, hq, challenge, form.get("code", ""))
    except otp.BadCode as exc:
        status = 422 if exc.reason == "wrong" else 410
        return render.page(request, "加入会员", "Join", code_form(
            request, lang, here, challenge, t(lang, "您的手机", "your phone"), join=True, error=_bad_code(lang, exc)),
            lang=lang, status=status)
    if row.purpose != "join" or row.store_code != store:
        return render.message(request, "加入会员", "Join", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              status=403, back=f"/m/join/{token}")
    got = await run_in_threadpool(member_self.join, hq, row.phone, store=store, marketing=form.get("marketing") == "1")
    resp = RedirectResponse(render.link(request, "/m/wallet", welcome="1" if got["new"] else "0").replace("&amp;", "&"),
                            status_code=303)
    session.start(resp, request, uuid.UUID(got["id"]))
    ms = (time.perf_counter() - started) * 1000
    resp.headers["Server-Timing"] = f"join;dur={ms:.1f}"
    log.info("join at store %s: member %s (%s) in %.1f ms", store, got["member_code"],
             "new" if got["new"] else "existing", ms)
    return resp


# --- sign in ------------------------------------------------------------------------------------

@router.get("/m/signin")
async def signin_page(request: Request, next: str | None = None):  # noqa: A002
    lang = render.lang_of(request)
    action = "/m/signin?" + "&".join(x for x in (f"next={quote(_safe_next(next), safe='/')}",
                                                   "lang=en" if lang == "en" else "") if x)
    return render.page(request, "会员登录", "Sign in", phone_form(request, lang, action, store_name=None, signin=True),
                       lang=lang)


@router.post("/m/signin")
async def signin_send(request: Request, next: str | None = None):  # noqa: A002
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    q = f"?next={quote(_safe_next(next), safe='/')}" + ("&lang=en" if lang == "en" else "")
    return await _send_code(request, lang, form, purpose="signin", store=None, action_back="/m/signin" + q,
                            action_next="/m/signin/verify" + q, title=("会员登录", "Sign in"), store_name=None)


@router.post("/m/signin/verify")
async def signin_verify(request: Request, next: str | None = None):  # noqa: A002
    lang = render.lang_of(request)
    form = await session.read_form(request)
    session.check_csrf(request, form)
    hq = _hq(request)
    challenge = _challenge(form)
    q = f"?next={quote(_safe_next(next), safe='/')}" + ("&lang=en" if lang == "en" else "")
    if challenge is None:
        return render.message(request, "会员登录", "Sign in", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              back="/m/signin" + q)
    try:
        row = await run_in_threadpool(otp.check, hq, challenge, form.get("code", ""))
    except otp.BadCode as exc:
        return render.page(request, "会员登录", "Sign in", code_form(
            request, lang, "/m/signin/verify" + q, challenge, t(lang, "您的手机", "your phone"), join=False,
            error=_bad_code(lang, exc)), lang=lang, status=422 if exc.reason == "wrong" else 410)
    if row.purpose != "signin":
        return render.message(request, "会员登录", "Sign in", "请重新获取验证码。", "Ask for a new code.", lang=lang,
                              status=403, back="/m/signin" + q)
    mid = await run_in_threadpool(member_self.member_by_phone, hq, row.phone)
    if mid is None:
        return render.message(request, "会员登录", "Sign in", "此手机号还不是会员。请扫描门店的入会二维码加入。",
                              "This phone is not a member yet: scan the store's join QR code to join.",
                              lang=lang, status=404)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    session.start(resp, request, mid)
    return resp


@router.post("/m/signout")
async def signout(request: Request):
    form = await session.read_form(request)
    session.check_csrf(request, form)
    resp = RedirectResponse("/m/signin", status_code=303)
    session.end(resp)
    return resp


# --- the till's customer screen -------------------------------------------------------------------

@router.get("/v1/store/join-link")
async def till_join_link(request: Request):
    """The join link `hq store qr` prints for the till's own store (the same signed text the
    same day; the base is MEMBERPOS_PUBLIC_URL, else the address the till reached), shown as a
    QR on the till's customer screen while it is idle (app/customer_display.py)."""
    from .. import admin, orders

    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if not token:
        return JSONResponse({"error": "auth.missing", "message": "Authorization: Bearer <store token> is required"},
                            status_code=401)
    hq = _hq(request)
    store = await run_in_threadpool(admin.authenticate, hq, token)
    if store is None:
        return JSONResponse({"error": "auth.bad_token", "message": "unknown or revoked store token; enrol the till again"},
                            status_code=401)
    try:
        got = await run_in_threadpool(member_self.store_link, hq, store, orders.public_url(str(request.base_url)))
    except member_self.StoreUnknown:
        return JSONResponse({"error": "store.unknown", "message": f"no store {store!r} at HQ"}, status_code=404)
    resp = JSONResponse({**got, "days": member_self.STORE_LINK_DAYS})
    resp.headers["Cache-Control"] = "no-store"
    return resp
