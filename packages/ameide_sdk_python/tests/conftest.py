"""A real HTTP server on loopback, one per test module; each test queues its replies (the last one repeats)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

import pytest


class Loopback:
    def __init__(self) -> None:
        self.seen: List[Dict[str, Any]] = []
        self.replies: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        self.url = ""

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.replies.clear()

    def next_reply(self) -> Dict[str, Any]:
        with self.lock:
            if len(self.replies) > 1:
                return self.replies.pop(0)
            return self.replies[0] if self.replies else {"status": 200, "body": {}}


def _handler(state: Loopback):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            raw = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.seen.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": json.loads(raw) if raw else None,
                    }
                )
                attempt = len(state.seen)
            reply = state.next_reply()
            if reply.get("delay"):
                time.sleep(reply["delay"])
            if "text" in reply:
                payload, ctype = reply["text"].encode(), "text/plain"
            else:
                payload, ctype = json.dumps({**reply.get("body", {}), "attempt": attempt}).encode(), "application/json"
            try:
                self.send_response(reply["status"])
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def _server():
    state = Loopback()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture()
def server(_server: Loopback) -> Loopback:
    _server.reset()
    return _server
