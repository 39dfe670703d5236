"""A small HTTP/1.1 server with keep-alive on a Unix socket or TCP, one thread per connection.

The invoker keeps one connection per container slot, so a request is parsed and answered in the
connection's own thread with no hand-off: the per-request cost is a few header lines and one
``sendall``. Only what the runtime protocol needs is implemented: Content-Length and chunked
bodies, ``Expect: 100-continue``, ``Connection: close``.
"""

from __future__ import annotations

import os
import socket
import socketserver
from collections.abc import Callable
from typing import BinaryIO, cast

Dispatch = Callable[[str, str, bytes], tuple[int, bytes]]

MAX_LINE = 65536
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class BadRequest(Exception):
    pass


class _Handler(socketserver.BaseRequestHandler):
    server: _Server  # type: ignore[assignment]

    def handle(self) -> None:
        conn: socket.socket = self.request
        rfile = cast(BinaryIO, conn.makefile("rb", buffering=65536))
        try:
            while self._one_request(conn, rfile):
                pass
        except (BadRequest, ValueError):
            _send(conn, 400, b'{"error": "Malformed HTTP request."}', keep_alive=False)
        except OSError:
            return
        finally:
            rfile.close()

    def _one_request(self, conn: socket.socket, rfile: BinaryIO) -> bool:
        line = rfile.readline(MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(MAX_LINE)
        if not line:
            return False
        parts = line.split()
        if len(parts) != 3:
            raise BadRequest
        method, target, version = (part.decode("latin-1") for part in parts)
        length, chunked, connection, expect = _read_headers(rfile)
        keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if expect == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            body = _read_chunked(rfile)
        elif length:
            body = rfile.read(length)
            if len(body) != length:
                return False
        else:
            body = b""
        status, payload = self.server.dispatch(method, target, body)
        _send(conn, status, payload, keep_alive)
        return keep_alive


def _read_headers(rfile: BinaryIO) -> tuple[int, bool, str, str]:
    length, chunked, connection, expect = 0, False, "", ""
    while True:
        line = rfile.readline(MAX_LINE)
        if line in (b"\r\n", b"\n"):
            return length, chunked, connection, expect
        if not line:
            raise BadRequest
        name, sep, value = line.partition(b":")
        if not sep:
            raise BadRequest
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif key == b"connection":
            connection = value.strip().lower().decode("latin-1")
        elif key == b"expect":
            expect = value.strip().lower().decode("latin-1")


def _read_chunked(rfile: BinaryIO) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int(rfile.readline(MAX_LINE).split(b";", 1)[0], 16)
        if size == 0:
            while rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(rfile.read(size))
        rfile.readline(MAX_LINE)


def _send(conn: socket.socket, status: int, payload: bytes, keep_alive: bool) -> None:
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n"
        f"{'' if keep_alive else 'Connection: close' + chr(13) + chr(10)}\r\n"
    ).encode("latin-1")
    conn.sendall(head + payload)


class _Server(socketserver.ThreadingMixIn):
    daemon_threads = True
    block_on_close = False
    dispatch: Dispatch


class UnixServer(_Server, socketserver.UnixStreamServer):
    def __init__(self, path: str, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        if os.path.exists(path):
            os.unlink(path)
        super().__init__(path, _Handler)
        # The invoker may run as another user than the container: anyone may connect.
        os.chmod(path, 0o777)


class TCPServer(_Server, socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        super().__init__((host, port), _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        conn, address = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, address
