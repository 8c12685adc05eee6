"""A TCP proxy in front of HQ that breaks connections on purpose (real sockets):
`drop_response` forwards a request, lets HQ answer, and resets the client
before it hears the answer; `reset_mid_request` forwards half the request body
and resets both sides. Each new connection takes the next mode (then `pass`)."""
from __future__ import annotations

import socket
import struct
import threading


def _read_request(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n", body


def _read_response(conn: socket.socket) -> bytes:
    head, body = _read_request(conn)  # same framing (content-length)
    return head + body


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


class FaultyProxy:
    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.modes: list[str] = []
        self.seen: list[str] = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop = True
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            mode = self.modes.pop(0) if self.modes else "pass"
            self.seen.append(mode)
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    def _serve(self, client: socket.socket, mode: str) -> None:
        up = socket.create_connection(self.upstream)
        try:
            if mode == "drop_response":
                head, body = _read_request(client)
                up.sendall(head + body)
                _read_response(up)  # HQ has answered (and committed) ...
                _reset(client)  # ... and the till never hears it
                return
            if mode == "reset_mid_request":
                head, body = _read_request(client)
                up.sendall(head + body[: len(body) // 2])
                _reset(up)
                _reset(client)
                return
            self._pump(client, up)
        except OSError:
            pass
        finally:
            for s in (client, up):
                try:
                    s.close()
                except OSError:
                    pass

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        def one_way(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=one_way, args=(b, a), daemon=True)
        t.start()
        one_way(a, b)
        t.join(timeout=5)
