"""Member pages served by HQ under /m/ (issue 16): mobile web, server-rendered,
Chinese first (`?lang=en` for English), no JavaScript needed.

Each page module `sync/server/pages/<name>.py` has its own `router = APIRouter()`;
`register(app)` (called once by create_app) includes every module in PAGE_MODULES.
Shared pieces: render.py (the shell), session.py (member session, CSRF, forms),
sync/server/signing.py (signed expiring links), sync/server/notify.py (Notifier),
sync/server/otp.py (one-time codes).

A page reads HQ as `request.app.state.hq`; heavy work goes through
`starlette.concurrency.run_in_threadpool`.
"""
from __future__ import annotations

import importlib

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse

from .. import signing
from . import render, session

router = APIRouter()

PAGE_MODULES = [
    "join",
    "account",
    "checkin",
    "forward",
    "code",  # my member code, the dynamic one (issue 16 item 3)
    "parcel",  # my parcel: the pickup code as a QR (issue 18; the link in the arrival message)
]


def register(app: FastAPI) -> None:
    from sqlalchemy.orm import configure_mappers

    signing.init(app.state.hq)
    configure_mappers()  # now, not in the first member's join (which must stay fast)
    app.include_router(router)
    for name in PAGE_MODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        app.include_router(mod.router)

    @app.exception_handler(session.SignInRequired)
    async def _sign_in(_request: Request, exc: session.SignInRequired):
        return RedirectResponse(session.signin_url(exc.next_path), status_code=303)

    @app.exception_handler(session.CsrfError)
    async def _csrf(request: Request, _exc: session.CsrfError):
        lang = render.lang_of(request)
        return render.message(request, "请求已过期", "Form expired",
                              "表单已过期或来源不明，请返回重新提交。",
                              "This form expired or did not come from this site; go back and send it again.",
                              lang=lang, status=403, back="/m/")


@router.get("/m")
@router.get("/m/")
async def home(request: Request):
    return RedirectResponse(render.link(request, "/m/wallet").replace("&amp;", "&"), status_code=303)
