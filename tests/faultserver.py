"""A real HTTP/HTTPS server on 127.0.0.1 that misbehaves on purpose, for fault drills.

Each path is scripted with steps (`answer`, `stall`, `trickle`, `reset_mid_body`, `redirect`, ...):
the n-th request to a path gets the n-th step, and the last step repeats. Every loop is bounded:
a handler waits at most `HANDLER_LIMIT` seconds for anything and stops at once when the server
closes, so a test that forgets to end a stall still ends.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HANDLER_LIMIT = 10.0  # seconds any handler may wait or trickle before giving up by itself
MAX_REQUEST_HEAD = 16 * 1024
MAX_REQUEST_BODY = 1024 * 1024


@dataclass
class Request:
    """What a handler saw: the request line's method and path, the headers, and the body (as
    its Content-Length announced it, at most MAX_REQUEST_BODY bytes)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Exchange:
    """One connection being answered: its socket, the request, and the server's stop signal."""

    conn: socket.socket
    request: Request
    stopping: threading.Event

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when the server is stopping and the handler should end."""
        return self.stopping.wait(seconds)


Step = Callable[[Exchange], None]


def head(status: int, headers: dict[str, str] | None = None, *, reason: str = "") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason or _REASONS.get(status, 'Status')}"]
    lines += [f"{k}: {v}" for k, v in {"Connection": "close", **(headers or {})}.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 429: "Too Many Requests"}
_REASONS |= {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def answer(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    content_length: int | None = None,
    declare_length: bool = True,
) -> Step:
    """A whole response. `content_length` announces another length than the body's (a short body);
    `declare_length=False` sends none, so the body ends when the connection closes."""

    def step(ex: Exchange) -> None:
        extra = dict(headers or {})
        if declare_length:
            extra["Content-Length"] = str(len(body) if content_length is None else content_length)
        ex.send(head(status, extra) + body)

    return step


def json_answer(body: bytes) -> Step:
    return answer(200, body, {"Content-Type": "application/json"})


def redirect(location: str, status: int = 302) -> Step:
    return answer(status, b"", {"Location": location})


def stall() -> Step:
    """Read the request, never answer (until the server stops or HANDLER_LIMIT passes)."""

    def step(ex: Exchange) -> None:
        ex.wait(HANDLER_LIMIT)

    return step


def trickle(body: bytes, interval: float, *, headers_too: bool = False) -> Step:
    """Send the response one byte every `interval` seconds: after the headers, or from the status
    line on with `headers_too`. Ends when all is sent, the client hangs up, or time is up."""

    def step(ex: Exchange) -> None:
        whole = head(200, {"Content-Length": str(len(body))}) + body
        start = 0 if headers_too else len(whole) - len(body)
        ex.send(whole[:start])
        sent_for = 0.0
        for i in range(start, len(whole)):
            if sent_for >= HANDLER_LIMIT or ex.wait(interval):
                return
            sent_for += interval
            ex.send(whole[i : i + 1])

    return step


def reset_mid_body(body: bytes, sent: int) -> Step:
    """Announce `body`, send its first `sent` bytes, then reset the connection (SO_LINGER 0)."""

    def step(ex: Exchange) -> None:
        ex.send(head(200, {"Content-Length": str(len(body))}) + body[:sent])
        ex.wait(0.05)  # let the client start reading the body before the reset
        ex.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ex.conn.close()

    return step


@dataclass
class _Script:
    steps: list[Step]
    taken: int = 0

    def next(self) -> Step:
        step = self.steps[min(self.taken, len(self.steps) - 1)]
        self.taken += 1
        return step


@dataclass
class _State:
    scripts: dict[str, _Script] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[Request] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        state = self.server.state
        conn: socket.socket = self.request
        conn.settimeout(HANDLER_LIMIT)
        if self.server.tls is not None:
            try:
                conn = self.server.tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as exc:  # the client refused our certificate: expected
                state.errors.append(f"tls: {exc}")
                return
        request = _read_request(conn)
        if request is None:
            return
        with state.lock:
            state.requests.append(request)
            state.hits[request.path] += 1
            script = state.scripts.get(request.path)
            step = script.next() if script is not None else answer(404, b"no route")
        try:
            step(Exchange(conn, request, state.stopping))
        except OSError:
            pass  # the client hung up: what a fault drill expects
        finally:
            try:
                conn.close()
            except OSError:
                pass


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_REQUEST_HEAD:
            return None
        try:
            chunk = conn.recv(4096)
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    head_bytes, body = data.split(b"\r\n\r\n", 1)
    lines = head_bytes.decode("latin-1").split("\r\n")
    method, path, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    length = {k.lower(): v for k, v in headers.items()}.get("content-length", "0").strip()
    wanted = min(int(length), MAX_REQUEST_BODY) if length.isdigit() else 0
    while len(body) < wanted:
        try:
            chunk = conn.recv(min(65536, wanted - len(body)))
        except OSError:
            break
        if not chunk:
            break
        body += chunk
    return Request(method, path, headers, body[:wanted])


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = False  # server_close joins every handler: none may outlive its test
    block_on_close = True

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self.state = _State()
        self.tls = tls
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep a handler's failure for the test to see, instead of printing it."""
        self.state.errors.append(traceback.format_exc(limit=3))


class FaultServer:
    """The server and its script: `route(path, *steps)`, then fetch `url(path)`."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server(tls)
        self.port = self._server.server_address[1]
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *steps: Step) -> str:
        """Script `path`; returns its URL."""
        with self._server.state.lock:
            self._server.state.scripts[path] = _Script(list(steps))
        return self.url(path)

    def hits(self, path: str) -> int:
        return self._server.state.hits[path]

    @property
    def requests(self) -> list[Request]:
        return list(self._server.state.requests)

    @property
    def errors(self) -> list[str]:
        return list(self._server.state.errors)

    def close(self) -> None:
        self._server.state.stopping.set()  # first: wakes every stalled or trickling handler
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=HANDLER_LIMIT)


@contextmanager
def running(tls: ssl.SSLContext | None = None) -> Iterator[FaultServer]:
    server = FaultServer(tls)
    try:
        yield server
    finally:
        server.close()


@contextmanager
def refused_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 that nothing listens on: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))  # held, never listening: no other process can take the port
        yield sock.getsockname()[1]
    finally:
        sock.close()


def self_signed_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a certificate for 127.0.0.1 signed by itself, made with openssl,
    and the certificate's file (for a client told to trust it)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert
