"""`python main.py serve`: the local API for a host POS on this machine (issue 20).

    python main.py serve --db PATH --port N [--rotate-token] [--lang en]

Listens on 127.0.0.1 only (any other --host is refused). On start it prints one
JSON line to stdout, `{"url": "http://127.0.0.1:N", "token": "..."}`, and serves
until SIGTERM or SIGINT: the request in flight is finished, then it exits 0.

    POST /quote      body: the basket of `checkout` -> the JSON of `checkout --quote --json`
    POST /checkout   body: the basket of `checkout` -> the JSON of `checkout --json` (committed)
    POST /return     body: {"receipt", "line": ["CODE:QTY", ...], "plan", "cashier", "manager",
                     "manager_pin"} (the options of `return`) -> the JSON of `return --json`
    GET  /member?q=  -> the JSON of `member find Q --json`

Each answer is built by the function the CLI calls (pos.services.host_pos). Every
request carries `Authorization: Bearer TOKEN` (setting api.token, made on the first
serve; `--rotate-token` replaces it). HTTP/1.1 with keep-alive; one request at a time
reaches the store (a lock: SQLite has one writer, and a sale commits in one
transaction), on the one Database opened at start. `?lang=en|zh_CN` on any request
names refusals in that language (default: --lang, $POS_LANG, zh_CN).

Errors are `{"error": {"code": ..., "message": ...}}`: 400 not JSON or no
Content-Length, 401 a wrong or missing token, 404 an unknown path, member or receipt,
405 a known path with another method, 409 a conflict (a sale id used for another
basket, a sale already returned), 413 a body over 1 MiB, 422 a field or a refusal
(the code of pos.errors, as the CLI prints it), 500 anything else (logged), 503
stopping. A refused request writes nothing.
"""
from __future__ import annotations

import argparse

HOST = "127.0.0.1"
NOT_FOUND = frozenset({"return.no_sale"})  # besides every code ending in "not_found"
CONFLICT = frozenset({"sale.id_reused", "return.nothing_left", "sale.points_changed"})
QUERY_MAX = 200  # characters of GET /member?q=
IDLE_TIMEOUT_S = 60  # an idle keep-alive connection is closed after this
STOP_WAIT_S = 30  # at most this long for the request in flight when stopping
DISCARD_MAX = 16 << 20  # of a body over the limit, at most this much is read (and dropped) before the 413


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("serve", parents=[common],
                       help="the local API for a host POS on 127.0.0.1: POST /quote, /checkout, /return, GET /member")
    p.add_argument("--host", default=HOST, help="127.0.0.1 only: any other address is refused")
    p.add_argument("--port", type=int, default=0, help="TCP port (default 0: a free one, named in the start line)")
    p.add_argument("--rotate-token", action="store_true", help="replace the API token first (the old one stops working)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    import json
    import signal
    import threading

    from pos.cli.common import CliError, db_of, lang_of
    from pos.errors import echo
    from pos.services import host_pos

    if args.host != HOST:
        raise CliError(f"serve listens on {HOST} only (a host POS on this machine calls it), not {echo(args.host, 64)!r}")
    if not 0 <= args.port <= 65535:
        raise CliError(f"--port must be 0 to 65535, got {args.port}")
    db = db_of(args)
    token = host_pos.api_token(db, rotate=args.rotate_token)
    try:
        server = make_server(db, token, args.port, lang_of(args))
    except OSError as exc:
        raise CliError(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    worker.start()
    print(json.dumps({"url": f"http://{HOST}:{server.server_address[1]}", "token": token}), flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()  # no new connection
    server.drain(STOP_WAIT_S)  # the request in flight is answered; later ones get 503
    server.server_close()
    db.close()
    return 0


def status_of(exc) -> int:
    """The HTTP status of a refusal (pos.errors.DomainError)."""
    if exc.code.endswith("not_found") or exc.code in NOT_FOUND:
        return 404
    return 409 if exc.code in CONFLICT else 422


def make_server(db, token: str, port: int, lang: str):
    """A ThreadingHTTPServer on 127.0.0.1:port answering for `db` (not started)."""
    import hmac
    import json
    import logging
    import threading
    from http import HTTPStatus
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    from pos.errors import DomainError, echo
    from pos.services import host_pos

    log = logging.getLogger("memberpos.serve")
    expected = f"Bearer {token}".encode()

    class Refused(Exception):
        def __init__(self, status: int, code: str, message: str):
            super().__init__(message)
            self.status, self.code = status, code

    def body_of(handler) -> bytes:
        """The request's body, read whole; refused before reading when it would be too large."""
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            raise Refused(400, "request.no_length", "send the body with a Content-Length (chunked is not read)")
        length = handler.headers.get("Content-Length")
        if length is None or not (length.isascii() and length.isdigit()):
            raise Refused(400, "request.no_length", "a POST needs a Content-Length")
        if int(length) > host_pos.MAX_INPUT_BYTES:
            left = min(int(length), DISCARD_MAX)  # read (and drop) what the client is sending, so it hears the answer
            while left > 0 and (chunk := handler.rfile.read(min(left, 1 << 16))):
                left -= len(chunk)
            raise Refused(413, "request.too_large", f"the body is over {host_pos.MAX_INPUT_BYTES} bytes")
        return handler.rfile.read(int(length))

    domain = threading.Lock()  # one request at a time reaches the store; reading and parsing run beside it

    def quote(raw, query, lang_used):
        data = host_pos.parse_basket(raw)
        with domain:
            return host_pos.quote(db, data, lang_used)

    def checkout(raw, query, lang_used):
        data = host_pos.parse_basket(raw)
        with domain:
            return host_pos.checkout(db, data, lang_used)

    def return_(raw, query, lang_used):
        data = host_pos.parse(host_pos.ReturnInput, raw, "return")
        host_pos.check_receipt(data.receipt)
        wanted = host_pos.return_lines(data.line)
        with domain:
            return host_pos.return_sale(db, data.receipt, wanted, plan=data.plan, cashier=data.cashier,
                                        manager=data.manager, manager_pin=data.manager_pin or "").body

    def member(raw, query, lang_used):
        q = query.get("q", [""])[0]
        if not q.strip():
            raise Refused(422, "request.invalid", "GET /member needs ?q= (a phone, last 4, card, code or name)")
        if len(q) > QUERY_MAX:
            raise Refused(422, "request.invalid", f"q is at most {QUERY_MAX} characters")
        with domain:
            found = host_pos.member_lookup(db, q)
        if not found:
            raise Refused(404, "member.not_found", "no member found")
        return found

    routes = {"/quote": ("POST", quote), "/checkout": ("POST", checkout), "/return": ("POST", return_),
              "/member": ("GET", member)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        server_version = "memberpos"
        sys_version = ""
        disable_nagle_algorithm = True  # each answer is one write; no 40 ms wait for an ACK
        timeout = IDLE_TIMEOUT_S

        def log_message(self, format, *args):  # noqa: A002 - no access log: a query may hold a phone number
            pass

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def _answer(self, method: str) -> None:
            if not self.server.enter():
                return self._send(503, _error("server.stopping", "the API is stopping"), close=True)
            try:
                status, body = self._dispatch(method)
                self._send(status, body)
            finally:
                self.server.leave()

        def _dispatch(self, method: str):
            lang_used = lang
            try:
                if not hmac.compare_digest((self.headers.get("Authorization") or "").encode(), expected):
                    self.close_connection = True  # the body, if any, is not read
                    raise Refused(401, "auth.token", "a wrong or missing bearer token")
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                if method == "GET" and (self.headers.get("Content-Length") or "0") != "0":
                    self.close_connection = True  # a GET's body is not read
                route = routes.get(parts.path)
                if route is None:
                    self.close_connection = True
                    raise Refused(404, "request.not_found", f"no such path: {echo(parts.path, 64)}")
                if route[0] != method:
                    self.close_connection = True
                    raise Refused(405, "request.method", f"{parts.path} takes {route[0]}")
                lang_used = query.get("lang", [lang])[0]
                if len(lang_used) > 16:
                    raise Refused(422, "request.invalid", "lang is en or zh_CN")
                raw = body_of(self) if method == "POST" else b""
                return 200, route[1](raw, query, lang_used)
            except Refused as exc:
                if exc.status in (400, 413):
                    self.close_connection = True  # what is left of the body is not read
                return exc.status, _error(exc.code, str(exc))
            except host_pos.BadInput as exc:
                status = {"malformed": 400, "too_large": 413}.get(exc.kind, 422)
                return status, _error(f"request.{exc.kind}", str(exc))
            except DomainError as exc:
                return status_of(exc), _error(exc.code, exc.message(lang_used))
            except OverflowError:
                return 422, _error("request.invalid", "a number is too large")
            except ValueError as exc:  # e.g. POS_CLOCK unparseable
                return 422, _error("request.invalid", echo(" ".join(str(exc).split()), 200))
            except Exception:  # noqa: BLE001 - answered, and kept in the log
                log.exception("serve %s %s failed", method, urlsplit(self.path).path[:64])
                return 500, _error("server.error", "internal error (see the till's log)")

        def _send(self, status: int, body, close: bool = False) -> None:
            data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
            if close:
                self.close_connection = True
            head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                    f"Server: memberpos\r\nDate: {self.date_time_string()}\r\n"
                    "Content-Type: application/json; charset=utf-8\r\n"
                    f"Content-Length: {len(data)}\r\n" + ("Connection: close\r\n" if self.close_connection else "") + "\r\n")
            self.wfile.write(head.encode("latin-1") + data)  # one write: headers and body in one segment

    class Server(ThreadingHTTPServer):
        daemon_threads = True  # an idle keep-alive connection does not hold the exit
        allow_reuse_address = True

        def __init__(self):
            super().__init__((HOST, port), Handler)
            self._busy = 0
            self._stopping = False
            self._cond = threading.Condition()

        def enter(self) -> bool:
            with self._cond:
                if self._stopping:
                    return False
                self._busy += 1
                return True

        def leave(self) -> None:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

        def drain(self, timeout: float) -> None:
            """Refuse new requests; wait for those in flight to be answered."""
            with self._cond:
                self._stopping = True
                self._cond.wait_for(lambda: self._busy == 0, timeout)

    return Server()


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}
