"""The member pages' shared mobile shell: server-rendered HTML, Chinese first, English
second (`?lang=en`, else the browser's Accept-Language), no JavaScript needed, tiny
inline CSS, large touch targets, labelled fields; a first page stays under 50 KB.

    page(request, "加入会员", "Join", body_html, lang=lang) -> HTMLResponse
    lang = lang_of(request); t(lang, "中文", "English"); esc(text)
    link(request, "/m/wallet") keeps ?lang=en on internal links
"""
from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

CSS = """*{box-sizing:border-box}body{margin:0;font:17px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;color:#1a1a1a;background:#f6f6f4}
header{background:#b3261e;color:#fff;padding:12px 16px;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff}header h1{font-size:20px;margin:0}main{max-width:480px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:12px;padding:16px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
label{display:block;font-weight:600;margin:12px 0 4px}input[type=tel],input[type=text],input[type=date],input[type=email],select,input[inputmode]{width:100%;font-size:20px;padding:12px;min-height:48px;border:1px solid #888;border-radius:8px}
.check{display:flex;gap:10px;align-items:flex-start;font-weight:400;margin:14px 0}.check input{width:28px;height:28px;flex:none;margin:0}
button,.btn{display:block;width:100%;min-height:52px;font-size:19px;font-weight:700;border:0;border-radius:10px;background:#b3261e;color:#fff;margin:16px 0 0;text-align:center;text-decoration:none;padding:13px}
.btn.alt,button.alt{background:#fff;color:#b3261e;border:2px solid #b3261e}.err{color:#9b0000;background:#fde8e8;padding:10px;border-radius:8px}
.ok{color:#0b5d1e;background:#e3f5e7;padding:10px;border-radius:8px}.big{font-size:32px;font-weight:800;margin:0}h2{font-size:20px;margin:0 0 8px}.muted{color:#555;font-size:15px}
nav{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-top:8px}nav a{display:block;text-align:center;padding:12px 4px;min-height:48px;background:#fff;border-radius:10px;color:#b3261e;font-weight:600;text-decoration:none}
table{width:100%;border-collapse:collapse}td,th{padding:8px 4px;border-bottom:1px solid #eee;text-align:left}a{color:#b3261e}
:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}.card>:first-child{margin-top:0}"""

NAV = (("/m/wallet", "钱包和积分", "Wallet"), ("/m/code", "会员码", "Member code"),
       ("/m/profile", "我的资料", "Profile"), ("/m/data", "我的数据", "My data"))


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en") and "zh" not in accept.split(",")[0]:
        return "en"
    return "zh"


def t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def esc(text) -> str:
    return escape("" if text is None else str(text), quote=True)


def link(request: Request, path: str, **query) -> str:
    if request.query_params.get("lang") == "en":
        query.setdefault("lang", "en")
    return esc(path + ("?" + urlencode(query) if query else ""))


def page(request: Request, title_zh: str, title_en: str, body_html: str, *, lang: str, status: int = 200,
         nav: bool = False) -> HTMLResponse:
    title = t(lang, title_zh, title_en)
    other = "en" if lang == "zh" else "zh"
    switch = esc(f"{request.url.path}?lang={other}")
    switch_html = (f'<a href="{switch}" lang="{"en" if other == "en" else "zh-CN"}">{"English" if other == "en" else "中文"}</a>'
                   if request.method == "GET" else "")  # a form's answer: the language stays as it was chosen
    menu = ""
    if nav:
        menu = "<nav aria-label=\"%s\">%s</nav>" % (
            t(lang, "会员菜单", "Member menu"),
            "".join(f'<a href="{link(request, p)}">{esc(t(lang, zh, en))}</a>' for p, zh, en in NAV))
    html = (f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{esc(title)}</title><style>{CSS}</style></head><body>'
            f'<header><h1>{esc(title)}</h1>{switch_html}</header><main>{body_html}{menu}</main></body></html>')
    resp = HTMLResponse(html, status_code=status)
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:"
    new_sid = getattr(request.state, "new_sid", None)
    if new_sid:  # the CSRF cookie a form on this page is bound to (session.csrf_token)
        from .session import SID_COOKIE, secure

        resp.set_cookie(SID_COOKIE, new_sid, httponly=True, samesite="lax", secure=secure(request), path="/m")
    return resp


def message(request: Request, title_zh: str, title_en: str, zh: str, en: str, *, lang: str, status: int = 400,
            back: str | None = None) -> HTMLResponse:
    body = f'<div class="card"><p class="err" role="alert">{esc(t(lang, zh, en))}</p>'
    if back:
        body += f'<a class="btn alt" href="{esc(back)}">{esc(t(lang, "返回", "Back"))}</a>'
    return page(request, title_zh, title_en, body + "</div>", lang=lang, status=status)
