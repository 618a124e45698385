"""A webhook receiver on loopback that records every request and can fail on demand."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    method: str = "POST"

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    """What to do instead of answering 200: a status (with headers), a hang, or a dropped line."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang_seconds: float = 0.0
    drop: bool = False
    # Whether the request counts as received (a hang or drop after reading still delivered it).
    record: bool = True
    # Only a request this accepts meets the fault; others (a late task of an earlier test, say)
    # are answered as usual and leave it waiting.
    when: Callable[[Received], bool] | None = None


# An answer: (status, body) or (status, body, headers).
Responder = Callable[["Received"], tuple[Any, ...]]


class Receiver:
    """Records every POST; answers 200 `{"ok": true}`, or what `respond` says, or a fault."""

    def __init__(self, respond: Responder | None = None) -> None:
        self.respond = respond
        self.requests: list[Received] = []
        self.faults: list[Fault] = []
        self.verifications: list[dict[str, list[str]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def take_fault(self, request: Received) -> Fault | None:
        """The first waiting fault meant for this request, taken off the list (lock held)."""
        for index, fault in enumerate(self.faults):
            if fault.when is None or fault.when(request):
                return self.faults.pop(index)
        return None

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                # A WebSub subscriber confirms its intent by echoing the hub's challenge.
                query = parse_qs(urlsplit(self.path).query)
                challenge = query.get("hub.challenge", [""])[0].encode()
                if not challenge and receiver.respond is not None:
                    self.do_POST()  # an API read: answered like any other request
                    return
                with receiver.lock:
                    receiver.verifications.append(query)
                self.send_response(200 if challenge else 404)
                self.send_header("Content-Length", str(len(challenge)))
                self.end_headers()
                self.wfile.write(challenge)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = Received(self.path, headers, body, self.command)
                with receiver.lock:
                    fault = receiver.take_fault(received)
                    if fault is None or fault.record:
                        receiver.requests.append(received)
                if fault is None:
                    answer = (
                        receiver.respond(received) if receiver.respond else (200, b'{"ok": true}')
                    )
                    headers = answer[2] if len(answer) > 2 else {}
                    fault = Fault(status=answer[0], body=answer[1], headers=headers)
                if fault.hang_seconds:
                    time.sleep(fault.hang_seconds)
                if fault.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                    return
                self.send_response(fault.status)
                for key, value in fault.headers.items():
                    self.send_header(key, value)
                payload = b"" if fault.status == 204 else fault.body or b'{"ok": true}'
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_PUT = do_POST
            do_PATCH = do_POST
            do_DELETE = do_POST

        return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
