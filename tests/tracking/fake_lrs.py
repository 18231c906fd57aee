"""A fake LRS on 127.0.0.1 in a thread, speaking the Statements resource over real HTTP.

It keeps one statement per id, like an LRS. `script` maps each POST (its statements) to a status:
200 stores them; 409 is answered when any id is already held (as many LRSs do, same content or
not); other statuses store nothing. A `delay` longer than the client's timeout makes it time out.
"""

import base64
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeLrs:
    def __init__(self, *, username: str = "lrs-user", password: str = "lrs-pass"):
        self.stored: dict[str, dict] = {}
        self.received: list[list[dict]] = []  # every POST's statements, in order
        self.headers: list[dict] = []
        self.script: Callable[[list[dict]], int] = lambda statements: 200
        self.delay = 0.0
        self.credential = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Experience-API-Version", "1.0.3")
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                outer.headers.append(dict(self.headers))
                if self.headers.get("Authorization") != outer.credential:
                    return self._reply(401, {"error": "who are you"})
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.lock:
                    outer.received.append(body)
                    status = outer.script(body)
                    if status == 200 and any(s["id"] in outer.stored for s in body):
                        status = 409
                    if status == 200:
                        outer.stored.update({s["id"]: s for s in body})
                self._reply(status, [s["id"] for s in body] if status == 200 else {"error": status})

            def do_GET(self):
                query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
                found = outer.stored.get(query.get("statementId", ""))
                self._reply(200, found) if found else self._reply(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def config(self, name: str = "fake") -> dict:
        return {"name": name, "endpoint": self.url, "username": "lrs-user", "password": "lrs-pass"}

    def ids_received(self) -> list[str]:
        return [statement["id"] for batch in self.received for statement in batch]
