"""Member sessions and CSRF for the member pages.

After a one-time code is verified, `start(response, request, member_id)` sets the
session: an HttpOnly, SameSite=Lax (Secure over https) cookie holding a signed,
expiring token (`signing`, purpose "session") with the member id — nothing else.

    member_of(request, hq) -> uuid.UUID | None     (an active member, followed through merges)
    require_member(request, hq) -> uuid.UUID       (else SignInRequired: a 303 to /m/signin)

CSRF: every POST form carries `csrf_token(request)` in a hidden `csrf` field; the
token is signed and bound to the browser's `mp_sid` cookie (made by the page that
shows the form), so another site can neither read nor forge it.
`check_csrf(request, form)` raises CsrfError (the app answers 403).
"""
from __future__ import annotations

import secrets
import uuid
from urllib.parse import quote

from fastapi import Request

from .. import signing

COOKIE, SID_COOKIE = "mp_session", "mp_sid"
SESSION_TTL_S = 30 * 86400
CSRF_TTL_S = 2 * 3600


class SignInRequired(Exception):
    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class CsrfError(Exception):
    pass


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def start(response, request: Request, member_id: uuid.UUID) -> None:
    token = signing.sign("session", {"m": str(member_id)}, SESSION_TTL_S)
    response.set_cookie(COOKIE, token, max_age=SESSION_TTL_S, httponly=True, samesite="lax",
                        secure=secure(request), path="/m")


def end(response) -> None:
    response.delete_cookie(COOKIE, path="/m")


def _claimed(request: Request) -> uuid.UUID | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return uuid.UUID(signing.verify("session", token)["m"])
    except (signing.BadToken, KeyError, ValueError, TypeError):
        return None


def member_of(request: Request, hq) -> uuid.UUID | None:
    mid = _claimed(request)
    if mid is None:
        return None
    from ..common import resolve

    with hq.read() as s:
        m = resolve(s, mid)
        return m.id if m is not None and m.status == "active" else None


def require_member(request: Request, hq) -> uuid.UUID:
    mid = member_of(request, hq)
    if mid is None:
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(nxt)
    return mid


def signin_url(next_path: str) -> str:
    return "/m/signin?next=" + quote(next_path, safe="")


def _sid(request: Request) -> str:
    sid = request.cookies.get(SID_COOKIE) or getattr(request.state, "new_sid", None)
    if not sid:
        sid = request.state.new_sid = secrets.token_urlsafe(16)
    return sid


def csrf_token(request: Request) -> str:
    return signing.sign("csrf", {"s": _sid(request)}, CSRF_TTL_S)


def csrf_field(request: Request) -> str:
    return f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'


def check_csrf(request: Request, form) -> None:
    token, sid = form.get("csrf"), request.cookies.get(SID_COOKIE)
    if not token or not sid:
        raise CsrfError("missing")
    try:
        doc = signing.verify("csrf", str(token))
    except signing.BadToken:
        raise CsrfError("bad") from None
    if not secrets.compare_digest(str(doc.get("s", "")), sid):
        raise CsrfError("bad")


MAX_FORM = 16 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form (the pages post nothing else), first value per field, bounded."""
    from urllib.parse import parse_qsl

    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise CsrfError("form too large")
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
