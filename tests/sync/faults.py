"""A TCP proxy in front of HQ that breaks requests on purpose (real sockets).

Each REQUEST (not each connection: the till's session keeps connections alive)
takes the next mode of `modes`, else `choose()` when set, else `default`:

    pass               forwarded, answered
    drop               the connection is closed before anything is forwarded
    reset              the request is read, the till is reset (RST), HQ never sees it
    reset_mid_request  half the request body reaches HQ, then both sides are reset
    drop_response      HQ answers (and has committed) ... the till is reset before it hears it
    delay              HQ answers, the answer is held `delay` seconds (past the till's timeout)
    truncate           HQ's answer is cut off in the middle of its body, then the connection closes
    garbage            HQ's answer replaced by random bytes: a garbled body under HQ's headers,
                       or random bytes instead of the whole response (random which)
    bad_gateway        a 502 with an HTML page, as a load balancer in front of a dead HQ answers
    portal             a 200 text/html page (a captive portal), HQ never asked

After any fault the till's connection is closed, so its next request starts a
new one. `seen` lists the mode each request got, `heads` each request's head;
`rule(head)`, when set, may name the mode of a request by what it asks for.
"""
from __future__ import annotations

import random
import socket
import struct
import threading
import time
from typing import Callable

MODES = ("pass", "drop", "reset", "reset_mid_request", "drop_response", "delay", "truncate", "garbage", "bad_gateway",
         "portal")
_CANNED = {
    "bad_gateway": b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 28\r\n\r\n"
                   b"<html>502 Bad Gateway</html>",
    "portal": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 29\r\n\r\n"
              b"<html>Sign in to Wi-Fi</html>",
}


def _read_head(conn: socket.socket, buf: bytes) -> tuple[bytes, bytes] | None:
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _headers(head: bytes) -> dict[bytes, bytes]:
    out = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k:
            out[k.strip().lower()] = v.strip()
    return out


def _read_message(conn: socket.socket, buf: bytes = b"") -> tuple[bytes, bytes, bytes] | None:
    """(head, body, what is left over) of one HTTP message: Content-Length or chunked framing."""
    got = _read_head(conn, buf)
    if got is None:
        return None
    head, rest = got
    h = _headers(head)
    if h.get(b"transfer-encoding", b"").lower() == b"chunked":
        while b"\r\n0\r\n\r\n" not in b"\r\n" + rest:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        end = (b"\r\n" + rest).index(b"\r\n0\r\n\r\n") + 5
        return head, rest[:end], rest[end:]
    length = int(h.get(b"content-length", b"0") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head, rest[:length], rest[length:]


def _read_request(conn: socket.socket) -> tuple[bytes, bytes]:
    got = _read_message(conn)
    return (got[0], got[1]) if got else (b"", b"")


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    finally:
        sock.close()


class FaultyProxy:
    def __init__(self, upstream_port: int, *, default: str = "pass", choose: Callable[[], str] | None = None,
                 delay: float = 2.0, seed: int | None = None):
        self.upstream = ("127.0.0.1", upstream_port)
        self.modes: list[str] = []
        self.default = default
        self.choose = choose
        self.delay = delay
        self.rng = random.Random(seed)
        self.seen: list[str] = []
        self.heads: list[bytes] = []
        self.rule: Callable[[bytes], str | None] | None = None
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop = True
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _next_mode(self) -> str:
        with self._lock:
            if self.modes:
                mode = self.modes.pop(0)
            elif self.choose is not None:
                mode = self.choose()
            else:
                mode = self.default
            self.seen.append(mode)
            return mode

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(30)
        leftover = b""
        try:
            while True:
                if not leftover:  # wait for the next request before choosing its fate
                    first = client.recv(65536)
                    if not first:
                        return
                    leftover = first
                mode = self._next_mode()
                if mode == "drop":
                    client.close()
                    return
                got = _read_message(client, leftover)
                if got is None:
                    return
                head, body, leftover = got
                with self._lock:
                    self.heads.append(head)
                    ruled = self.rule(head) if self.rule is not None else None
                    if ruled:
                        mode = self.seen[-1] = ruled
                if mode == "reset":
                    _reset(client)
                    return
                if mode in _CANNED:
                    client.sendall(_CANNED[mode])
                    client.close()
                    return
                up = socket.create_connection(self.upstream, timeout=30)
                try:
                    if mode == "reset_mid_request":
                        up.sendall(head + body[: len(body) // 2])
                        _reset(up)
                        _reset(client)
                        return
                    up.sendall(head + body)
                    answer = _read_message(up)
                finally:
                    up.close()
                if answer is None:
                    client.close()
                    return
                rhead, rbody, _ = answer
                if mode == "drop_response":  # HQ has answered (and committed) ... the till never hears it
                    _reset(client)
                    return
                if mode == "delay":
                    time.sleep(self.delay)
                    try:
                        client.sendall(rhead + rbody)
                    finally:
                        client.close()
                    return
                if mode == "truncate":
                    client.sendall(rhead + rbody[: max(1, len(rbody) // 2)] if len(rbody) > 1 else rhead)
                    client.close()
                    return
                if mode == "garbage":
                    junk = self.rng.randbytes(max(len(rbody), 16))
                    client.sendall(rhead + junk[: len(rbody)] if self.rng.random() < 0.5 else junk)
                    client.close()
                    return
                client.sendall(rhead + rbody)
                if _headers(head).get(b"connection", b"").lower() == b"close":
                    client.close()
                    return
        except OSError:
            pass
        finally:
            try:
                client.close()
            except OSError:
                pass
