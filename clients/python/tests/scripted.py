"""A tiny scripted HTTP server on a real socket, for what a real server will not do on demand
(answer 429 then 200, drop a connection, cut a body short)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Tuple, Union

Answer = Union[str, Tuple[int, Dict[str, str], Any]]


NO_SCRIPT: Answer = (404, {}, {"error": {"code": "NOT_FOUND", "message": "no script"}})


class ScriptedServer(ThreadingHTTPServer):
    """Answers each (method, path) with the next scripted answer: (status, headers, body), "drop"
    (close the connection without answering, after reading the request) or "truncate" (close it
    in the middle of the body)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: Dict[Tuple[str, str], List[Answer]] = {}
        self.seen: List[Tuple[str, str, bytes]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.script.setdefault((method, path), []).extend(answers)

    def bodies(self, method: str, path: str) -> List[bytes]:
        """The bodies of the requests received for (method, path), in order."""
        return [b for m, p, b in self.seen if (m, p) == (method, path)]

    def count(self, method: str, path: str) -> int:
        return len(self.bodies(method, path))


class Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append((self.command, path, body))
            queue = self.server.script.get((self.command, path)) or [NO_SCRIPT]
            # The last answer repeats.
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer == "truncate":  # promise 1000 bytes, send 10, close
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
            return
        if isinstance(answer, str):  # "drop"
            self.close_connection = True
            return
        status, headers, payload = answer
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass
